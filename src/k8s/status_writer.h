// Writes IngressRoute status (currentStatus, description) back to the API server, as Contour
// does: a JSON merge patch, only when the status differs from what the object carries. Builds
// hand over their statuses and return at once; one thread of the writer's own does the writing,
// at a bounded rate (a token bucket), retrying conflicts and transient failures with backoff. A
// newer build's status for an object replaces one still waiting. Only an instance allowed to
// write (the leader, once there is election) writes; when it becomes allowed it writes what the
// latest build wants.
#ifndef CONTOUR_K8S_STATUS_WRITER_H_
#define CONTOUR_K8S_STATUS_WRITER_H_

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "common/backoff.h"
#include "common/rate_limiter.h"
#include "k8s/api_client.h"
#include "k8s/objects.h"

namespace contour::k8s {

struct StatusEntry {
  std::string namespace_;
  std::string name;
  IngressRouteStatus desired;   // what the build says
  IngressRouteStatus observed;  // what the object carried when the build saw it
};

struct StatusWriterOptions {
  // client-go's defaults are 5 and 10; thousands of IngressRoutes must not take minutes.
  double qps = 100;
  int burst = 200;
  // PATCH .../ingressroutes/NAME/status when the CRD has the status subresource; Contour v0.15's
  // CRD has none and the object itself is patched. Unset: ask discovery before the first write.
  std::optional<bool> status_subresource;
  BackoffPolicy backoff{absl::Milliseconds(200), absl::Seconds(10), 2.0, 1.0};
  int max_attempts = 6;  // then the write waits for the next build that still wants it
  absl::Duration request_timeout = absl::Seconds(10);
};

struct StatusWriterStats {
  uint64_t writes = 0;     // patches the server accepted
  uint64_t retries = 0;    // failed attempts retried later
  uint64_t abandoned = 0;  // writes given up after max_attempts
  uint64_t gone = 0;       // objects deleted before their write (404)
  uint64_t throttled = 0;  // times the writer waited for the rate limit
};

class StatusWriter {
 public:
  StatusWriter(ApiClient& client, StatusWriterOptions options = {});
  // Stops (see Stop).
  ~StatusWriter();
  StatusWriter(const StatusWriter&) = delete;
  StatusWriter& operator=(const StatusWriter&) = delete;

  // Starts the writing thread. Once.
  void Start();
  // Stops and joins the thread; writes not yet made are dropped. Idempotent.
  void Stop();

  // The statuses of every IngressRoute in one build. Returns at once.
  void Update(std::vector<StatusEntry> entries);
  // Whether this instance may write. While false nothing is written; turning true writes what
  // the latest build wants.
  void SetWriting(bool allowed);

  StatusWriterStats stats() const;
  // Test hook, never sleeps: true once nothing is waiting to be written (or writing is off).
  bool WaitForIdle(absl::Duration timeout) const;

 private:
  using Key = std::pair<std::string, std::string>;
  struct Pending {
    StatusEntry entry;
    int attempts = 0;
    absl::Time not_before = absl::InfinitePast();
  };
  struct Written {
    IngressRouteStatus desired;
    IngressRouteStatus observed;  // before the write: until the object shows a change, skip
  };

  void Run();
  // The request; OK, or the failure with whether it is worth retrying.
  absl::Status Write(const StatusEntry& entry, bool& retry);
  // Whether ingressroutes/status is served; asked once, assumed not when discovery fails.
  bool StatusSubresource();

  ApiClient& client_;
  const StatusWriterOptions options_;

  mutable absl::Mutex mu_;
  std::map<Key, Pending> pending_ ABSL_GUARDED_BY(mu_);
  std::map<Key, Written> written_ ABSL_GUARDED_BY(mu_);
  bool writing_ ABSL_GUARDED_BY(mu_) = true;
  // The write in flight, if any.
  std::optional<Key> in_flight_ ABSL_GUARDED_BY(mu_);
  IngressRouteStatus in_flight_desired_ ABSL_GUARDED_BY(mu_);
  uint64_t changes_ ABSL_GUARDED_BY(mu_) = 0;  // bumped by every call that may wake the thread
  bool stop_ ABSL_GUARDED_BY(mu_) = false;
  bool started_ ABSL_GUARDED_BY(mu_) = false;
  StatusWriterStats stats_ ABSL_GUARDED_BY(mu_);
  // Writing thread only.
  RateLimiter limiter_;
  Backoff backoff_;
  std::optional<bool> status_subresource_;

  std::thread thread_;
};

}  // namespace contour::k8s

#endif  // CONTOUR_K8S_STATUS_WRITER_H_
