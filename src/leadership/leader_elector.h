// Leader election as client-go's leaderelection package does it, on a Lock (a ConfigMap or a
// Lease), so that a Go client and ours can compete for one lock:
//  - A record expires by *observed* time. A candidate takes the lock only when it has not seen
//    the record change for a full lease duration, the duration the holder wrote into the record
//    (k8s#114872), measured on its own monotonic clock from when it first saw the record or a
//    change of it. Timestamps in the record are never trusted: clocks may be skewed or stepped.
//  - A record whose holder is empty (released) may be taken at once.
//  - Renewal rewrites renewTime with optimistic concurrency; a 409 means someone else wrote.
//    acquireTime is kept on renewal; leaderTransitions grows by one on every change of holder.
//  - A candidate retries every retry_period, stretched by a random 0–120 % (client-go's
//    JitterUntil with factor 1.2). A leader renews every retry_period.
//  - Durations are measured on the monotonic clock (Go's time.Time carries a monotonic reading
//    for this); wall time only goes into the record, so a stepped clock expires nothing early.
//
// Where this is stricter than client-go, for safety:
//  - A leader stops leading when renew_deadline has passed since the *start* of its last write
//    that changed the record as others see it (whole seconds: Go clients compare the record
//    at that precision), and at once when it sees another holder. Others can take the lock only
//    lease_duration after they saw that change, so with lease_duration > renew_deadline the
//    leader has stopped first, with lease_duration - renew_deadline to spare for skewed clock
//    rates. (client-go gives up at RetryPeriod + RenewDeadline after the last success and keeps
//    acting while it sees another holder until then.)
//  - on_stopped_leading runs to completion before the lock is released, so the guarded work has
//    stopped before a successor can start (client-go releases first).
//  - Every API call is bounded: call_timeout() = renew_deadline / 2 (client-go's heuristic for
//    its leader-election client: a hung request costs half the deadline and leaves time for at
//    least one more attempt), and for a leader never past its deadline, so that a stalled API
//    server cannot keep a leader acting past the point where it must stop (k8s#44887).
//  - After losing the lock the elector is a candidate again; Run does not return until stopped.
//
// Nothing here fences: as in client-go, the guarantee holds only while on_stopped_leading stops
// the guarded work promptly and clocks run at similar rates.
#ifndef CONTOUR_LEADERSHIP_LEADER_ELECTOR_H_
#define CONTOUR_LEADERSHIP_LEADER_ELECTOR_H_

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <random>
#include <stop_token>
#include <string>

#include "absl/base/thread_annotations.h"
#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "leadership/clock.h"
#include "leadership/election_record.h"
#include "leadership/lock.h"

namespace contour::leadership {

struct ElectorConfig {
  // How long a candidate waits without seeing the record change; written into the record in
  // whole seconds (the fraction is cut, as client-go cuts it).
  absl::Duration lease_duration = absl::Seconds(15);
  // How long a leader may go without a successful renewal before it stops leading.
  absl::Duration renew_deadline = absl::Seconds(10);
  // The pause between attempts (a candidate's stretched by the jitter).
  absl::Duration retry_period = absl::Seconds(2);
  // On stop, a leader writes a record with no holder, so that another takes over after about
  // one retry period instead of a whole lease.
  bool release_on_cancel = true;
  uint64_t seed = 0;  // of the jitter; 0: a random seed
};

// client-go's rules, all durations positive and lease_duration > renew_deadline >
// 1.2 × retry_period, and one of ours: the lease as written (whole seconds) must still exceed
// renew_deadline, or others could take the lock before the leader stops.
absl::Status ValidateElectorConfig(const ElectorConfig& config);

// Each may be empty. They are called on the thread that runs Run (or calls Tick and Leave),
// one at a time, never under a lock of the elector's. on_stopped_leading must have stopped
// everything the leadership guards when it returns: the lock may be released right after.
struct LeaderCallbacks {
  std::function<void()> on_started_leading;
  std::function<void()> on_stopped_leading;
  // A different holder was seen (the first one too); "" when the lock is held by nobody.
  std::function<void(const std::string& identity)> on_new_leader;
};

struct ElectorStats {
  uint64_t started_leading = 0;
  uint64_t stopped_leading = 0;
  uint64_t leader_changes = 0;  // changes of the observed holder
  uint64_t renewals = 0;        // successful renewals while leading
  uint64_t errors = 0;          // lock calls that failed, conflicts included
  uint64_t conflicts = 0;       // writes refused because someone else wrote first (409)
  uint64_t releases = 0;
  absl::Duration last_renew_latency;  // of the last successful renewal while leading
};

class LeaderElector {
 public:
  // Checks `config` (ValidateElectorConfig) and that the lock has an identity. `lock` and
  // `clock` must outlive the elector.
  static absl::StatusOr<std::unique_ptr<LeaderElector>> Create(Lock& lock, Clock& clock,
                                                               ElectorConfig config,
                                                               LeaderCallbacks callbacks);
  LeaderElector(const LeaderElector&) = delete;
  LeaderElector& operator=(const LeaderElector&) = delete;

  // The election loop: Tick, wait what it says (a stop cuts the wait short), again, until
  // `stop` is requested; then Leave. A stop is seen within one call_timeout() (a call in flight
  // is not cut short); releasing the lock then takes at most renew_deadline.
  void Run(std::stop_token stop);

  // One step of the loop; returns how long to wait before the next. A candidate tries to take
  // the lock (on success: on_started_leading). A leader renews; it stops leading
  // (on_stopped_leading) when the renew deadline has passed or another holds the lock. The
  // wait returned never carries a leader past its deadline, so the step that ends leadership
  // runs in time.
  absl::Duration Tick();
  // What Run does when stopped: stop leading if leading, then (release_on_cancel) release the
  // lock if it still names us.
  void Leave();

  // One attempt of client-go's tryAcquireOrRenew: take the lock if it is free, expired by
  // observed time, or ours; renew it if ours. True when the record now names us. All its API
  // calls together take at most `timeout`. Does not change IsLeader() or call callbacks.
  bool TryAcquireOrRenew(absl::Duration timeout);
  // Writes a record with no holder (leaseDurationSeconds 1, both times now, transitions kept)
  // if the lock names us, retrying conflicts; all within `timeout`. True when the lock no
  // longer names us.
  bool Release(absl::Duration timeout);

  // The functions below may be called from any thread.
  // Between on_started_leading and on_stopped_leading.
  bool IsLeader() const;
  // The holder in the record last seen or written ("" if none or nothing seen yet).
  std::string leader() const;
  // Waits (on a condition) until IsLeader() == leading; false on timeout.
  bool WaitForLeading(bool leading, absl::Duration timeout) const;
  ElectorStats stats() const;
  const std::string& identity() const { return lock_.identity(); }
  absl::Duration call_timeout() const { return call_timeout_; }

 private:
  LeaderElector(Lock& lock, Clock& clock, ElectorConfig config, LeaderCallbacks callbacks);

  struct Observed {
    LeaderElectionRecord record;
    std::string raw_record;
    bool seen = false;                       // a record was read or written
    absl::Time time = absl::InfinitePast();  // monotonic: when it was first seen
    std::string resource_version;
  };
  Observed observed() const;
  // The lease of `observed` has not run out by `now` (monotonic).
  static bool LeaseValid(const Observed& observed, absl::Time now);
  // A read: the record counts as new only if it differs from the one last seen.
  void NoteRead(const LockState& state);
  // A successful write that started at `started` (monotonic) over `previous` (the record the
  // server held at the resource version written; nullopt for a create).
  void NoteWrite(const LockState& state, absl::Time started,
                 const std::optional<LeaderElectionRecord>& previous);
  void NoteError(const absl::Status& status);
  // The monotonic time by which a leader must have renewed.
  absl::Time Deadline() const;

  void StartLeading();
  void StopLeading(const std::string& reason);
  // on_new_leader when the observed holder changed since last reported.
  void ReportLeader();
  absl::Duration Jittered();

  Lock& lock_;
  Clock& clock_;
  const ElectorConfig config_;
  const LeaderCallbacks callbacks_;
  const int lease_seconds_;
  const absl::Duration call_timeout_;

  mutable absl::Mutex mu_;
  Observed observed_ ABSL_GUARDED_BY(mu_);
  // Monotonic start of the last write that changed the record as others compare it.
  absl::Time last_change_start_ ABSL_GUARDED_BY(mu_) = absl::InfinitePast();
  bool leading_ ABSL_GUARDED_BY(mu_) = false;
  ElectorStats stats_ ABSL_GUARDED_BY(mu_);

  // The Run thread's own.
  std::optional<std::string> reported_leader_;
  std::mt19937_64 random_;
};

}  // namespace contour::leadership

#endif  // CONTOUR_LEADERSHIP_LEADER_ELECTOR_H_
