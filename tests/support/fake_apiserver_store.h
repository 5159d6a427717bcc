// The fake API server's object store: every version of every object under one global
// resourceVersion counter, the history of changes that watches replay, compaction, snapshot reads
// for paged lists, and the open watches' queues.
//
// An object is kept as JSON text without its apiVersion and kind (one stored Ingress is served
// under several versions, and built-in kinds' list items carry neither), serialized once when it
// is written: a list or a watch event is assembled from these texts without parsing them again.
#ifndef CONTOUR_TESTS_SUPPORT_FAKE_APISERVER_STORE_H_
#define CONTOUR_TESTS_SUPPORT_FAKE_APISERVER_STORE_H_

#include <cstddef>
#include <cstdint>
#include <deque>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/container/flat_hash_map.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "nlohmann/json.hpp"

namespace contour::testing::fake_apiserver_internal {

// One version of one object; immutable once stored.
struct StoredObject {
  std::string storage;
  std::string key;  // "namespace/name", or "name" for a cluster-scoped kind (etcd's order)
  std::string namespace_;
  std::string name;
  uint64_t resource_version = 0;
  // A deletion: `body` is the object's last state, with this (new) resourceVersion.
  bool deleted = false;
  std::string body;  // JSON object text without apiVersion and kind
  // The object as PartialObjectMetadata (what a metadata-only list, watch or get returns).
  std::string metadata_only;
  std::vector<std::pair<std::string, std::string>> labels;  // sorted by key
  std::string type;  // the top-level "type" (a Secret's), for field selectors

  // The body with apiVersion and kind put first.
  std::string WithTypeMeta(absl::string_view api_version, absl::string_view kind) const;
  nlohmann::json Parse() const;  // the body parsed (without apiVersion and kind)
};

// The store key of an object: "namespace/name", or "name" for a cluster-scoped kind.
std::string StoreKey(absl::string_view namespace_, absl::string_view name);

// Kubernetes label selectors: equality (=, ==, !=), set (in, notin) and existence (key, !key).
class LabelSelector {
 public:
  static absl::StatusOr<LabelSelector> Parse(absl::string_view text);
  bool Matches(const std::vector<std::pair<std::string, std::string>>& labels) const;
  bool empty() const { return requirements_.empty(); }

 private:
  enum class Op { kEquals, kNotEquals, kIn, kNotIn, kExists, kDoesNotExist };
  struct Requirement {
    std::string key;
    Op op;
    std::vector<std::string> values;
  };
  std::vector<Requirement> requirements_;
};

// Field selectors: metadata.name, metadata.namespace and (for Secrets) type, with =, == and !=.
class FieldSelector {
 public:
  static absl::StatusOr<FieldSelector> Parse(absl::string_view text, bool allow_type);
  bool Matches(const StoredObject& object) const;
  bool empty() const { return requirements_.empty(); }

 private:
  struct Requirement {
    std::string field;
    bool equals;
    std::string value;
  };
  std::vector<Requirement> requirements_;
};

struct ObjectFilter {
  std::string namespace_;  // empty: every namespace
  LabelSelector labels;
  FieldSelector fields;
  bool Matches(const StoredObject& object) const;
};

// An entry in a watch's queue: a change, or a bookmark when `object` is null.
struct WatchItem {
  std::shared_ptr<const StoredObject> object;
  // The live version `object` replaced (null: none); with `object->deleted` unused.
  std::shared_ptr<const StoredObject> previous;
  uint64_t bookmark_resource_version = 0;
};

class ObjectStore {
 public:
  ObjectStore() = default;
  ObjectStore(const ObjectStore&) = delete;
  ObjectStore& operator=(const ObjectStore&) = delete;

  uint64_t resource_version() const;
  uint64_t compacted() const;

  // The live (not deleted) latest version of `key`, or null.
  std::shared_ptr<const StoredObject> Latest(absl::string_view storage,
                                             absl::string_view key) const;

  struct Page {
    uint64_t resource_version = 0;  // the snapshot's
    std::vector<std::shared_ptr<const StoredObject>> items;
    std::string next_key;  // where the next page starts; empty: this was the last one
  };
  // The live objects as of `at` (0: now) with key >= `start`, matching `filter`, in key order,
  // at most `limit` (0: no limit). kOutOfRange (410 Expired) when `at` is older than the last
  // compaction.
  absl::StatusOr<Page> List(absl::string_view storage, const ObjectFilter& filter,
                            absl::string_view start, uint64_t at, size_t limit) const;

  // Stores `object` as the next version of `key` (or its deletion, with `object` its last state)
  // if the key's live version is still `expected_resource_version` (0: absent); else kAborted,
  // and the caller re-reads and decides again. Sets metadata.resourceVersion; drops apiVersion
  // and kind. With `committed`, the stored object (without apiVersion and kind) is put there.
  absl::StatusOr<std::shared_ptr<const StoredObject>> Commit(absl::string_view storage,
                                                             absl::string_view key,
                                                             uint64_t expected_resource_version,
                                                             nlohmann::json object, bool deletion,
                                                             nlohmann::json* committed = nullptr);

  // Opens a watch on `storage`. `from` nullopt: starts with an ADDED for every live object; else
  // replays every change after `from` (kOutOfRange if history before it is gone). Changes after
  // the replay are queued for TakeWatchItems, and `wake_fd` (an eventfd) is written to.
  absl::StatusOr<uint64_t> StartWatch(absl::string_view storage, std::optional<uint64_t> from,
                                      bool bookmarks, int wake_fd, std::vector<WatchItem>* replay);
  struct WatchBatch {
    std::vector<WatchItem> items;
    bool cut = false;        // CutWatches: close the connection
    bool mid_event = false;  // ... after part of an event line
    bool end = false;        // EndWatches: end the stream cleanly
  };
  // The watch's flags and, with `take`, its queued items; with `bookmark` (and bookmarks asked
  // for) a bookmark at the current resourceVersion after them.
  WatchBatch TakeWatchItems(uint64_t id, bool take, bool bookmark);
  void StopWatch(uint64_t id);
  size_t open_watches() const;
  bool WaitForOpenWatches(size_t n, absl::Duration timeout) const;

  // Faults and lifecycle.
  void SendBookmarks();
  // Flags every open watch to be cut and waits (up to `timeout`) until they have stopped.
  void CutWatches(bool mid_event, absl::Duration timeout);
  void EndWatches(const std::vector<std::string>& storages);
  void Compact();
  // Forgets every object and all history; the counter moves on, so older resourceVersions are
  // expired.
  void Reset();

 private:
  struct Entry {
    std::vector<std::shared_ptr<const StoredObject>> versions;  // oldest first
  };
  using Collection = std::map<std::string, Entry, std::less<>>;
  struct HistoryEvent {
    std::shared_ptr<const StoredObject> object;
    std::shared_ptr<const StoredObject> previous;
  };
  struct Watcher {
    std::string storage;
    int wake_fd;
    bool bookmarks;
    std::deque<WatchItem> queue;
    bool cut = false;
    bool mid_event = false;
    bool end = false;
  };
  static void Wake(int fd);

  mutable absl::Mutex mu_;
  uint64_t resource_version_ ABSL_GUARDED_BY(mu_) = 0;
  uint64_t compacted_ ABSL_GUARDED_BY(mu_) = 0;
  absl::flat_hash_map<std::string, Collection> collections_ ABSL_GUARDED_BY(mu_);
  std::deque<HistoryEvent> history_ ABSL_GUARDED_BY(mu_);  // by resourceVersion
  uint64_t next_watch_id_ ABSL_GUARDED_BY(mu_) = 1;
  std::map<uint64_t, Watcher> watchers_ ABSL_GUARDED_BY(mu_);
};

}  // namespace contour::testing::fake_apiserver_internal

#endif  // CONTOUR_TESTS_SUPPORT_FAKE_APISERVER_STORE_H_
