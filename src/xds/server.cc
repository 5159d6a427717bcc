#include "xds/server.h"

#include <utility>

#include "grpcpp/security/auth_context.h"
#include "grpcpp/support/byte_buffer.h"
#include "grpcpp/support/proto_buffer_reader.h"
#include "spdlog/spdlog.h"

namespace contour::xds {
namespace {

namespace discovery_v3 = envoy::service::discovery::v3;

struct MethodInfo {
  StreamKind kind;
  bool delta;
  std::optional<ResourceType> type;
};

std::optional<MethodInfo> LookupMethod(const std::string& method) {
  struct Entry {
    std::string_view service;
    std::string_view sotw;
    std::string_view delta;
    std::optional<ResourceType> type;
  };
  static constexpr std::array<Entry, 6> kEntries = {{
      {"envoy.service.discovery.v3.AggregatedDiscoveryService", "StreamAggregatedResources",
       "DeltaAggregatedResources", std::nullopt},
      {"envoy.service.listener.v3.ListenerDiscoveryService", "StreamListeners", "DeltaListeners",
       ResourceType::kListener},
      {"envoy.service.route.v3.RouteDiscoveryService", "StreamRoutes", "DeltaRoutes",
       ResourceType::kRoute},
      {"envoy.service.cluster.v3.ClusterDiscoveryService", "StreamClusters", "DeltaClusters",
       ResourceType::kCluster},
      {"envoy.service.endpoint.v3.EndpointDiscoveryService", "StreamEndpoints", "DeltaEndpoints",
       ResourceType::kEndpoint},
      {"envoy.service.secret.v3.SecretDiscoveryService", "StreamSecrets", "DeltaSecrets",
       ResourceType::kSecret},
  }};
  std::string_view path = method;
  if (path.empty() || path[0] != '/') return std::nullopt;
  path.remove_prefix(1);
  const size_t slash = path.find('/');
  if (slash == std::string_view::npos) return std::nullopt;
  const std::string_view service = path.substr(0, slash);
  const std::string_view name = path.substr(slash + 1);
  for (const Entry& entry : kEntries) {
    if (entry.service != service) continue;
    const StreamKind kind = entry.type.has_value() ? StreamKind::kPerType : StreamKind::kAggregated;
    if (name == entry.sotw) return MethodInfo{kind, false, entry.type};
    if (name == entry.delta) return MethodInfo{kind, true, entry.type};
  }
  return std::nullopt;
}

// One slice that owns the encoded response: gRPC sends it without copying.
grpc::ByteBuffer ToByteBuffer(std::string bytes) {
  auto* owned = new std::string(std::move(bytes));
  grpc::Slice slice(
      owned->data(), owned->size(), [](void* p) { delete static_cast<std::string*>(p); }, owned);
  return grpc::ByteBuffer(&slice, 1);
}

template <typename Message>
bool Parse(grpc::ByteBuffer& buffer, Message& message) {
  grpc::ProtoBufferReader reader(&buffer);
  return message.ParseFromZeroCopyStream(&reader);
}

constexpr size_t kGrpcDefaultMaxMessage = 4 << 20;

class Reactor;

}  // namespace

// A stream's state, shared by its reactor (which gRPC owns) and the server (which notifies it).
class XdsStream : public std::enable_shared_from_this<XdsStream> {
 public:
  XdsStream(XdsServer& server, MethodInfo method, std::shared_ptr<const ServedState> served,
            bool withhold_secrets)
      : server_(server),
        state_(method.kind, method.delta, method.type),
        served_(std::move(served)) {
    if (withhold_secrets) state_.WithholdSecrets();
  }

  // False when the stream was ended (CloseAllStreams) before it had a reactor: the reactor is
  // finished now, and must not start reading.
  bool Attach(grpc::ServerGenericBidiReactor* reactor) {
    {
      absl::MutexLock lock(&mu_);
      reactor_ = reactor;
      if (!finishing_) return true;
      finish_sent_ = true;
    }
    reactor->Finish(finish_status_);
    return false;
  }
  void Detach() {
    absl::MutexLock lock(&mu_);
    reactor_ = nullptr;
  }

  // A request arrived; false ends the stream.
  bool OnRequest(grpc::ByteBuffer& buffer) {
    absl::StatusOr<RequestOutcome> outcome;
    std::string node;
    {
      absl::MutexLock lock(&mu_);
      if (state_.delta()) {
        discovery_v3::DeltaDiscoveryRequest request;
        if (!Parse(buffer, request)) {
          outcome = absl::InvalidArgumentError("cannot parse DeltaDiscoveryRequest");
        } else {
          outcome = state_.OnDeltaRequest(request);
        }
      } else {
        // Parsed into the same message each time: protobuf reuses the strings of the names,
        // so an ACK that repeats a long subscription allocates nothing.
        if (!Parse(buffer, request_)) {
          outcome = absl::InvalidArgumentError("cannot parse DiscoveryRequest");
        } else {
          outcome = state_.OnRequest(request_);
        }
      }
      node = state_.node_id();
    }
    if (!outcome.ok()) {
      spdlog::warn("xDS stream from node \"{}\" ended: {}", node,
                   std::string(outcome.status().message()));
      Finish(grpc::Status(grpc::StatusCode::INVALID_ARGUMENT,
                          std::string(outcome.status().message())));
      return false;
    }
    if (outcome->nack) {
      server_.CountNack(outcome->type);
      spdlog::warn("xDS NACK from node \"{}\" for {}: {}", node, ShortTypeName(outcome->type),
                   outcome->nack_message);
    }
    MaybeWrite();
    return true;
  }

  // The server published `served`, in which `types` may differ (for endpoints, only `names`).
  void Publish(std::shared_ptr<const ServedState> served, const std::vector<ResourceType>& types,
               const std::vector<std::string>* names) {
    {
      absl::MutexLock lock(&mu_);
      served_ = std::move(served);
      for (ResourceType type : types) state_.OnChanged(type, names);
    }
    MaybeWrite();
  }

  // Starts the next write unless one is in flight or the stream is ending.
  void MaybeWrite() {
    grpc::ServerGenericBidiReactor* reactor = nullptr;
    std::optional<OutgoingResponse> response;
    size_t size = 0;
    {
      absl::MutexLock lock(&mu_);
      if (reactor_ == nullptr || finishing_ || write_in_flight_) return;
      // The state and the change flags are updated together under this lock (Publish), so a
      // response never answers newer flags from an older state; and no stream takes the
      // server's lock to find the state.
      response = state_.NextResponse(*served_);
      if (!response.has_value()) return;
      write_in_flight_ = true;
      reactor = reactor_;
      size = response->bytes.size();
      write_buffer_ = ToByteBuffer(std::move(response->bytes));
    }
    server_.CountResponse(response->type, size);
    reactor->StartWrite(&write_buffer_);
  }

  void OnWriteDone(bool ok) {
    grpc::ServerGenericBidiReactor* reactor = nullptr;
    grpc::Status status;
    {
      absl::MutexLock lock(&mu_);
      write_in_flight_ = false;
      write_buffer_.Clear();
      if (finishing_ && !finish_sent_) {
        finish_sent_ = true;
        reactor = reactor_;
        status = finish_status_;
      }
    }
    if (reactor != nullptr) {
      reactor->Finish(status);
      return;
    }
    if (ok) MaybeWrite();
  }

  // Ends the stream once any write in flight is done.
  void Finish(grpc::Status status) {
    grpc::ServerGenericBidiReactor* reactor = nullptr;
    {
      absl::MutexLock lock(&mu_);
      if (finishing_) return;
      finishing_ = true;
      finish_status_ = std::move(status);
      if (write_in_flight_ || reactor_ == nullptr) return;
      finish_sent_ = true;
      reactor = reactor_;
    }
    reactor->Finish(finish_status_);
  }

 private:
  XdsServer& server_;
  absl::Mutex mu_;
  StreamState state_ ABSL_GUARDED_BY(mu_);
  std::shared_ptr<const ServedState> served_ ABSL_GUARDED_BY(mu_);
  discovery_v3::DiscoveryRequest request_ ABSL_GUARDED_BY(mu_);
  grpc::ServerGenericBidiReactor* reactor_ ABSL_GUARDED_BY(mu_) = nullptr;
  bool write_in_flight_ ABSL_GUARDED_BY(mu_) = false;
  bool finishing_ ABSL_GUARDED_BY(mu_) = false;
  bool finish_sent_ ABSL_GUARDED_BY(mu_) = false;
  grpc::Status finish_status_;     // written once, before finish_sent_
  grpc::ByteBuffer write_buffer_;  // owned by the write in flight
};

namespace {

class Reactor : public grpc::ServerGenericBidiReactor {
 public:
  Reactor(XdsServer& server, std::shared_ptr<XdsStream> stream,
          std::function<void(XdsStream*)> on_done)
      : stream_(std::move(stream)), on_done_(std::move(on_done)) {
    if (stream_->Attach(this)) StartRead(&read_buffer_);
  }

  void OnReadDone(bool ok) override {
    if (!ok) {  // the client closed its side, or the call is gone
      stream_->Finish(grpc::Status::OK);
      return;
    }
    if (stream_->OnRequest(read_buffer_)) {
      read_buffer_.Clear();
      StartRead(&read_buffer_);
    }
  }

  void OnWriteDone(bool ok) override { stream_->OnWriteDone(ok); }

  void OnDone() override {
    stream_->Detach();
    on_done_(stream_.get());
    delete this;
  }

 private:
  std::shared_ptr<XdsStream> stream_;
  std::function<void(XdsStream*)> on_done_;
  grpc::ByteBuffer read_buffer_;
};

bool PeerAuthenticated(const grpc::GenericCallbackServerContext& context) {
  std::shared_ptr<const grpc::AuthContext> auth = context.auth_context();
  return auth != nullptr && auth->IsPeerAuthenticated();
}

class Refuse : public grpc::ServerGenericBidiReactor {
 public:
  explicit Refuse(grpc::Status status) { Finish(std::move(status)); }
  void OnDone() override { delete this; }
};

}  // namespace

XdsServer::XdsServer(size_t fan_out_threads) : fan_out_(fan_out_threads) {}

size_t XdsServer::DefaultFanOutThreads() {
  const size_t cores = std::thread::hardware_concurrency();
  return cores <= 1 ? 0 : std::min<size_t>(cores - 1, 3);
}

XdsServer::~XdsServer() = default;

grpc::ServerGenericBidiReactor* XdsServer::CreateReactor(
    grpc::GenericCallbackServerContext* context) {
  std::optional<MethodInfo> method = LookupMethod(context->method());
  if (!method.has_value()) {
    return new Refuse(grpc::Status(grpc::StatusCode::UNIMPLEMENTED,
                                   "contour does not serve " + context->method()));
  }
  const bool withhold_secrets = withhold_unauthenticated_secrets_.load(std::memory_order_relaxed) &&
                                !PeerAuthenticated(*context);
  if (withhold_secrets) secrets_withheld_streams_.fetch_add(1, std::memory_order_relaxed);
  std::shared_ptr<XdsStream> stream;
  {
    // Registered with the state of the moment: every later publish reaches it.
    absl::MutexLock lock(&mu_);
    if (closing_) {
      return new Refuse(grpc::Status(grpc::StatusCode::UNAVAILABLE, "contour is shutting down"));
    }
    stream = std::make_shared<XdsStream>(*this, *method, served_, withhold_secrets);
    streams_[stream.get()] = stream;
  }
  streams_total_.fetch_add(1, std::memory_order_relaxed);
  return new Reactor(*this, std::move(stream), [this](XdsStream* done) { Unregister(done); });
}

void XdsServer::Unregister(XdsStream* stream) {
  std::shared_ptr<XdsStream> last_reference;  // released after the lock
  absl::MutexLock lock(&mu_);
  auto found = streams_.find(stream);
  if (found == streams_.end()) return;
  last_reference = std::move(found->second);
  streams_.erase(found);
}

std::vector<std::shared_ptr<XdsStream>> XdsServer::Streams() const {
  absl::MutexLock lock(&mu_);
  return StreamsLocked();
}

std::vector<std::shared_ptr<XdsStream>> XdsServer::StreamsLocked() const {
  std::vector<std::shared_ptr<XdsStream>> streams;
  streams.reserve(streams_.size());
  for (const auto& [raw, stream] : streams_) streams.push_back(stream);
  return streams;
}

std::shared_ptr<const ServedState> XdsServer::Served() const {
  absl::MutexLock lock(&mu_);
  return served_;
}

void XdsServer::PublishSnapshot(SnapshotPtr snapshot) {
  std::vector<ResourceType> changed;
  std::shared_ptr<const ServedState> served;
  std::vector<std::shared_ptr<XdsStream>> streams;
  {
    absl::MutexLock lock(&mu_);
    auto next = std::make_shared<ServedState>(*served_);
    for (ResourceType type : kAllResourceTypes) {
      if (type == ResourceType::kEndpoint) continue;
      const int index = static_cast<int>(type);
      if (served_->snapshot == nullptr ||
          served_->snapshot->versions[index] != snapshot->versions[index]) {
        changed.push_back(type);
      }
    }
    next->snapshot = std::move(snapshot);
    served_ = std::move(next);
    served = served_;
    streams = StreamsLocked();
  }
  snapshots_.fetch_add(1, std::memory_order_relaxed);
  fan_out_.Run(streams.size(), [&](size_t i) { streams[i]->Publish(served, changed, nullptr); });
}

void XdsServer::PublishEndpoints(const EndpointChanges& changes) {
  if (changes.empty()) return;
  std::vector<std::string> names;
  names.reserve(changes.updated.size() + changes.removed.size());
  std::shared_ptr<const ServedState> served;
  std::vector<std::shared_ptr<XdsStream>> streams;
  {
    absl::MutexLock lock(&mu_);
    for (const ResourcePtr& resource : changes.updated) names.push_back(resource->name);
    names.insert(names.end(), changes.removed.begin(), changes.removed.end());
    auto next = std::make_shared<ServedState>(*served_);
    next->endpoints = served_->endpoints.With(changes);
    next->endpoints_version = std::to_string(++endpoints_version_);
    served_ = std::move(next);
    served = served_;
    streams = StreamsLocked();
  }
  endpoint_updates_.fetch_add(1, std::memory_order_relaxed);
  const std::vector<ResourceType> types = {ResourceType::kEndpoint};
  fan_out_.Run(streams.size(), [&](size_t i) { streams[i]->Publish(served, types, &names); });
}

void XdsServer::CloseAllStreams() {
  {
    absl::MutexLock lock(&mu_);
    closing_ = true;
  }
  for (const auto& stream : Streams()) {
    stream->Finish(grpc::Status(grpc::StatusCode::UNAVAILABLE, "contour is shutting down"));
  }
}

void XdsServer::ReopenStreams() {
  absl::MutexLock lock(&mu_);
  closing_ = false;
}

void XdsServer::CountResponse(ResourceType type, size_t bytes) {
  const int index = static_cast<int>(type);
  responses_[index].fetch_add(1, std::memory_order_relaxed);
  bytes_sent_.fetch_add(bytes, std::memory_order_relaxed);
  if (bytes > kGrpcDefaultMaxMessage && !warned_large_[index].exchange(true)) {
    // Envoy takes any size; gRPC-based clients (contour cli raises its limit) refuse > 4 MiB.
    spdlog::warn("an {} response of {} bytes exceeds gRPC's default 4 MiB receive limit",
                 ShortTypeName(type), bytes);
  }
}

void XdsServer::CountNack(ResourceType type) {
  nacks_[static_cast<int>(type)].fetch_add(1, std::memory_order_relaxed);
}

XdsServerStats XdsServer::Stats() const {
  XdsServerStats stats;
  {
    absl::MutexLock lock(&mu_);
    stats.streams_open = streams_.size();
  }
  stats.streams_total = streams_total_.load();
  for (int i = 0; i < kResourceTypeCount; ++i) {
    stats.responses[i] = responses_[i].load();
    stats.nacks[i] = nacks_[i].load();
  }
  stats.bytes_sent = bytes_sent_.load();
  stats.snapshots = snapshots_.load();
  stats.endpoint_updates = endpoint_updates_.load();
  stats.secrets_withheld_streams = secrets_withheld_streams_.load();
  return stats;
}

}  // namespace contour::xds
