// The live source of objects in a cluster: one reflector per kind the cache needs (Service,
// Endpoints, Secret, Ingress, IngressRoute, TLSCertificateDelegation), each on its own thread,
// feeding an ObjectSink through an ObjectForwarder.
//
// Start-up order matters for Secrets, whose payloads are kept only when something references
// them: every other kind is listed first and applied, so the cache has asked for the Secrets it
// wants before the Secrets are listed; then Synced("kubernetes"). Secrets asked for later are
// fetched one by one (or listed, when many are asked for at once).
//
// Every Secret asked for is answered (AnswersEveryKey), so that the event loop can hold a build
// until it has them: with the Secret, or with a Delete("Secret", ...) when there is none to give
// (the server does not have it, it is not TLS material, or its namespace is not watched). At
// start-up a Secret the complete list lacks is answered at once; later one is always asked of
// the server, for the Secret watch may not yet have seen one created just before the object
// that references it. A fetch that fails is retried after a backoff and answers nothing
// meanwhile; the loop's deadline bounds its wait.
//
// Ingress is watched in the newest version the server serves (discovery): networking.k8s.io/v1,
// then v1beta1, then extensions/v1beta1.
#ifndef CONTOUR_SERVER_KUBERNETES_SOURCE_H_
#define CONTOUR_SERVER_KUBERNETES_SOURCE_H_

#include <functional>
#include <memory>
#include <set>
#include <stop_token>
#include <string>
#include <thread>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "controller/object_sink.h"
#include "k8s/api_client.h"
#include "k8s/reflector.h"
#include "server/object_forwarder.h"

namespace contour::server {

struct KubernetesSourceOptions {
  // Secrets are watched only in these namespaces (Contour's IngressRoute root namespaces);
  // empty: everywhere.
  std::vector<std::string> secret_namespaces;
  k8s::ReflectorOptions reflector;
  // More Secrets than this asked for at once are listed rather than fetched one by one.
  size_t secret_list_threshold = 50;
};

struct KubernetesSourceStats {
  k8s::ReflectorStats reflectors;  // summed over every kind
  ForwarderStats forwarded;        // summed over every kind
  uint64_t secret_fetches = 0;     // Secrets fetched on request
};

class KubernetesSource : public controller::SecretSupplier {
 public:
  static constexpr char kSourceName[] = "kubernetes";

  // `client` and `sink` must outlive the source.
  KubernetesSource(k8s::ApiClient& client, controller::ObjectSink& sink,
                   KubernetesSourceOptions options = {});
  // Stops (see Stop).
  ~KubernetesSource() override;
  KubernetesSource(const KubernetesSource&) = delete;
  KubernetesSource& operator=(const KubernetesSource&) = delete;

  // Starts the threads and returns; the sink hears Synced("kubernetes") once every kind has
  // been listed. Once only.
  void Start();
  // Stops every thread, cutting open requests short. Idempotent.
  void Stop();

  // SecretSupplier: fetched on the source's own thread.
  void SupplySecrets(const std::vector<dag::ObjectKey>& keys) override;
  bool AnswersEveryKey() const override { return true; }

  // Every kind has been listed once (Synced has been sent).
  bool synced() const;
  // The Ingress version in use, once discovered ("" before).
  std::string ingress_api_version() const;
  KubernetesSourceStats stats() const;

 private:
  struct Watched {
    std::unique_ptr<ObjectForwarder> forwarder;
    std::unique_ptr<k8s::Reflector> reflector;
    std::jthread thread;
  };

  // The start-up sequence, then serving SupplySecrets requests.
  void Run(std::stop_token stop);
  absl::StatusOr<std::string> DiscoverIngressVersion();
  // Starts a reflector for `spec` into a forwarder of `kind`; the caller holds no lock.
  Watched& Watch(k8s::ResourceSpec spec);
  // Waits until every forwarder listed so far has synced; false on stop.
  bool WaitForSynced(std::stop_token stop);
  // The forwarder of Secrets in that namespace; null when it is not watched (or not yet).
  ObjectForwarder* SecretForwarderFor(const std::string& namespace_) const;
  void FetchSecrets(std::stop_token stop, const std::vector<dag::ObjectKey>& keys);
  // Lists Secrets, offering those in `keys` and taking them out of it; when complete, answers
  // the rest as absent. Leaves in `keys` only what a failed list could not look at.
  void ListSecrets(std::set<dag::ObjectKey>& keys,
                   const std::function<ObjectForwarder*(const std::string&)>& forwarder_for);

  k8s::ApiClient& client_;
  controller::ObjectSink& sink_;
  const KubernetesSourceOptions options_;
  SecretInterest interest_;

  mutable absl::Mutex mu_;
  std::vector<dag::ObjectKey> supply_queue_ ABSL_GUARDED_BY(mu_);
  bool synced_ ABSL_GUARDED_BY(mu_) = false;
  std::string ingress_api_version_ ABSL_GUARDED_BY(mu_);
  uint64_t secret_fetches_ ABSL_GUARDED_BY(mu_) = 0;
  // Filled by Run's thread only; read by stats() under mu_.
  std::vector<std::unique_ptr<Watched>> watched_ ABSL_GUARDED_BY(mu_);
  // Forwarders of Secrets (one per watched namespace), for fetched Secrets.
  std::vector<ObjectForwarder*> secret_forwarders_ ABSL_GUARDED_BY(mu_);

  std::jthread thread_;  // Run; declared last so that it stops first
};

}  // namespace contour::server

#endif  // CONTOUR_SERVER_KUBERNETES_SOURCE_H_
