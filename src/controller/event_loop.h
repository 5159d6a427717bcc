// The event loop: sources' events → KubernetesCache → debounced dag::Build → outputs.
//
// Sources call Upsert/Delete/Synced from any thread; the calls only enqueue. One thread, owned
// by the loop, applies the queue in order to the cache it owns, and calls the outputs. Endpoints
// never rebuild the DAG: they go straight to the outputs. Other events that the cache says need a
// rebuild schedule one through the Debouncer (Contour's 100 ms holdoff, 500 ms cap). Nothing is
// built until every expected source has called Synced; the first build then happens at once.
//
// Secrets are wanted only once something references them, and a supplier may send them some time
// after it is asked (KubernetesSource fetches them from the API server). A build made in between
// would serve the new host without TLS, or a live host without its certificate, and mark its
// IngressRoute invalid, until the next build. So while Secrets asked of a supplier that answers
// every key (SecretSupplier::AnswersEveryKey) are on their way, a due build waits for them, but
// never longer than EventLoopOptions::secret_wait after the ask: a slow API server delays builds,
// it does not stop them.
#ifndef CONTOUR_CONTROLLER_EVENT_LOOP_H_
#define CONTOUR_CONTROLLER_EVENT_LOOP_H_

#include <cstdint>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <thread>
#include <variant>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "controller/debouncer.h"
#include "controller/object_sink.h"
#include "dag/builder.h"
#include "dag/cache.h"
#include "dag/dag.h"
#include "k8s/objects.h"

namespace contour::controller {

// Where the loop's results go. Called only on the loop's thread, never under the loop's lock, so
// an output may call back into the loop (e.g. Upsert).
class LoopOutputs {
 public:
  virtual ~LoopOutputs() = default;

  virtual void OnBuild(const dag::Dag& dag) = 0;
  virtual void OnEndpointsUpsert(const k8s::Endpoints& endpoints) = 0;
  virtual void OnEndpointsDelete(const std::string& namespace_, const std::string& name) = 0;
  // A batch of events has been applied (the endpoint calls above came from it): a good moment to
  // publish what they changed at once, rather than one by one.
  virtual void OnBatchApplied() {}
};

struct EventLoopOptions {
  // The sources that must call Synced before the first build (e.g. {"manifests"}). None means
  // the first build happens as soon as the loop starts.
  std::vector<std::string> sources;
  absl::Duration holdoff = absl::Milliseconds(100);
  absl::Duration max_delay = absl::Milliseconds(500);
  // How long a build may wait for the Secrets just asked of a supplier that answers every key.
  // Zero: builds never wait.
  absl::Duration secret_wait = absl::Seconds(2);
};

class EventLoop : public ObjectSink {
 public:
  EventLoop(dag::CacheConfig cache_config, dag::BuilderConfig builder_config, LoopOutputs& outputs,
            EventLoopOptions options = {});
  // Stops the loop (see Stop).
  ~EventLoop() override;

  EventLoop(const EventLoop&) = delete;
  EventLoop& operator=(const EventLoop&) = delete;

  // Whom to ask for Secrets the cache newly wants; null for none. Call before Start.
  void SetSecretSupplier(SecretSupplier* supplier);

  // Starts the loop's thread. Once only; a loop that has been stopped does not start again.
  void Start();
  // Stops and joins the thread. Events still queued are dropped and a pending build is not made;
  // an output call in progress finishes first. Idempotent.
  void Stop();

  // ObjectSink: enqueue and return. Ignored once Stop has been called.
  void Upsert(k8s::Object object) override;
  void Delete(std::string kind, std::string namespace_, std::string name) override;
  void Synced(std::string source) override;
  void Apply(ObjectChanges changes) override;

  // Counters, readable from any thread: DAG builds published; Upsert, Delete and Synced calls
  // applied; Secrets asked for whose answer a build stopped waiting for at secret_wait.
  uint64_t builds() const;
  uint64_t events_applied() const;
  uint64_t secret_waits_expired() const;
  // Stop has been called.
  bool stopping() const;

  // Test hooks, never sleeps. WaitForBuilds: true once builds() >= n (OnBuild has returned n
  // times). Flush: true once every event enqueued before the call has been applied, with what it
  // set off at once (endpoint outputs, secret requests, an immediate build), but not a build
  // still held off (by the holdoff, or waiting for Secrets); false on timeout or when the loop is
  // stopped.
  bool WaitForBuilds(uint64_t n, absl::Duration timeout) const;
  bool Flush(absl::Duration timeout = absl::InfiniteDuration()) override;

 private:
  struct UpsertEvent {
    k8s::Object object;
  };
  struct DeleteEvent {
    std::string kind;
    std::string namespace_;
    std::string name;
  };
  struct SyncedEvent {
    std::string source;
  };
  using Event = std::variant<UpsertEvent, DeleteEvent, SyncedEvent>;

  void Enqueue(Event event);
  void Run();
  // Applies one event on the loop's thread; true when the DAG must be rebuilt.
  bool Apply(Event& event);
  // Asks the supplier for the Secrets wanted now that were not wanted after the previous batch;
  // true when it asked. Awaits the answers when the supplier answers every key.
  bool RequestNewlyWantedSecrets(absl::Time now);
  // An answer (the Secret, or its deletion) for a key the loop may be waiting for.
  void Answered(const dag::ObjectKey& key);
  // Forgets the awaited Secrets whose time is up; then, when some are still awaited, the earliest
  // time one is given up.
  std::optional<absl::Time> AwaitingSecretsUntil(absl::Time now);
  void BuildAndPublish();

  const dag::BuilderConfig builder_config_;
  LoopOutputs& outputs_;
  const EventLoopOptions options_;
  SecretSupplier* supplier_ = nullptr;

  // Loop thread only.
  dag::KubernetesCache cache_;
  Debouncer debouncer_;
  std::set<std::string> unsynced_sources_;
  std::set<dag::ObjectKey> secrets_wanted_;
  // Asked for and not answered yet, with the time the loop stops waiting for each.
  std::map<dag::ObjectKey, absl::Time> secrets_awaited_;
  uint64_t events_since_build_ = 0;

  mutable absl::Mutex mu_;
  std::vector<Event> queue_ ABSL_GUARDED_BY(mu_);
  bool started_ ABSL_GUARDED_BY(mu_) = false;
  bool stop_ ABSL_GUARDED_BY(mu_) = false;
  uint64_t enqueued_ ABSL_GUARDED_BY(mu_) = 0;  // events ever enqueued
  uint64_t applied_ ABSL_GUARDED_BY(mu_) = 0;   // of those, applied (with their batch's effects)
  uint64_t builds_ ABSL_GUARDED_BY(mu_) = 0;
  uint64_t secret_waits_expired_ ABSL_GUARDED_BY(mu_) = 0;

  std::thread thread_;  // started and joined by the thread that calls Start and Stop
};

}  // namespace contour::controller

#endif  // CONTOUR_CONTROLLER_EVENT_LOOP_H_
