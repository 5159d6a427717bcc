#include "server/manifest_watcher.h"

#include <errno.h>
#include <poll.h>
#include <sys/eventfd.h>
#include <sys/inotify.h>
#include <unistd.h>

#include <algorithm>
#include <cstring>
#include <system_error>
#include <variant>

#include "absl/time/clock.h"
#include "server/manifest_files.h"
#include "spdlog/spdlog.h"

namespace contour::server {
namespace {

namespace fs = std::filesystem;

constexpr uint32_t kWatchMask = IN_CLOSE_WRITE | IN_MOVED_TO | IN_MOVED_FROM | IN_CREATE |
                                IN_DELETE | IN_DELETE_SELF | IN_MOVE_SELF | IN_ONLYDIR;

// The settle window never stretches a round beyond this many windows (a file rewritten in a
// tight loop must still be seen).
constexpr int kMaxSettleWindows = 10;

fs::path Normal(const std::string& path) {
  std::error_code error;
  fs::path absolute = fs::absolute(path, error);
  if (error) absolute = path;
  fs::path normal = absolute.lexically_normal();
  if (!normal.has_filename() && normal.has_parent_path() && normal != normal.root_path()) {
    normal = normal.parent_path();  // "dir/" → "dir"
  }
  return normal;
}

bool IsUnder(const fs::path& path, const fs::path& dir) {
  auto [dir_end, path_it] = std::mismatch(dir.begin(), dir.end(), path.begin(), path.end());
  return dir_end == dir.end() && path_it != path.end();
}

std::string Describe(const std::tuple<std::string, std::string, std::string>& id) {
  return std::get<0>(id) + " " + std::get<1>(id) + "/" + std::get<2>(id);
}

}  // namespace

ManifestWatcher::ManifestWatcher(std::vector<std::string> paths, controller::ObjectSink& sink,
                                 ManifestWatcherOptions options)
    : paths_(std::move(paths)),
      sink_(sink),
      options_(std::move(options)),
      log_(options_.logger != nullptr ? options_.logger : spdlog::default_logger()),
      wake_fd_(eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC)) {}

ManifestWatcher::~ManifestWatcher() {
  Stop();
  if (wake_fd_ >= 0) close(wake_fd_);
}

absl::Status ManifestWatcher::Start() {
  {
    absl::MutexLock lock(&mu_);
    if (started_ || stop_) {
      return absl::FailedPreconditionError("manifest watcher already started or stopped");
    }
    started_ = true;
  }
  for (const std::string& path : paths_) {
    if (path == "-") return absl::InvalidArgumentError("standard input cannot be watched");
    std::error_code error;
    const fs::file_status status = fs::status(path, error);
    if (!fs::exists(status)) {
      return absl::NotFoundError(path + ": no such file or directory");
    }
    roots_.push_back({Normal(path), fs::is_directory(status)});
  }
  if (wake_fd_ < 0) {
    return absl::InternalError(std::string("eventfd: ") + std::strerror(errno));
  }
  inotify_fd_ = inotify_init1(IN_NONBLOCK | IN_CLOEXEC);
  if (inotify_fd_ < 0) {
    return absl::InternalError(std::string("inotify_init1: ") + std::strerror(errno));
  }
  // Watch before reading, so that no change falls between the read and the watch.
  std::vector<fs::path> unused;
  for (const Root& root : roots_) {
    if (root.directory) {
      WatchTree(root.path, unused);
      continue;
    }
    const fs::path parent = root.path.parent_path();
    const int wd = inotify_add_watch(inotify_fd_, parent.c_str(), kWatchMask);
    if (wd < 0) {
      return absl::InternalError("inotify_add_watch " + parent.string() + ": " +
                                 std::strerror(errno));
    }
    watches_[wd] = parent;
  }

  Process(AllFiles());
  sink_.Synced(kSourceName);
  log_->info("manifests: watching {} paths, {} files, {} objects", roots_.size(), files_.size(),
             sent_.size());

  absl::MutexLock lock(&mu_);
  if (stop_) return absl::OkStatus();  // stopped meanwhile: do not start the thread
  running_ = true;
  thread_ = std::thread([this] { Run(); });
  return absl::OkStatus();
}

void ManifestWatcher::Stop() {
  {
    absl::MutexLock lock(&mu_);
    stop_ = true;
  }
  Wake();
  if (thread_.joinable()) thread_.join();
  {
    absl::MutexLock lock(&mu_);
    running_ = false;
  }
  if (inotify_fd_ >= 0) {
    close(inotify_fd_);
    inotify_fd_ = -1;
  }
}

void ManifestWatcher::Wake() {
  if (wake_fd_ < 0) return;
  const uint64_t one = 1;
  // Fails only when the counter is full, and then the thread is awake anyway.
  [[maybe_unused]] ssize_t written = write(wake_fd_, &one, sizeof(one));
}

void ManifestWatcher::SupplySecrets(const std::vector<dag::ObjectKey>& keys) {
  {
    absl::MutexLock lock(&mu_);
    secret_requests_.insert(secret_requests_.end(), keys.begin(), keys.end());
  }
  Wake();
}

bool ManifestWatcher::Flush(absl::Duration timeout) {
  uint64_t target;
  {
    absl::MutexLock lock(&mu_);
    if (!running_ || stop_) return false;
    target = ++flush_requested_;
  }
  Wake();
  absl::MutexLock lock(&mu_);
  auto done = [this, target]()
                  ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) { return stop_ || flush_done_ >= target; };
  return mu_.AwaitWithTimeout(absl::Condition(&done), timeout) && flush_done_ >= target;
}

ManifestWatcher::Stats ManifestWatcher::stats() const {
  Stats stats;
  stats.file_reads = file_reads_.load();
  stats.invalid_files = invalid_files_.load();
  stats.upserts = upserts_.load();
  stats.deletes = deletes_.load();
  return stats;
}

void ManifestWatcher::Run() {
  for (;;) {
    pollfd fds[2] = {{inotify_fd_, POLLIN, 0}, {wake_fd_, POLLIN, 0}};
    if (poll(fds, 2, -1) < 0 && errno != EINTR) {
      log_->error("manifests: poll: {}; no longer watching", std::strerror(errno));
      return;
    }
    uint64_t count;
    while (read(wake_fd_, &count, sizeof(count)) > 0) {
    }
    // Read the requests before draining inotify: a change made before a Flush call is queued in
    // the kernel before the request is, so this round sees it.
    uint64_t flush_target;
    std::vector<dag::ObjectKey> secret_requests;
    {
      absl::MutexLock lock(&mu_);
      if (stop_) return;
      flush_target = flush_requested_;
      secret_requests.swap(secret_requests_);
    }
    std::vector<fs::path> changed;
    if (!DrainEvents(changed)) return;
    Process(changed);
    Supply(secret_requests);
    absl::MutexLock lock(&mu_);
    flush_done_ = flush_target;
  }
}

bool ManifestWatcher::DrainEvents(std::vector<fs::path>& changed) {
  alignas(inotify_event) char buffer[64 * 1024];
  bool any = false;
  int windows = 0;
  for (;;) {
    const ssize_t length = read(inotify_fd_, buffer, sizeof(buffer));
    if (length > 0) {
      any = true;
      for (ssize_t offset = 0; offset < length;) {
        const auto* event = reinterpret_cast<const inotify_event*>(buffer + offset);
        HandleEvent(event->wd, event->mask, event->len > 0 ? std::string(event->name) : "",
                    changed);
        offset += sizeof(inotify_event) + event->len;
      }
      continue;
    }
    if (length < 0 && errno == EINTR) continue;
    // Nothing more queued: wait a settle window for the rest of an editor's save.
    if (!any || ++windows > kMaxSettleWindows) return true;
    pollfd fds[2] = {{inotify_fd_, POLLIN, 0}, {wake_fd_, POLLIN, 0}};
    const int ready = poll(fds, 2, static_cast<int>(absl::ToInt64Milliseconds(options_.settle)));
    if (ready <= 0) return true;
    if (fds[1].revents != 0) {
      absl::MutexLock lock(&mu_);
      if (stop_) return false;
    }
    if (fds[0].revents == 0) return true;  // a Flush or supply request: serve it now
  }
}

void ManifestWatcher::HandleEvent(int wd, uint32_t mask, const std::string& name,
                                  std::vector<fs::path>& changed) {
  if (mask & IN_Q_OVERFLOW) {
    log_->warn("manifests: inotify queue overflowed; reading every file again");
    std::vector<fs::path> found;
    for (const Root& root : roots_) {
      if (root.directory) WatchTree(root.path, found);
    }
    const std::vector<fs::path> all = AllFiles();
    changed.insert(changed.end(), all.begin(), all.end());
    return;
  }
  auto watch = watches_.find(wd);
  if (watch == watches_.end()) return;
  const fs::path dir = watch->second;
  if (mask & IN_IGNORED) {
    watches_.erase(watch);
    return;
  }
  if (mask & (IN_DELETE_SELF | IN_MOVE_SELF)) {
    UnwatchTree(dir);
    ForgetFilesUnder(dir, changed);
    return;
  }
  const fs::path path = dir / name;
  if (mask & IN_ISDIR) {
    if (mask & (IN_CREATE | IN_MOVED_TO)) {
      const bool under_root = std::any_of(roots_.begin(), roots_.end(), [&](const Root& root) {
        return root.directory && IsUnder(path, root.path);
      });
      // Files may have landed before the watch: list them too.
      if (under_root) WatchTree(path, changed);
    } else if (mask & (IN_DELETE | IN_MOVED_FROM)) {
      UnwatchTree(path);
      ForgetFilesUnder(path, changed);
    }
    return;
  }
  if (RootOf(path).has_value() || files_.count(path) > 0) changed.push_back(path);
}

void ManifestWatcher::WatchTree(const fs::path& dir, std::vector<fs::path>& found) {
  std::vector<fs::path> dirs = {dir};
  std::error_code error;
  for (fs::recursive_directory_iterator it(dir, error), end; !error && it != end;
       it.increment(error)) {
    std::error_code type_error;
    // The walk does not enter linked directories, so neither do the watches.
    if (!it->is_symlink(type_error) && it->is_directory(type_error)) {
      dirs.push_back(it->path());
    } else if (it->is_regular_file(type_error) && RootOf(it->path()).has_value()) {
      found.push_back(it->path());
    }
  }
  if (error) log_->warn("manifests: listing {}: {}", dir.string(), error.message());
  for (const fs::path& sub : dirs) {
    const int wd = inotify_add_watch(inotify_fd_, sub.c_str(), kWatchMask);
    if (wd < 0) {
      log_->warn("manifests: cannot watch {}: {}", sub.string(), std::strerror(errno));
      continue;
    }
    watches_[wd] = sub;
  }
}

void ManifestWatcher::UnwatchTree(const fs::path& dir) {
  for (auto it = watches_.begin(); it != watches_.end();) {
    if (it->second == dir || IsUnder(it->second, dir)) {
      inotify_rm_watch(inotify_fd_, it->first);  // fails harmlessly when already gone
      it = watches_.erase(it);
    } else {
      ++it;
    }
  }
}

void ManifestWatcher::ForgetFilesUnder(const fs::path& dir, std::vector<fs::path>& changed) {
  for (const auto& [file, objects] : files_) {
    if (IsUnder(file, dir)) changed.push_back(file);
  }
}

std::optional<size_t> ManifestWatcher::RootOf(const fs::path& file) const {
  for (size_t i = 0; i < roots_.size(); ++i) {
    const Root& root = roots_[i];
    if (root.directory ? IsUnder(file, root.path) && IsManifestFile(file) : file == root.path) {
      return i;
    }
  }
  return std::nullopt;
}

std::vector<fs::path> ManifestWatcher::AllFiles() const {
  std::set<FileRank> ranked;
  for (size_t i = 0; i < roots_.size(); ++i) {
    if (!roots_[i].directory) {
      ranked.insert({i, roots_[i].path});
      continue;
    }
    std::error_code error;
    for (fs::path& file : ListManifestFiles(roots_[i].path, error)) {
      const fs::path normal = file.lexically_normal();
      ranked.insert({RootOf(normal).value_or(i), normal});
    }
  }
  for (const auto& [file, objects] : files_) ranked.insert({RootOf(file).value_or(0), file});
  std::vector<fs::path> files;
  for (const auto& [rank, file] : ranked) files.push_back(file);
  return files;
}

void ManifestWatcher::Process(const std::vector<fs::path>& files) {
  std::set<fs::path> seen;
  std::set<ObjectId> affected;
  for (const fs::path& file : files) {
    if (seen.insert(file).second) ReadFile(file, affected);
  }
  Emit(affected);
}

void ManifestWatcher::ReadFile(const fs::path& file, std::set<ObjectId>& affected) {
  std::error_code error;
  if (!RootOf(file).has_value() || !fs::is_regular_file(file, error)) {
    if (files_.count(file) > 0) SetFile(file, {}, affected);
    files_.erase(file);
    return;
  }
  ++file_reads_;
  k8s::DecodeResult result = LoadManifestFile(file);
  if (!result.errors.empty()) {
    if (!fs::exists(file, error)) {  // removed while we looked
      if (files_.count(file) > 0) SetFile(file, {}, affected);
      files_.erase(file);
      return;
    }
    ++invalid_files_;
    auto held = files_.find(file);
    log_->warn("manifests: {} has {} invalid objects; keeping its last good objects ({})",
               file.string(), result.errors.size(), held == files_.end() ? 0 : held->second.size());
    for (const k8s::DecodeIssue& issue : result.errors) log_->warn("  {}", issue.ToString());
    return;
  }
  for (const k8s::DecodeIssue& issue : result.warnings) {
    log_->info("manifests: {}", issue.ToString());
  }
  Objects objects;
  for (k8s::Object& object : result.objects) {
    const k8s::ObjectMeta& meta = k8s::MetaOf(object);
    ObjectId id{k8s::KindOf(object), meta.namespace_, meta.name};
    if (objects.count(id) > 0) {
      log_->warn("manifests: {} holds {} twice; the first one counts", file.string(), Describe(id));
      continue;
    }
    objects.emplace(std::move(id), std::make_shared<const k8s::Object>(std::move(object)));
  }
  SetFile(file, std::move(objects), affected);
}

void ManifestWatcher::SetFile(const fs::path& file, Objects objects, std::set<ObjectId>& affected) {
  const FileRank rank{RootOf(file).value_or(0), file};
  Objects& held = files_[file];
  for (const auto& [id, object] : held) {
    if (objects.count(id) > 0) continue;
    affected.insert(id);
    auto holders = holders_.find(id);
    if (holders == holders_.end()) continue;
    holders->second.erase(rank);
    if (holders->second.empty()) holders_.erase(holders);
  }
  for (const auto& [id, object] : objects) {
    auto before = held.find(id);
    if (before == held.end() || *before->second != *object) affected.insert(id);
    std::set<FileRank>& holders = holders_[id];
    holders.insert(rank);
    if (holders.size() > 1) {
      const fs::path& owner = holders.begin()->second;
      if (owner == file) {
        log_->warn("manifests: {} in {} overrides the copy in {}, which comes later", Describe(id),
                   file.string(), std::next(holders.begin())->second.string());
      } else {
        log_->warn("manifests: {} in {} is ignored: {} comes first and holds it", Describe(id),
                   file.string(), owner.string());
      }
    }
  }
  held = std::move(objects);
}

void ManifestWatcher::Emit(const std::set<ObjectId>& affected) {
  std::vector<ObjectPtr> upserts;
  std::vector<ObjectPtr> secret_upserts;
  std::vector<ObjectId> deletes;
  for (const ObjectId& id : affected) {
    auto holders = holders_.find(id);
    if (holders == holders_.end()) {
      if (sent_.erase(id) > 0) deletes.push_back(id);
      continue;
    }
    const ObjectPtr& owned = files_.at(holders->second.begin()->second).at(id);
    ObjectPtr& sent = sent_[id];
    if (sent != nullptr && *sent == *owned) continue;
    sent = owned;
    (std::holds_alternative<k8s::Secret>(*owned) ? secret_upserts : upserts).push_back(owned);
  }
  upserts.insert(upserts.end(), secret_upserts.begin(), secret_upserts.end());
  if (upserts.empty() && deletes.empty()) return;
  log_->info("manifests: {} objects upserted, {} deleted", upserts.size(), deletes.size());
  upserts_ += upserts.size();
  deletes_ += deletes.size();
  // One round is one change: a file's Service and the Ingress that names it arrive together.
  controller::ObjectChanges changes;
  changes.upserts.reserve(upserts.size());
  for (const ObjectPtr& object : upserts) changes.upserts.push_back(*object);
  for (ObjectId& id : deletes) {
    auto& [kind, namespace_, name] = id;
    changes.deletes.push_back({std::move(kind), std::move(namespace_), std::move(name)});
  }
  sink_.Apply(std::move(changes));
}

void ManifestWatcher::Supply(const std::vector<dag::ObjectKey>& keys) {
  for (const dag::ObjectKey& key : keys) {
    auto it = sent_.find(ObjectId{"Secret", key.first, key.second});
    if (it == sent_.end()) {
      sink_.Delete("Secret", key.first, key.second);  // none here: the loop stops waiting
      continue;
    }
    ++upserts_;
    sink_.Upsert(*it->second);
  }
}

}  // namespace contour::server
