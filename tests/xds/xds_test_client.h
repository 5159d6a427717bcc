// An xDS client for tests, over the generated typed stubs and gRPC's callback API (no thread
// per stream, so hundreds of streams are cheap). Responses queue up until the test takes them;
// every wait is bounded (a failure guard) and ends as soon as its condition holds.
#ifndef CONTOUR_TESTS_XDS_XDS_TEST_CLIENT_H_
#define CONTOUR_TESTS_XDS_XDS_TEST_CLIENT_H_

#include <deque>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <utility>

#include "absl/base/thread_annotations.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "envoy/service/cluster/v3/cds.grpc.pb.h"
#include "envoy/service/discovery/v3/ads.grpc.pb.h"
#include "envoy/service/endpoint/v3/eds.grpc.pb.h"
#include "envoy/service/listener/v3/lds.grpc.pb.h"
#include "envoy/service/route/v3/rds.grpc.pb.h"
#include "envoy/service/secret/v3/sds.grpc.pb.h"
#include "grpcpp/create_channel.h"
#include "grpcpp/security/credentials.h"
#include "grpcpp/support/client_callback.h"
#include "xds/resource.h"

namespace contour::xds::xdstest {

// Long enough never to fire on a loaded machine; only a failing test waits this long.
inline constexpr absl::Duration kWait = absl::Seconds(30);

template <typename Request, typename Response>
class TestStream : public grpc::ClientBidiReactor<Request, Response> {
 public:
  using Reactor = grpc::ClientBidiReactor<Request, Response>;
  using Starter = std::function<void(grpc::ClientContext*, Reactor*)>;

  // Opens the stream. A stream made with `read` false never reads: what it is sent stays in
  // flow control, as with an Envoy that has stopped reading.
  //
  // Send, WaitDone and the destructor are called from one thread (the test's). Send starts
  // writes from outside gRPC's reactions, which is only allowed while a hold keeps the call
  // from finishing; the hold goes when the test says it will send no more (WaitDone, or the
  // destructor). Without it a write started after the call had ended would complete after
  // OnDone, into a freed stream.
  TestStream(const Starter& start, bool read) {
    start(&context_, this);
    this->AddHold();
    if (read) this->StartRead(&incoming_);
    this->StartCall();
  }
  TestStream(const TestStream&) = delete;
  TestStream& operator=(const TestStream&) = delete;

  ~TestStream() override {
    context_.TryCancel();
    ReleaseHold();
    absl::MutexLock lock(&mu_);
    mu_.Await(absl::Condition(&done_));  // gRPC is done with this reactor
  }

  // Queues a request; requests are written in order, one at a time. Ignored after WaitDone.
  void Send(Request request) {
    {
      absl::MutexLock lock(&mu_);
      if (!held_) return;
      outgoing_.push_back(std::move(request));
      if (writing_) return;
      writing_ = true;
      writing_now_ = outgoing_.front();
    }
    this->StartWrite(&writing_now_);
  }

  // The next response, or nullopt if the stream ends (or the guard expires) first.
  std::optional<Response> Next(absl::Duration timeout = kWait) {
    absl::MutexLock lock(&mu_);
    mu_.AwaitWithTimeout(absl::Condition(this, &TestStream::HasResponseOrEnded), timeout);
    if (received_.empty()) return std::nullopt;
    Response response = std::move(received_.front());
    received_.pop_front();
    return response;
  }

  // Waits for the stream to end; its status, or nullopt if it has not ended. Nothing is sent
  // after this.
  std::optional<grpc::Status> WaitDone(absl::Duration timeout = kWait) {
    ReleaseHold();
    absl::MutexLock lock(&mu_);
    if (!mu_.AwaitWithTimeout(absl::Condition(&done_), timeout)) return std::nullopt;
    return status_;
  }

  // Ends the stream from the client's side; a Next that waits returns.
  void Cancel() { context_.TryCancel(); }

  // Responses received and not yet taken.
  size_t pending() {
    absl::MutexLock lock(&mu_);
    return received_.size();
  }

 private:
  void ReleaseHold() {
    {
      absl::MutexLock lock(&mu_);
      if (!held_) return;
      held_ = false;
    }
    this->RemoveHold();
  }

  void OnReadDone(bool ok) override {
    if (!ok) {
      absl::MutexLock lock(&mu_);
      read_ended_ = true;
      return;
    }
    {
      absl::MutexLock lock(&mu_);
      received_.push_back(std::move(incoming_));
    }
    incoming_.Clear();
    this->StartRead(&incoming_);
  }

  void OnWriteDone(bool ok) override {
    {
      absl::MutexLock lock(&mu_);
      outgoing_.pop_front();
      if (!ok || outgoing_.empty()) {
        writing_ = false;
        return;
      }
      writing_now_ = outgoing_.front();
    }
    this->StartWrite(&writing_now_);
  }

  void OnDone(const grpc::Status& status) override {
    absl::MutexLock lock(&mu_);
    status_ = status;
    done_ = true;
  }

  bool HasResponseOrEnded() const ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
    return !received_.empty() || read_ended_ || done_;
  }

  grpc::ClientContext context_;
  Response incoming_;    // owned by the read in flight
  Request writing_now_;  // owned by the write in flight
  absl::Mutex mu_;
  std::deque<Request> outgoing_ ABSL_GUARDED_BY(mu_);
  bool held_ ABSL_GUARDED_BY(mu_) = true;  // the hold taken before StartCall
  bool writing_ ABSL_GUARDED_BY(mu_) = false;
  std::deque<Response> received_ ABSL_GUARDED_BY(mu_);
  bool read_ended_ ABSL_GUARDED_BY(mu_) = false;
  bool done_ ABSL_GUARDED_BY(mu_) = false;
  grpc::Status status_ ABSL_GUARDED_BY(mu_);
};

using SotwStream = TestStream<envoy::service::discovery::v3::DiscoveryRequest,
                              envoy::service::discovery::v3::DiscoveryResponse>;
using DeltaStream = TestStream<envoy::service::discovery::v3::DeltaDiscoveryRequest,
                               envoy::service::discovery::v3::DeltaDiscoveryResponse>;

// A channel of its own (its own connection, as each Envoy has), with no receive limit.
inline std::shared_ptr<grpc::Channel> NewChannel(int port) {
  grpc::ChannelArguments args;
  args.SetMaxReceiveMessageSize(-1);
  args.SetInt(GRPC_ARG_USE_LOCAL_SUBCHANNEL_POOL, 1);
  return grpc::CreateCustomChannel("127.0.0.1:" + std::to_string(port),
                                   grpc::InsecureChannelCredentials(), args);
}

// Stubs for every discovery service on one channel.
class XdsTestClient {
 public:
  explicit XdsTestClient(std::shared_ptr<grpc::Channel> channel)
      : channel_(std::move(channel)),
        ads_(channel_),
        lds_(channel_),
        rds_(channel_),
        cds_(channel_),
        eds_(channel_),
        sds_(channel_) {}

  std::unique_ptr<SotwStream> Ads(bool read = true) {
    return std::make_unique<SotwStream>(
        [this](auto* context, auto* reactor) {
          ads_.async()->StreamAggregatedResources(context, reactor);
        },
        read);
  }
  std::unique_ptr<DeltaStream> DeltaAds(bool read = true) {
    return std::make_unique<DeltaStream>(
        [this](auto* context, auto* reactor) {
          ads_.async()->DeltaAggregatedResources(context, reactor);
        },
        read);
  }

  // The per-type service of `type`.
  std::unique_ptr<SotwStream> PerType(ResourceType type, bool read = true) {
    return std::make_unique<SotwStream>(
        [this, type](auto* context, auto* reactor) {
          switch (type) {
            case ResourceType::kListener:
              return lds_.async()->StreamListeners(context, reactor);
            case ResourceType::kRoute:
              return rds_.async()->StreamRoutes(context, reactor);
            case ResourceType::kCluster:
              return cds_.async()->StreamClusters(context, reactor);
            case ResourceType::kEndpoint:
              return eds_.async()->StreamEndpoints(context, reactor);
            case ResourceType::kSecret:
              return sds_.async()->StreamSecrets(context, reactor);
          }
        },
        read);
  }
  std::unique_ptr<DeltaStream> DeltaPerType(ResourceType type, bool read = true) {
    return std::make_unique<DeltaStream>(
        [this, type](auto* context, auto* reactor) {
          switch (type) {
            case ResourceType::kListener:
              return lds_.async()->DeltaListeners(context, reactor);
            case ResourceType::kRoute:
              return rds_.async()->DeltaRoutes(context, reactor);
            case ResourceType::kCluster:
              return cds_.async()->DeltaClusters(context, reactor);
            case ResourceType::kEndpoint:
              return eds_.async()->DeltaEndpoints(context, reactor);
            case ResourceType::kSecret:
              return sds_.async()->DeltaSecrets(context, reactor);
          }
        },
        read);
  }

  envoy::service::cluster::v3::ClusterDiscoveryService::Stub& cds() { return cds_; }

 private:
  std::shared_ptr<grpc::Channel> channel_;
  envoy::service::discovery::v3::AggregatedDiscoveryService::Stub ads_;
  envoy::service::listener::v3::ListenerDiscoveryService::Stub lds_;
  envoy::service::route::v3::RouteDiscoveryService::Stub rds_;
  envoy::service::cluster::v3::ClusterDiscoveryService::Stub cds_;
  envoy::service::endpoint::v3::EndpointDiscoveryService::Stub eds_;
  envoy::service::secret::v3::SecretDiscoveryService::Stub sds_;
};

// Polls `condition` until it holds; false if the guard expires first. For conditions that only
// counters show (e.g. that the server has processed a request).
inline bool WaitUntil(const std::function<bool()>& condition, absl::Duration timeout = kWait) {
  const absl::Time deadline = absl::Now() + timeout;
  while (!condition()) {
    if (absl::Now() > deadline) return false;
    absl::SleepFor(absl::Milliseconds(1));
  }
  return true;
}

}  // namespace contour::xds::xdstest

#endif  // CONTOUR_TESTS_XDS_XDS_TEST_CLIENT_H_
