// The xDS server: every Envoy v3 discovery service (ADS and the per-type LDS, RDS, CDS, EDS and
// SDS, state of the world and delta) on one gRPC callback service, so that no stream holds a
// thread. Each stream has at most one write in flight; while it waits, changes coalesce, and the
// next response is made from the newest state. A client that does not read delays only itself.
#ifndef CONTOUR_XDS_SERVER_H_
#define CONTOUR_XDS_SERVER_H_

#include <array>
#include <atomic>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/container/flat_hash_map.h"
#include "absl/synchronization/mutex.h"
#include "grpcpp/generic/async_generic_service.h"
#include "xds/endpoint_table.h"
#include "xds/fan_out.h"
#include "xds/snapshot.h"
#include "xds/stream_state.h"

namespace contour::xds {

class XdsStream;

struct XdsServerStats {
  uint64_t streams_open = 0;
  uint64_t streams_total = 0;
  std::array<uint64_t, kResourceTypeCount> responses{};
  std::array<uint64_t, kResourceTypeCount> nacks{};
  uint64_t bytes_sent = 0;
  uint64_t snapshots = 0;
  uint64_t endpoint_updates = 0;
  uint64_t secrets_withheld_streams = 0;  // streams from unauthenticated peers
};

class XdsServer : public grpc::CallbackGenericService {
 public:
  // Publishes hand streams their responses on the caller and `fan_out_threads` helpers.
  explicit XdsServer(size_t fan_out_threads = DefaultFanOutThreads());
  static size_t DefaultFanOutThreads();
  XdsServer(const XdsServer&) = delete;
  XdsServer& operator=(const XdsServer&) = delete;
  ~XdsServer() override;

  // A new build: replaces listeners, routes, clusters and secrets for every stream.
  void PublishSnapshot(SnapshotPtr snapshot);
  // Changed ClusterLoadAssignments: only streams subscribed to them hear of it.
  void PublishEndpoints(const EndpointChanges& changes);

  // Ends every stream with UNAVAILABLE, so clients reconnect elsewhere; new streams are refused.
  void CloseAllStreams();
  // Accepts streams again after CloseAllStreams (a leader that lost the lease and won it back).
  void ReopenStreams();

  // With mutual TLS: a stream whose peer presented no verified certificate is never sent a
  // Secret (it sees none exist). Off with --insecure, where no peer is authenticated.
  void WithholdSecretsFromUnauthenticatedPeers(bool withhold) {
    withhold_unauthenticated_secrets_.store(withhold, std::memory_order_relaxed);
  }

  XdsServerStats Stats() const;
  std::shared_ptr<const ServedState> Served() const;

  grpc::ServerGenericBidiReactor* CreateReactor(
      grpc::GenericCallbackServerContext* context) override;

 private:
  friend class XdsStream;
  void Unregister(XdsStream* stream);
  void CountResponse(ResourceType type, size_t bytes);
  void CountNack(ResourceType type);
  std::vector<std::shared_ptr<XdsStream>> Streams() const;
  std::vector<std::shared_ptr<XdsStream>> StreamsLocked() const ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);

  mutable absl::Mutex mu_;
  std::shared_ptr<const ServedState> served_ ABSL_GUARDED_BY(mu_) = std::make_shared<ServedState>();
  absl::flat_hash_map<XdsStream*, std::shared_ptr<XdsStream>> streams_ ABSL_GUARDED_BY(mu_);
  bool closing_ ABSL_GUARDED_BY(mu_) = false;
  uint64_t endpoints_version_ ABSL_GUARDED_BY(mu_) = 0;

  std::atomic<uint64_t> streams_total_{0};
  std::array<std::atomic<uint64_t>, kResourceTypeCount> responses_{};
  std::array<std::atomic<uint64_t>, kResourceTypeCount> nacks_{};
  std::atomic<uint64_t> bytes_sent_{0};
  std::atomic<uint64_t> snapshots_{0};
  std::atomic<uint64_t> endpoint_updates_{0};
  std::atomic<uint64_t> secrets_withheld_streams_{0};
  std::atomic<bool> withhold_unauthenticated_secrets_{false};
  std::array<std::atomic<bool>, kResourceTypeCount> warned_large_{};
  FanOut fan_out_;
};

}  // namespace contour::xds

#endif  // CONTOUR_XDS_SERVER_H_
