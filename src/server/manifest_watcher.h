// A live source of Kubernetes objects from manifest files: loads files and directories (the
// selection rules of LoadManifests), feeds every object to an ObjectSink, says Synced("manifests"),
// then follows changes with inotify on its own thread.
//
// Per file it keeps the last good objects. A changed file is decoded whole: if any object in it
// fails to decode, nothing from that file changes and the errors are logged; otherwise new and
// changed objects are upserted and objects that left the file deleted. Identical objects emit
// nothing. An object (kind, namespace, name) in several files belongs to the first file in load
// order (paths in the order given, files in a directory sorted); the others' copies are ignored
// with a warning, and take over when the owner drops it. Within one round of changes, upserts of
// other kinds come before Secrets (so the cache sees a Secret's reference first) and deletes come
// last. A root directory that is removed or moved away is no longer watched (its objects are
// deleted); creating it again is not noticed.
#ifndef CONTOUR_SERVER_MANIFEST_WATCHER_H_
#define CONTOUR_SERVER_MANIFEST_WATCHER_H_

#include <atomic>
#include <cstdint>
#include <filesystem>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <thread>
#include <tuple>
#include <utility>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/status/status.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "controller/object_sink.h"
#include "dag/cache.h"
#include "k8s/objects.h"
#include "spdlog/logger.h"

namespace contour::server {

struct ManifestWatcherOptions {
  // Events closer together than this are handled as one round (an editor's save is several
  // events: rename, create, write, close).
  absl::Duration settle = absl::Milliseconds(20);
  // Where to log; null means spdlog's default logger.
  std::shared_ptr<spdlog::logger> logger;
};

class ManifestWatcher : public controller::SecretSupplier {
 public:
  static constexpr char kSourceName[] = "manifests";

  // `paths`: files and directories ("-" is not watchable). `sink` must outlive the watcher.
  ManifestWatcher(std::vector<std::string> paths, controller::ObjectSink& sink,
                  ManifestWatcherOptions options = {});
  // Stops the watcher (see Stop).
  ~ManifestWatcher() override;

  ManifestWatcher(const ManifestWatcher&) = delete;
  ManifestWatcher& operator=(const ManifestWatcher&) = delete;

  // On the calling thread: sets up the watches, loads every file, upserts its objects and calls
  // Synced("manifests"); then starts the watch thread. Fails (having sent nothing) when a path
  // does not exist or is "-", or inotify cannot be set up. Once only.
  absl::Status Start();
  // Stops and joins the watch thread. Idempotent.
  void Stop();

  // SecretSupplier: upserts again the Secrets it holds among `keys` (on the watch thread, soon),
  // and answers a Delete for each it does not, so a build never waits for them in vain.
  void SupplySecrets(const std::vector<dag::ObjectKey>& keys) override;
  bool AnswersEveryKey() const override { return true; }

  // Test hook, never sleeps: true once every file change made before the call (and every
  // SupplySecrets request) has been handled and its events sent to the sink; false on timeout or
  // when the watch thread is not running.
  bool Flush(absl::Duration timeout);

  struct Stats {
    uint64_t file_reads = 0;
    uint64_t invalid_files = 0;  // reads that kept the last good objects
    uint64_t upserts = 0;
    uint64_t deletes = 0;
  };
  // Readable from any thread.
  Stats stats() const;

 private:
  struct Root {
    std::filesystem::path path;  // absolute, normal
    bool directory = false;
  };
  // (kind, namespace, name)
  using ObjectId = std::tuple<std::string, std::string, std::string>;
  using ObjectPtr = std::shared_ptr<const k8s::Object>;
  using Objects = std::map<ObjectId, ObjectPtr>;
  // Load order: the first root that selects the file, then the path.
  using FileRank = std::pair<size_t, std::filesystem::path>;

  void Run();
  void Wake();
  // Reads every queued inotify event, waiting `settle` for more; false when stop was asked.
  bool DrainEvents(std::vector<std::filesystem::path>& changed);
  void HandleEvent(int wd, uint32_t mask, const std::string& name,
                   std::vector<std::filesystem::path>& changed);
  void WatchTree(const std::filesystem::path& dir, std::vector<std::filesystem::path>& found);
  void UnwatchTree(const std::filesystem::path& dir);
  void ForgetFilesUnder(const std::filesystem::path& dir,
                        std::vector<std::filesystem::path>& changed);

  // Every selected file on disk and every file known, in load order.
  std::vector<std::filesystem::path> AllFiles() const;
  // The index of the first root that selects `file`, if any.
  std::optional<size_t> RootOf(const std::filesystem::path& file) const;
  // Re-reads the files (a deleted one drops its objects) and sends what changed.
  void Process(const std::vector<std::filesystem::path>& files);
  void ReadFile(const std::filesystem::path& file, std::set<ObjectId>& affected);
  void SetFile(const std::filesystem::path& file, Objects objects, std::set<ObjectId>& affected);
  void Emit(const std::set<ObjectId>& affected);
  void Supply(const std::vector<dag::ObjectKey>& keys);

  std::vector<std::string> paths_;
  controller::ObjectSink& sink_;
  const ManifestWatcherOptions options_;
  std::shared_ptr<spdlog::logger> log_;

  // Set by Start, then used by the watch thread only.
  std::vector<Root> roots_;
  int inotify_fd_ = -1;
  int wake_fd_ = -1;
  std::map<int, std::filesystem::path> watches_;    // watch descriptor → directory
  std::map<std::filesystem::path, Objects> files_;  // last good objects of each file read
  std::map<ObjectId, std::set<FileRank>> holders_;  // the files that hold each object
  std::map<ObjectId, ObjectPtr> sent_;              // what the sink holds from us

  std::atomic<uint64_t> file_reads_{0};
  std::atomic<uint64_t> invalid_files_{0};
  std::atomic<uint64_t> upserts_{0};
  std::atomic<uint64_t> deletes_{0};

  mutable absl::Mutex mu_;
  bool started_ ABSL_GUARDED_BY(mu_) = false;
  bool running_ ABSL_GUARDED_BY(mu_) = false;
  bool stop_ ABSL_GUARDED_BY(mu_) = false;
  std::vector<dag::ObjectKey> secret_requests_ ABSL_GUARDED_BY(mu_);
  uint64_t flush_requested_ ABSL_GUARDED_BY(mu_) = 0;
  uint64_t flush_done_ ABSL_GUARDED_BY(mu_) = 0;

  std::thread thread_;  // started by Start, joined by Stop
};

}  // namespace contour::server

#endif  // CONTOUR_SERVER_MANIFEST_WATCHER_H_
