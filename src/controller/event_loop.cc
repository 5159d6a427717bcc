#include "controller/event_loop.h"

#include <algorithm>
#include <iterator>
#include <utility>

#include "absl/time/clock.h"
#include "spdlog/spdlog.h"

namespace contour::controller {

EventLoop::EventLoop(dag::CacheConfig cache_config, dag::BuilderConfig builder_config,
                     LoopOutputs& outputs, EventLoopOptions options)
    : builder_config_(std::move(builder_config)),
      outputs_(outputs),
      options_(std::move(options)),
      cache_(std::move(cache_config)),
      debouncer_(options_.holdoff, options_.max_delay),
      unsynced_sources_(options_.sources.begin(), options_.sources.end()) {}

EventLoop::~EventLoop() { Stop(); }

void EventLoop::SetSecretSupplier(SecretSupplier* supplier) { supplier_ = supplier; }

void EventLoop::Start() {
  absl::MutexLock lock(&mu_);
  if (started_ || stop_) return;
  started_ = true;
  thread_ = std::thread([this] { Run(); });
}

void EventLoop::Stop() {
  {
    absl::MutexLock lock(&mu_);
    stop_ = true;
    queue_.clear();
  }
  if (thread_.joinable()) thread_.join();
}

void EventLoop::Upsert(k8s::Object object) { Enqueue(UpsertEvent{std::move(object)}); }

void EventLoop::Delete(std::string kind, std::string namespace_, std::string name) {
  Enqueue(DeleteEvent{std::move(kind), std::move(namespace_), std::move(name)});
}

void EventLoop::Synced(std::string source) { Enqueue(SyncedEvent{std::move(source)}); }

void EventLoop::Apply(ObjectChanges changes) {
  // Queued under one lock: the loop takes the queue whole, so no build falls between them.
  absl::MutexLock lock(&mu_);
  if (stop_) return;
  for (k8s::Object& object : changes.upserts) {
    queue_.push_back(UpsertEvent{std::move(object)});
    ++enqueued_;
  }
  for (ObjectRef& ref : changes.deletes) {
    queue_.push_back(
        DeleteEvent{std::move(ref.kind), std::move(ref.namespace_), std::move(ref.name)});
    ++enqueued_;
  }
}

void EventLoop::Enqueue(Event event) {
  absl::MutexLock lock(&mu_);
  if (stop_) return;
  queue_.push_back(std::move(event));
  ++enqueued_;
}

uint64_t EventLoop::builds() const {
  absl::MutexLock lock(&mu_);
  return builds_;
}

uint64_t EventLoop::events_applied() const {
  absl::MutexLock lock(&mu_);
  return applied_;
}

uint64_t EventLoop::secret_waits_expired() const {
  absl::MutexLock lock(&mu_);
  return secret_waits_expired_;
}

bool EventLoop::stopping() const {
  absl::MutexLock lock(&mu_);
  return stop_;
}

bool EventLoop::WaitForBuilds(uint64_t n, absl::Duration timeout) const {
  absl::MutexLock lock(&mu_);
  auto reached = [this, n]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) { return builds_ >= n; };
  return mu_.AwaitWithTimeout(absl::Condition(&reached), timeout);
}

bool EventLoop::Flush(absl::Duration timeout) {
  absl::MutexLock lock(&mu_);
  const uint64_t target = enqueued_;
  auto done = [this, target]()
                  ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) { return stop_ || applied_ >= target; };
  return mu_.AwaitWithTimeout(absl::Condition(&done), timeout) && applied_ >= target;
}

void EventLoop::Run() {
  // Pending build time; none when nothing needs building (or before every source has synced).
  std::optional<absl::Time> build_at;
  if (unsynced_sources_.empty()) build_at = absl::Now();
  // When to look again if no event comes: the build time, or later while Secrets are awaited.
  std::optional<absl::Time> wake_at = build_at;
  bool built = false;
  for (;;) {
    std::vector<Event> batch;
    {
      absl::MutexLock lock(&mu_);
      auto ready = [this]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) { return stop_ || !queue_.empty(); };
      if (wake_at.has_value()) {
        mu_.AwaitWithDeadline(absl::Condition(&ready), *wake_at);
      } else {
        mu_.Await(absl::Condition(&ready));
      }
      if (stop_) return;
      batch.swap(queue_);
    }

    bool rebuild = false;
    for (Event& event : batch) rebuild = Apply(event) || rebuild;
    size_t applied = batch.size();
    if (RequestNewlyWantedSecrets(absl::Now())) {
      // A supplier that answers at once has queued the Secrets: apply them before building, so
      // the build does not serve their hosts without TLS for a holdoff.
      std::vector<Event> answers;
      {
        absl::MutexLock lock(&mu_);
        if (stop_) return;
        answers.swap(queue_);
      }
      for (Event& event : answers) rebuild = Apply(event) || rebuild;
      applied += answers.size();
      RequestNewlyWantedSecrets(absl::Now());  // what the events taken with the answers want
    }
    events_since_build_ += applied;
    outputs_.OnBatchApplied();

    const absl::Time now = absl::Now();
    if (unsynced_sources_.empty()) {
      if (!built) {
        build_at = now;  // the first build after sync waits for nothing but awaited Secrets
      } else if (rebuild) {
        build_at = debouncer_.OnEvent(now);
      }
    }
    std::optional<absl::Time> awaiting;
    if (build_at.has_value() && *build_at <= now) {
      awaiting = AwaitingSecretsUntil(now);
      if (!awaiting.has_value()) {
        BuildAndPublish();
        built = true;
        build_at.reset();
      }
    }
    wake_at = build_at;
    if (awaiting.has_value()) wake_at = std::max(*build_at, *awaiting);

    absl::MutexLock lock(&mu_);
    applied_ += applied;
  }
}

bool EventLoop::Apply(Event& event) {
  if (auto* upsert = std::get_if<UpsertEvent>(&event)) {
    if (const auto* endpoints = std::get_if<k8s::Endpoints>(&upsert->object)) {
      outputs_.OnEndpointsUpsert(*endpoints);
      return false;
    }
    if (const auto* secret = std::get_if<k8s::Secret>(&upsert->object)) {
      Answered({secret->metadata.namespace_, secret->metadata.name});
    }
    return cache_.Update(std::move(upsert->object));
  }
  if (auto* del = std::get_if<DeleteEvent>(&event)) {
    if (del->kind == "Endpoints") {
      outputs_.OnEndpointsDelete(del->namespace_, del->name);
      return false;
    }
    // Also how a supplier says it cannot supply a Secret: the cache never held it, so no build.
    if (del->kind == "Secret") Answered({del->namespace_, del->name});
    return cache_.Remove(del->kind, del->namespace_, del->name);
  }
  const std::string& source = std::get<SyncedEvent>(event).source;
  if (unsynced_sources_.erase(source) == 0 &&
      std::find(options_.sources.begin(), options_.sources.end(), source) ==
          options_.sources.end()) {
    spdlog::warn("event loop: Synced from unexpected source \"{}\" ignored", source);
  }
  return false;
}

bool EventLoop::RequestNewlyWantedSecrets(absl::Time now) {
  const std::vector<dag::ObjectKey> wanted_now = cache_.SecretsWanted();  // sorted
  std::vector<dag::ObjectKey> newly;
  std::set_difference(wanted_now.begin(), wanted_now.end(), secrets_wanted_.begin(),
                      secrets_wanted_.end(), std::back_inserter(newly));
  secrets_wanted_ = std::set<dag::ObjectKey>(wanted_now.begin(), wanted_now.end());
  // A Secret nothing references any more (or that the cache now holds) is not worth a wait.
  std::erase_if(secrets_awaited_,
                [this](const auto& entry) { return !secrets_wanted_.contains(entry.first); });
  if (supplier_ == nullptr || newly.empty()) return false;
  if (supplier_->AnswersEveryKey() && options_.secret_wait > absl::ZeroDuration()) {
    // Before asking: an answer given from inside SupplySecrets is applied after this.
    for (const dag::ObjectKey& key : newly) secrets_awaited_[key] = now + options_.secret_wait;
  }
  supplier_->SupplySecrets(newly);
  return true;
}

void EventLoop::Answered(const dag::ObjectKey& key) { secrets_awaited_.erase(key); }

std::optional<absl::Time> EventLoop::AwaitingSecretsUntil(absl::Time now) {
  std::optional<absl::Time> earliest;
  uint64_t expired = 0;
  for (auto it = secrets_awaited_.begin(); it != secrets_awaited_.end();) {
    if (it->second <= now) {
      spdlog::warn("Secret {}/{} was asked for {} ago and has not arrived: building without it",
                   it->first.first, it->first.second, absl::FormatDuration(options_.secret_wait));
      it = secrets_awaited_.erase(it);
      ++expired;
      continue;
    }
    if (!earliest.has_value() || it->second < *earliest) earliest = it->second;
    ++it;
  }
  if (expired > 0) {
    absl::MutexLock lock(&mu_);
    secret_waits_expired_ += expired;
  }
  return earliest;
}

void EventLoop::BuildAndPublish() {
  const absl::Time start = absl::Now();
  const dag::Dag dag = dag::Build(cache_, builder_config_);
  const absl::Duration build_time = absl::Now() - start;
  outputs_.OnBuild(dag);
  const absl::Time end = absl::Now();
  debouncer_.OnBuilt(end);
  uint64_t number;
  {
    absl::MutexLock lock(&mu_);
    number = ++builds_;
  }
  spdlog::info(
      "DAG build {}: {} events, {} http and {} https virtual hosts, built in {:.3f} ms, "
      "published in {:.3f} ms",
      number, events_since_build_, dag.http_hosts.size(), dag.https_hosts.size(),
      absl::ToDoubleMilliseconds(build_time), absl::ToDoubleMilliseconds(end - start - build_time));
  events_since_build_ = 0;
}

}  // namespace contour::controller
