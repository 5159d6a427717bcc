#include "leadership/leader_elector.h"

#include <algorithm>
#include <utility>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "common/stop_wait.h"
#include "spdlog/spdlog.h"

namespace contour::leadership {
namespace {

// client-go's JitterFactor: a candidate waits retry_period × [1, 2.2).
constexpr double kJitterFactor = 1.2;

}  // namespace

absl::Status ValidateElectorConfig(const ElectorConfig& config) {
  if (config.lease_duration <= absl::ZeroDuration() ||
      config.renew_deadline <= absl::ZeroDuration() ||
      config.retry_period <= absl::ZeroDuration()) {
    return absl::InvalidArgumentError(
        "leader election: lease duration, renew deadline and retry period must be positive");
  }
  if (config.lease_duration <= config.renew_deadline) {
    return absl::InvalidArgumentError(absl::StrCat(
        "leader election: the lease duration (", absl::FormatDuration(config.lease_duration),
        ") must be greater than the renew deadline (", absl::FormatDuration(config.renew_deadline),
        ")"));
  }
  if (config.renew_deadline <= kJitterFactor * config.retry_period) {
    return absl::InvalidArgumentError(absl::StrCat(
        "leader election: the renew deadline (", absl::FormatDuration(config.renew_deadline),
        ") must be greater than 1.2 × the retry period (",
        absl::FormatDuration(config.retry_period), ")"));
  }
  // The record carries whole seconds, and others wait what the record says.
  if (absl::Trunc(config.lease_duration, absl::Seconds(1)) <= config.renew_deadline) {
    return absl::InvalidArgumentError(
        absl::StrCat("leader election: the lease duration is recorded in whole seconds (",
                     absl::ToInt64Seconds(config.lease_duration),
                     "s), which must still be greater than the "
                     "renew deadline (",
                     absl::FormatDuration(config.renew_deadline), ")"));
  }
  return absl::OkStatus();
}

absl::StatusOr<std::unique_ptr<LeaderElector>> LeaderElector::Create(Lock& lock, Clock& clock,
                                                                     ElectorConfig config,
                                                                     LeaderCallbacks callbacks) {
  if (absl::Status valid = ValidateElectorConfig(config); !valid.ok()) return valid;
  if (lock.identity().empty()) {
    return absl::InvalidArgumentError("leader election: the lock has no identity");
  }
  return std::unique_ptr<LeaderElector>(
      new LeaderElector(lock, clock, config, std::move(callbacks)));
}

LeaderElector::LeaderElector(Lock& lock, Clock& clock, ElectorConfig config,
                             LeaderCallbacks callbacks)
    : lock_(lock),
      clock_(clock),
      config_(config),
      callbacks_(std::move(callbacks)),
      lease_seconds_(static_cast<int>(absl::ToInt64Seconds(config.lease_duration))),
      call_timeout_(config.renew_deadline / 2),
      random_(config.seed != 0 ? config.seed : std::random_device()()) {}

LeaderElector::Observed LeaderElector::observed() const {
  absl::MutexLock lock(&mu_);
  return observed_;
}

bool LeaderElector::LeaseValid(const Observed& observed, absl::Time now) {
  return observed.seen &&
         observed.time + absl::Seconds(observed.record.lease_duration_seconds) > now;
}

void LeaderElector::NoteRead(const LockState& state) {
  const absl::Time now = clock_.MonotonicNow();
  absl::MutexLock lock(&mu_);
  observed_.resource_version = state.resource_version;
  if (observed_.seen && observed_.raw_record == state.raw_record) return;
  observed_.record = state.record;
  observed_.raw_record = state.raw_record;
  observed_.seen = true;
  observed_.time = now;
}

void LeaderElector::NoteWrite(const LockState& state, absl::Time started,
                              const std::optional<LeaderElectionRecord>& previous) {
  const absl::Time now = clock_.MonotonicNow();
  // Go clients compare records as json.Marshal writes them, in whole seconds: a renewal within
  // the second of the previous one is no news to them and must not extend our deadline.
  const bool visible = !previous.has_value() ||
                       EncodeConfigMapRecord(*previous) != EncodeConfigMapRecord(state.record);
  absl::MutexLock lock(&mu_);
  observed_.record = state.record;
  observed_.raw_record = state.raw_record;
  observed_.seen = true;
  observed_.time = now;
  observed_.resource_version = state.resource_version;
  if (visible) last_change_start_ = started;
}

void LeaderElector::NoteError(const absl::Status& status) {
  absl::MutexLock lock(&mu_);
  stats_.errors++;
  if (absl::IsAborted(status) || absl::IsAlreadyExists(status)) stats_.conflicts++;
}

bool LeaderElector::TryAcquireOrRenew(absl::Duration timeout) {
  const absl::Time start = clock_.MonotonicNow();
  const absl::Time end = start + timeout;
  const auto remaining = [&] { return end - clock_.MonotonicNow(); };
  const absl::Time wall = clock_.Now();
  LeaderElectionRecord desired;
  desired.holder_identity = identity();
  desired.lease_duration_seconds = lease_seconds_;
  desired.acquire_time = wall;
  desired.renew_time = wall;

  // 1. The fast path: a holder within its lease writes over the record it last wrote.
  const Observed before = observed();
  if (before.seen && before.record.holder_identity == identity() && LeaseValid(before, start)) {
    desired.acquire_time = before.record.acquire_time;
    desired.leader_transitions = before.record.leader_transitions;
    const absl::Time started = clock_.MonotonicNow();
    absl::StatusOr<LockState> written = lock_.Update(desired, before.resource_version, remaining());
    if (written.ok()) {
      NoteWrite(*written, started, before.record);
      return true;
    }
    NoteError(written.status());
    spdlog::debug("leader election: renewing {} over the record last seen failed ({}); reading it",
                  lock_.Describe(), std::string(written.status().message()));
  }

  // 2. Read the record, or create the object.
  absl::StatusOr<std::optional<LockState>> got = lock_.Get(remaining());
  if (!got.ok()) {
    NoteError(got.status());
    spdlog::warn("leader election: reading {}: {}", lock_.Describe(),
                 std::string(got.status().message()));
    return false;
  }
  if (!got->has_value()) {
    const absl::Time started = clock_.MonotonicNow();
    absl::StatusOr<LockState> created = lock_.Create(desired, remaining());
    if (!created.ok()) {
      NoteError(created.status());
      spdlog::warn("leader election: creating {}: {}", lock_.Describe(),
                   std::string(created.status().message()));
      return false;
    }
    NoteWrite(*created, started, std::nullopt);
    return true;
  }
  const LockState& current = **got;

  // 3. A changed record restarts the wait; an unchanged one held by another runs out its lease.
  NoteRead(current);
  const Observed seen = observed();
  if (!seen.record.holder_identity.empty() && seen.record.holder_identity != identity() &&
      LeaseValid(seen, start)) {
    return false;
  }

  // 4. Take or renew it, provided nobody wrote since the read.
  if (current.record.holder_identity == identity()) {
    desired.acquire_time = current.record.acquire_time;
    desired.leader_transitions = current.record.leader_transitions;
  } else {
    desired.leader_transitions = current.record.leader_transitions + 1;
  }
  const absl::Time started = clock_.MonotonicNow();
  absl::StatusOr<LockState> written = lock_.Update(desired, current.resource_version, remaining());
  if (!written.ok()) {
    NoteError(written.status());
    spdlog::warn("leader election: writing {}: {}", lock_.Describe(),
                 std::string(written.status().message()));
    return false;
  }
  NoteWrite(*written, started, current.record);
  return true;
}

bool LeaderElector::Release(absl::Duration timeout) {
  const absl::Time end = clock_.MonotonicNow() + timeout;
  const auto remaining = [&] { return end - clock_.MonotonicNow(); };
  // A conflict means a write of ours (a renewal whose answer was lost) or another's came first:
  // read again and decide again.
  for (int attempt = 0; attempt < 5 && remaining() > absl::ZeroDuration(); ++attempt) {
    absl::StatusOr<std::optional<LockState>> got = lock_.Get(remaining());
    if (!got.ok()) {
      NoteError(got.status());
      spdlog::warn("leader election: releasing {}: {}", lock_.Describe(),
                   std::string(got.status().message()));
      return false;
    }
    if (!got->has_value()) return true;
    const LockState& current = **got;
    NoteRead(current);
    if (current.record.holder_identity != identity()) return true;
    const absl::Time wall = clock_.Now();
    LeaderElectionRecord released;
    released.lease_duration_seconds = 1;
    released.acquire_time = wall;
    released.renew_time = wall;
    released.leader_transitions = current.record.leader_transitions;
    const absl::Time started = clock_.MonotonicNow();
    absl::StatusOr<LockState> written =
        lock_.Update(released, current.resource_version, remaining());
    if (written.ok()) {
      NoteWrite(*written, started, current.record);
      {
        absl::MutexLock lock(&mu_);
        stats_.releases++;
      }
      spdlog::info("leader election: {} released {}", identity(), lock_.Describe());
      return true;
    }
    NoteError(written.status());
    if (!absl::IsAborted(written.status())) {
      spdlog::warn("leader election: releasing {}: {}", lock_.Describe(),
                   std::string(written.status().message()));
      return false;
    }
  }
  return false;
}

absl::Time LeaderElector::Deadline() const {
  absl::MutexLock lock(&mu_);
  return last_change_start_ + config_.renew_deadline;
}

absl::Duration LeaderElector::Jittered() {
  std::uniform_real_distribution<double> unit(0.0, 1.0);
  return config_.retry_period * (1.0 + kJitterFactor * unit(random_));
}

void LeaderElector::ReportLeader() {
  std::string holder;
  {
    absl::MutexLock lock(&mu_);
    if (!observed_.seen) return;  // nothing read yet: no news either way
    holder = observed_.record.holder_identity;
  }
  if (reported_leader_ == holder) return;
  reported_leader_ = holder;
  {
    absl::MutexLock lock(&mu_);
    stats_.leader_changes++;
  }
  if (holder.empty()) {
    spdlog::info("leader election: {} is held by nobody", lock_.Describe());
  } else {
    spdlog::info("leader election: the leader is {} ({})", holder, lock_.Describe());
  }
  if (callbacks_.on_new_leader) callbacks_.on_new_leader(holder);
}

void LeaderElector::StartLeading() {
  {
    absl::MutexLock lock(&mu_);
    leading_ = true;
    stats_.started_leading++;
  }
  spdlog::info("leader election: {} became leader ({})", identity(), lock_.Describe());
  if (callbacks_.on_started_leading) callbacks_.on_started_leading();
}

void LeaderElector::StopLeading(const std::string& reason) {
  {
    absl::MutexLock lock(&mu_);
    leading_ = false;
    stats_.stopped_leading++;
  }
  spdlog::warn("leader election: {} stopped leading ({}): {}", identity(), lock_.Describe(),
               reason);
  if (callbacks_.on_stopped_leading) callbacks_.on_stopped_leading();
}

absl::Duration LeaderElector::Tick() {
  if (!IsLeader()) {
    const bool acquired = TryAcquireOrRenew(call_timeout_);
    ReportLeader();
    // Re-taking our own record within the second of our last write is invisible to others
    // and so does not count as a renewal: wait for one that does.
    if (!acquired || clock_.MonotonicNow() >= Deadline()) return Jittered();
    StartLeading();
    return std::min(config_.retry_period, Deadline() - clock_.MonotonicNow());
  }

  const absl::Time start = clock_.MonotonicNow();
  if (start >= Deadline()) {
    StopLeading("no renewal within the renew deadline");
    return Jittered();
  }
  const bool renewed = TryAcquireOrRenew(std::min(call_timeout_, Deadline() - start));
  const absl::Time now = clock_.MonotonicNow();
  ReportLeader();
  if (renewed) {
    absl::MutexLock lock(&mu_);
    stats_.renewals++;
    stats_.last_renew_latency = now - start;
  } else if (const std::string holder = leader(); holder != identity()) {
    StopLeading(holder.empty() ? "the lock was released by someone else"
                               : absl::StrCat("the lock is held by ", holder));
    return Jittered();
  }
  if (now >= Deadline()) {
    StopLeading("no renewal within the renew deadline");
    return Jittered();
  }
  return std::min(config_.retry_period, Deadline() - now);
}

void LeaderElector::Leave() {
  if (IsLeader()) StopLeading("stopping");
  if (config_.release_on_cancel && leader() == identity()) Release(config_.renew_deadline);
}

void LeaderElector::Run(std::stop_token stop) {
  spdlog::info("leader election: {} is a candidate for {}", identity(), lock_.Describe());
  while (!stop.stop_requested()) {
    if (!WaitFor(stop, Tick())) break;
  }
  Leave();
}

bool LeaderElector::IsLeader() const {
  absl::MutexLock lock(&mu_);
  return leading_;
}

std::string LeaderElector::leader() const {
  absl::MutexLock lock(&mu_);
  return observed_.record.holder_identity;
}

bool LeaderElector::WaitForLeading(bool leading, absl::Duration timeout) const {
  absl::MutexLock lock(&mu_);
  auto reached = [this, leading]()
                     ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) { return leading_ == leading; };
  return mu_.AwaitWithTimeout(absl::Condition(&reached), timeout);
}

ElectorStats LeaderElector::stats() const {
  absl::MutexLock lock(&mu_);
  return stats_;
}

}  // namespace contour::leadership
