// A reflector keeps a handler in step with one kind of object on the API server, as client-go's
// does: list (in pages, a consistent read), then watch from the list's resourceVersion with
// bookmarks; re-watch from the last seen resourceVersion when a watch ends or breaks; relist
// when the server says that version is gone (410) or sends something unreadable. A list
// replaces what the handler had, so deletions missed while away are applied (client-go's
// tombstones). A kind the server does not serve (404: a CRD not installed) counts as an empty
// list and is retried. Waits between attempts follow a jittered backoff.
#ifndef CONTOUR_K8S_REFLECTOR_H_
#define CONTOUR_K8S_REFLECTOR_H_

#include <atomic>
#include <cstdint>
#include <stop_token>
#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "common/backoff.h"
#include "k8s/api_client.h"
#include "nlohmann/json.hpp"

namespace contour::k8s {

// What to list and watch.
struct ResourceSpec {
  std::string api_version;  // "v1", "networking.k8s.io/v1", "contour.heptio.com/v1beta1"
  std::string kind;         // "Service"
  std::string resource;     // "services"
  std::string namespace_;   // empty: every namespace
  std::string field_selector;
  std::string label_selector;
  int page_size = 500;
  // Ask for PartialObjectMetadata (metadata only, as client-go's metadata informers do): the
  // objects' contents never cross the wire.
  bool metadata_only = false;

  // "/api/v1/services", "/apis/networking.k8s.io/v1/namespaces/ns/ingresses"
  std::string CollectionPath() const;
  // "Service", or "Secret in ns" for messages.
  std::string Describe() const;
};

enum class WatchEventType { kAdded, kModified, kDeleted };

// Receives what the reflector sees, on the reflector's thread, in order. Every object carries
// apiVersion and kind (the reflector adds them to list items, which lack them).
class ReflectorHandler {
 public:
  virtual ~ReflectorHandler() = default;

  // A (re)list: OnListItem for each object, then OnListEnd. A complete list replaces all that
  // came before it; an abandoned one (complete == false) must be forgotten.
  virtual void OnListBegin() = 0;
  virtual void OnListItem(nlohmann::json object) = 0;
  virtual void OnListEnd(bool complete) = 0;
  virtual void OnWatchEvent(WatchEventType type, nlohmann::json object) = 0;
};

struct ReflectorOptions {
  // Each watch asks the server to end it after a random time in [min, max], as client-go does,
  // so that many clients do not reconnect at once.
  absl::Duration min_watch_timeout = absl::Minutes(5);
  absl::Duration max_watch_timeout = absl::Minutes(10);
  // For one list page.
  absl::Duration request_timeout = absl::Seconds(60);
  BackoffPolicy backoff;
  uint64_t seed = 0;  // 0: random
};

// Counters, readable from any thread.
struct ReflectorStats {
  uint64_t lists = 0;            // complete lists
  uint64_t relists_expired = 0;  // lists forced by 410 Gone
  uint64_t watches = 0;          // watch requests made
  uint64_t watch_restarts = 0;   // watches after the first (the last one ended or failed)
  uint64_t events = 0;           // ADDED/MODIFIED/DELETED delivered
  uint64_t bookmarks = 0;
  uint64_t errors = 0;      // failed requests and broken streams
  uint64_t bad_data = 0;    // unreadable lists or events
  uint64_t not_served = 0;  // lists answered 404

  ReflectorStats& operator+=(const ReflectorStats& other) {
    lists += other.lists;
    relists_expired += other.relists_expired;
    watches += other.watches;
    watch_restarts += other.watch_restarts;
    events += other.events;
    bookmarks += other.bookmarks;
    errors += other.errors;
    bad_data += other.bad_data;
    not_served += other.not_served;
    return *this;
  }
};

class Reflector {
 public:
  // `client` and `handler` must outlive Run.
  Reflector(ApiClient& client, ResourceSpec spec, ReflectorHandler& handler,
            ReflectorOptions options = {});

  // Lists and watches until `stop` is requested. Call from one thread, once.
  void Run(std::stop_token stop);

  ReflectorStats stats() const;
  const ResourceSpec& spec() const { return spec_; }

 private:
  // The list's resourceVersion; kNotFound when the kind is not served, kOutOfRange when the
  // server says a continue token expired.
  absl::StatusOr<std::string> List(absl::Duration& retry_after);
  // Watches from `resource_version`, advancing it with every event and bookmark. OK when the
  // server ended the watch; kOutOfRange for 410 Gone; kDataLoss for unreadable data;
  // kCancelled on stop. `delivered` counts the events and bookmarks seen.
  absl::Status Watch(std::stop_token stop, std::string& resource_version, uint64_t& delivered,
                     absl::Duration& retry_after);
  // Handles one line of a watch stream.
  absl::Status OnWatchLine(std::string_view line, std::string& resource_version);
  // Adds apiVersion and kind when absent.
  void Complete(nlohmann::json& object) const;
  std::string Query(const std::string& first) const;
  absl::Duration RandomWatchTimeout();

  ApiClient& client_;
  const ResourceSpec spec_;
  ReflectorHandler& handler_;
  const ReflectorOptions options_;
  Backoff backoff_;
  std::mt19937_64 random_;

  std::atomic<uint64_t> lists_{0};
  std::atomic<uint64_t> relists_expired_{0};
  std::atomic<uint64_t> watches_{0};
  std::atomic<uint64_t> events_{0};
  std::atomic<uint64_t> bookmarks_{0};
  std::atomic<uint64_t> errors_{0};
  std::atomic<uint64_t> bad_data_{0};
  std::atomic<uint64_t> not_served_{0};
};

}  // namespace contour::k8s

#endif  // CONTOUR_K8S_REFLECTOR_H_
