// ManifestWatcher against real files in a temporary directory. Each step changes files, then
// waits on the watcher's Flush (or on the sink's condition) and compares the events sent; the
// waits have generous timeouts as a failure guard only.
#include "server/manifest_watcher.h"

#include <stdlib.h>

#include <filesystem>
#include <fstream>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "absl/synchronization/mutex.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "spdlog/sinks/ringbuffer_sink.h"
#include "spdlog/spdlog.h"

namespace contour::server {
namespace {

namespace fs = std::filesystem;
using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::IsEmpty;

constexpr absl::Duration kGuard = absl::Seconds(30);

std::string ServiceYaml(const std::string& name, int port) {
  return "apiVersion: v1\nkind: Service\nmetadata: {name: " + name +
         ", namespace: default}\nspec: {ports: [{port: " + std::to_string(port) + "}]}\n";
}

std::string SecretYaml(const std::string& name) {
  return "apiVersion: v1\nkind: Secret\nmetadata: {name: " + name +
         "}\ntype: Opaque\nstringData: {key: value}\n";
}

// A Service whose port is a string: a decode error.
constexpr char kBrokenService[] =
    "apiVersion: v1\nkind: Service\nmetadata: {name: broken}\nspec: {ports: [{port: \"80\"}]}\n";

std::string Docs(const std::vector<std::string>& docs) {
  std::string text;
  for (const std::string& doc : docs) text += "---\n" + doc;
  return text;
}

void Write(const fs::path& path, const std::string& text) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out << text;
}

// What an editor's atomic save does: a temporary file renamed over the target.
void AtomicWrite(const fs::path& path, const std::string& text) {
  const fs::path temp = path.string() + ".tmp";
  Write(temp, text);
  fs::rename(temp, path);
}

// Records the events as "upsert Kind ns/name" (":port" for a Service), "delete Kind ns/name" and
// "synced source".
class RecordingSink : public controller::ObjectSink {
 public:
  void Upsert(k8s::Object object) override {
    const k8s::ObjectMeta& meta = k8s::MetaOf(object);
    std::string event =
        std::string("upsert ") + k8s::KindOf(object) + " " + meta.namespace_ + "/" + meta.name;
    if (const auto* service = std::get_if<k8s::Service>(&object)) {
      event += ":" + std::to_string(service->ports.at(0).port);
    }
    Record(std::move(event));
  }
  void Delete(std::string kind, std::string namespace_, std::string name) override {
    Record("delete " + kind + " " + namespace_ + "/" + name);
  }
  void Synced(std::string source) override { Record("synced " + source); }

  // The events since the last Take.
  std::vector<std::string> Take() {
    absl::MutexLock lock(&mu_);
    return std::exchange(events_, {});
  }
  bool WaitForEvents(size_t n) {
    absl::MutexLock lock(&mu_);
    auto reached = [this, n]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) { return events_.size() >= n; };
    return mu_.AwaitWithTimeout(absl::Condition(&reached), kGuard);
  }

 private:
  void Record(std::string event) {
    absl::MutexLock lock(&mu_);
    events_.push_back(std::move(event));
  }

  absl::Mutex mu_;
  std::vector<std::string> events_ ABSL_GUARDED_BY(mu_);
};

class ManifestWatcherTest : public ::testing::Test {
 protected:
  void SetUp() override {
    std::string pattern = (fs::temp_directory_path() / "manifest_watcher_XXXXXX").string();
    ASSERT_NE(mkdtemp(pattern.data()), nullptr);
    tmp_ = pattern;
    dir_ = tmp_ / "manifests";
    fs::create_directories(dir_ / "sub");
    log_ring_ = std::make_shared<spdlog::sinks::ringbuffer_sink_mt>(256);
    logger_ = std::make_shared<spdlog::logger>("manifest_watcher_test", log_ring_);
    logger_->set_pattern("%l %v");
  }
  void TearDown() override {
    watcher_.reset();
    std::error_code error;
    fs::remove_all(tmp_, error);
  }

  void StartWatching(std::vector<std::string> paths) {
    ManifestWatcherOptions options;
    options.logger = logger_;
    watcher_ = std::make_unique<ManifestWatcher>(std::move(paths), sink_, options);
    ASSERT_TRUE(watcher_->Start().ok());
  }

  // The events that the changes made so far caused.
  std::vector<std::string> Events() {
    EXPECT_TRUE(watcher_->Flush(kGuard));
    return sink_.Take();
  }

  std::vector<std::string> Logs() { return log_ring_->last_formatted(); }

  fs::path tmp_;
  fs::path dir_;
  RecordingSink sink_;
  std::shared_ptr<spdlog::sinks::ringbuffer_sink_mt> log_ring_;
  std::shared_ptr<spdlog::logger> logger_;
  std::unique_ptr<ManifestWatcher> watcher_;
};

TEST_F(ManifestWatcherTest, InitialLoadThenSynced) {
  Write(dir_ / "a.yaml", Docs({SecretYaml("s"), ServiceYaml("a", 80)}));
  Write(dir_ / "sub" / "b.yml", ServiceYaml("b", 80));
  Write(dir_ / "c.txt", ServiceYaml("c", 80));  // not a manifest name in a directory
  fs::create_directories(tmp_ / "other");
  Write(tmp_ / "other" / "x.txt", ServiceYaml("x", 80));  // named explicitly: read
  StartWatching({dir_.string(), (tmp_ / "other" / "x.txt").string()});
  // Sent before Start returns; Secrets after the other kinds.
  EXPECT_THAT(
      sink_.Take(),
      ElementsAre("upsert Service default/a:80", "upsert Service default/b:80",
                  "upsert Service default/x:80", "upsert Secret default/s", "synced manifests"));
  EXPECT_THAT(Events(), IsEmpty());
}

// No Flush here: the watcher notices on its own.
TEST_F(ManifestWatcherTest, EditInPlaceUpserts) {
  Write(dir_ / "a.yaml", Docs({ServiceYaml("a", 80), ServiceYaml("b", 80)}));
  StartWatching({dir_.string()});
  sink_.Take();
  Write(dir_ / "a.yaml", Docs({ServiceYaml("a", 81), ServiceYaml("b", 80)}));
  ASSERT_TRUE(sink_.WaitForEvents(1));
  EXPECT_THAT(Events(), ElementsAre("upsert Service default/a:81"));
}

TEST_F(ManifestWatcherTest, AtomicSaveUpserts) {
  Write(dir_ / "a.yaml", ServiceYaml("a", 80));
  StartWatching({dir_.string()});
  sink_.Take();
  AtomicWrite(dir_ / "a.yaml", ServiceYaml("a", 82));
  EXPECT_THAT(Events(), ElementsAre("upsert Service default/a:82"));
}

TEST_F(ManifestWatcherTest, ExplicitFileAtomicSaveUpserts) {
  const fs::path file = tmp_ / "single.manifest";
  Write(file, ServiceYaml("a", 80));
  StartWatching({file.string()});
  sink_.Take();
  AtomicWrite(file, ServiceYaml("a", 83));
  Write(tmp_ / "neighbour.yaml", ServiceYaml("n", 80));  // same directory, not watched for
  EXPECT_THAT(Events(), ElementsAre("upsert Service default/a:83"));
}

TEST_F(ManifestWatcherTest, BrokenFileKeepsLastGoodObjectsAndLogsWhy) {
  Write(dir_ / "a.yaml", Docs({ServiceYaml("a", 80), ServiceYaml("b", 80)}));
  StartWatching({dir_.string()});
  sink_.Take();

  // b changes and a leaves, but the file also has an error: nothing of it applies.
  Write(dir_ / "a.yaml", Docs({ServiceYaml("b", 90), kBrokenService}));
  EXPECT_THAT(Events(), IsEmpty());
  EXPECT_EQ(watcher_->stats().invalid_files, 1u);
  const std::string file = (dir_ / "a.yaml").string();
  EXPECT_THAT(Logs(), testing::Contains(HasSubstr("warning manifests: " + file +
                                                  " has 1 invalid objects; keeping its last "
                                                  "good objects (2)")));
  EXPECT_THAT(Logs(), testing::Contains(HasSubstr(file + ": document 1: Service default/broken: "
                                                         "spec.ports[0].port: expected an "
                                                         "integer, got string")));

  // Fixed: the change applies against the last good objects.
  Write(dir_ / "a.yaml", ServiceYaml("b", 90));
  EXPECT_THAT(Events(), ElementsAre("upsert Service default/b:90", "delete Service default/a"));
}

TEST_F(ManifestWatcherTest, NewFileBrokenFromTheStartSendsNothing) {
  StartWatching({dir_.string()});
  sink_.Take();
  Write(dir_ / "new.yaml", Docs({ServiceYaml("a", 80), "kind: Service\nmetadata: [\n"}));
  EXPECT_THAT(Events(), IsEmpty());
  Write(dir_ / "new.yaml", ServiceYaml("a", 80));
  EXPECT_THAT(Events(), ElementsAre("upsert Service default/a:80"));
}

TEST_F(ManifestWatcherTest, DeletedFileDeletesItsObjects) {
  Write(dir_ / "a.yaml", Docs({ServiceYaml("a", 80), SecretYaml("s")}));
  Write(dir_ / "b.yaml", ServiceYaml("b", 80));
  StartWatching({dir_.string()});
  sink_.Take();
  fs::remove(dir_ / "a.yaml");
  EXPECT_THAT(Events(), ElementsAre("delete Secret default/s", "delete Service default/a"));
}

TEST_F(ManifestWatcherTest, RemovedDirectoryDeletesItsObjects) {
  fs::create_directories(dir_ / "sub" / "deeper");
  Write(dir_ / "sub" / "deeper" / "a.yaml", ServiceYaml("a", 80));
  Write(dir_ / "b.yaml", ServiceYaml("b", 80));
  StartWatching({dir_.string()});
  sink_.Take();
  fs::remove_all(dir_ / "sub");
  EXPECT_THAT(Events(), ElementsAre("delete Service default/a"));
  // The directory moved away from the tree: its files leave too.
  fs::create_directories(dir_ / "moving");
  Write(dir_ / "moving" / "c.yaml", ServiceYaml("c", 80));
  EXPECT_THAT(Events(), ElementsAre("upsert Service default/c:80"));
  fs::rename(dir_ / "moving", tmp_ / "moved-out");
  EXPECT_THAT(Events(), ElementsAre("delete Service default/c"));
}

TEST_F(ManifestWatcherTest, NewFileInNewSubdirectoryUpserts) {
  StartWatching({dir_.string()});
  sink_.Take();
  fs::create_directories(dir_ / "new" / "deeper");
  Write(dir_ / "new" / "deeper" / "a.yaml", ServiceYaml("a", 80));
  EXPECT_THAT(Events(), ElementsAre("upsert Service default/a:80"));
  // A directory that arrives with its files already in it.
  fs::create_directories(tmp_ / "staging" / "inner");
  Write(tmp_ / "staging" / "inner" / "b.json",
        R"({"apiVersion": "v1", "kind": "Service", "metadata": {"name": "b"},
            "spec": {"ports": [{"port": 80}]}})");
  fs::rename(tmp_ / "staging", dir_ / "staged");
  EXPECT_THAT(Events(), ElementsAre("upsert Service default/b:80"));
  // And later files in it are seen.
  Write(dir_ / "staged" / "inner" / "c.yaml", ServiceYaml("c", 80));
  EXPECT_THAT(Events(), ElementsAre("upsert Service default/c:80"));
}

TEST_F(ManifestWatcherTest, UnchangedRewriteSendsNothing) {
  Write(dir_ / "a.yaml", ServiceYaml("a", 80));
  StartWatching({dir_.string()});
  sink_.Take();
  const uint64_t reads = watcher_->stats().file_reads;
  Write(dir_ / "a.yaml", ServiceYaml("a", 80));
  AtomicWrite(dir_ / "a.yaml", "# a comment changes no object\n" + ServiceYaml("a", 80));
  Write(dir_ / "notes.txt", ServiceYaml("n", 80));  // not a manifest name
  EXPECT_THAT(Events(), IsEmpty());
  EXPECT_GT(watcher_->stats().file_reads, reads);  // it did look
}

// Copies of one object in two files: the first file in load order owns it.
TEST_F(ManifestWatcherTest, DuplicateBelongsToTheFirstFile) {
  Write(dir_ / "a.yaml", ServiceYaml("dup", 80));
  Write(dir_ / "b.yaml", ServiceYaml("dup", 99));
  StartWatching({dir_.string()});
  EXPECT_THAT(sink_.Take(), ElementsAre("upsert Service default/dup:80", "synced manifests"));
  EXPECT_THAT(Logs(), testing::Contains(HasSubstr("Service default/dup in " +
                                                  (dir_ / "b.yaml").string() + " is ignored")));

  Write(dir_ / "b.yaml", ServiceYaml("dup", 98));  // not the owner: nothing
  EXPECT_THAT(Events(), IsEmpty());
  Write(dir_ / "a.yaml", "");  // the owner lets go: the other copy takes over
  EXPECT_THAT(Events(), ElementsAre("upsert Service default/dup:98"));
  fs::remove(dir_ / "b.yaml");
  EXPECT_THAT(Events(), ElementsAre("delete Service default/dup"));
}

// Moving an unchanged object from one file to another sends nothing, in either order of edits.
TEST_F(ManifestWatcherTest, ObjectMovedBetweenFilesSendsNothing) {
  Write(dir_ / "a.yaml", Docs({ServiceYaml("m", 80), ServiceYaml("a", 80)}));
  Write(dir_ / "b.yaml", ServiceYaml("b", 80));
  StartWatching({dir_.string()});
  sink_.Take();

  Write(dir_ / "b.yaml", Docs({ServiceYaml("b", 80), ServiceYaml("m", 80)}));
  EXPECT_THAT(Events(), IsEmpty());
  Write(dir_ / "a.yaml", ServiceYaml("a", 80));
  EXPECT_THAT(Events(), IsEmpty());
  Write(dir_ / "b.yaml", Docs({ServiceYaml("b", 80), ServiceYaml("m", 81)}));
  EXPECT_THAT(Events(), ElementsAre("upsert Service default/m:81"));

  // Back again, the other way round: removed first, then added.
  Write(dir_ / "b.yaml", ServiceYaml("b", 80));
  Write(dir_ / "a.yaml", Docs({ServiceYaml("a", 80), ServiceYaml("m", 81)}));
  const std::vector<std::string> events = Events();
  // One round sends nothing; two rounds send the delete and the upsert back.
  if (!events.empty()) {
    EXPECT_THAT(events, ElementsAre("delete Service default/m", "upsert Service default/m:81"));
  }
}

// Every key is answered: the Secret it holds, and a Delete for one it does not (so the event loop,
// which waits for answers before building, never waits for it in vain).
TEST_F(ManifestWatcherTest, SupplySecretsAnswersEveryKey) {
  Write(dir_ / "a.yaml", Docs({SecretYaml("s"), ServiceYaml("a", 80)}));
  StartWatching({dir_.string()});
  sink_.Take();
  EXPECT_TRUE(watcher_->AnswersEveryKey());
  watcher_->SupplySecrets({{"default", "missing"}, {"default", "s"}});
  EXPECT_THAT(Events(), ElementsAre("delete Secret default/missing", "upsert Secret default/s"));
}

TEST_F(ManifestWatcherTest, StartFailsOnPathsItCannotWatch) {
  ManifestWatcher missing({(tmp_ / "nope").string()}, sink_);
  EXPECT_EQ(missing.Start().code(), absl::StatusCode::kNotFound);
  ManifestWatcher stdin_watcher({"-"}, sink_);
  EXPECT_EQ(stdin_watcher.Start().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_FALSE(missing.Flush(absl::ZeroDuration()));
  EXPECT_THAT(sink_.Take(), IsEmpty());
}

TEST_F(ManifestWatcherTest, StopsAndReportsNoMore) {
  Write(dir_ / "a.yaml", ServiceYaml("a", 80));
  StartWatching({dir_.string()});
  sink_.Take();
  watcher_->Stop();
  EXPECT_FALSE(watcher_->Flush(kGuard));
  Write(dir_ / "a.yaml", ServiceYaml("a", 81));
  watcher_->Stop();  // idempotent
  EXPECT_THAT(sink_.Take(), IsEmpty());
}

}  // namespace
}  // namespace contour::server
