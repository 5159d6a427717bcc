// Prints xDS fan-out figures: (1) one Endpoints change pushed to N concurrent state-of-the-world
// EDS streams while 10,000 clusters are served: time until each and the last subscribed stream
// has it, bytes sent and the server's CPU seconds; (2) the full LDS/RDS/CDS state of 10,000
// routes pushed to M aggregated streams, at connection and after a change.
//
// The clients run in a child process (forked before gRPC starts) so that the CPU figures are the
// server's alone; both sides use CLOCK_MONOTONIC, which is shared by the two processes.
//
// Usage: bench_xds [EDS_STREAMS=1000] [CLUSTERS=10000] [NAMES_PER_STREAM=100] [ROUNDS=20]
//                  [ADS_STREAMS=100] [PIN=0]
// PIN=1 runs the server on CPU 0 and the clients on CPU 1: the server's figures with a core of
// its own, as when the Envoys are on other machines (without it, both use both cores).
#include <sched.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cstdio>
#include <cstdlib>
#include <deque>
#include <memory>
#include <random>
#include <string>
#include <vector>

#include "absl/synchronization/mutex.h"
#include "common/allocator.h"
#include "common/process_settings.h"
#include "dag/builder.h"
#include "dag/cache.h"
#include "envoy/service/discovery/v3/ads.grpc.pb.h"
#include "envoy/service/endpoint/v3/eds.grpc.pb.h"
#include "grpcpp/grpcpp.h"
#include "k8s/decode.h"
#include "server/offline_pipeline.h"
#include "xds/endpoint_table.h"
#include "xds/grpc_server.h"
#include "xds/server.h"
#include "xds/snapshot.h"

namespace {

namespace discovery_v3 = envoy::service::discovery::v3;

constexpr char kEdsType[] = "type.googleapis.com/envoy.config.endpoint.v3.ClusterLoadAssignment";
constexpr char kCdsType[] = "type.googleapis.com/envoy.config.cluster.v3.Cluster";
constexpr char kLdsType[] = "type.googleapis.com/envoy.config.listener.v3.Listener";
constexpr char kRdsType[] = "type.googleapis.com/envoy.config.route.v3.RouteConfiguration";

int64_t MonotonicNanos() {
  timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return static_cast<int64_t>(ts.tv_sec) * 1000000000 + ts.tv_nsec;
}

double CpuSeconds() {
  rusage usage;
  getrusage(RUSAGE_SELF, &usage);
  return usage.ru_utime.tv_sec + usage.ru_stime.tv_sec +
         (usage.ru_utime.tv_usec + usage.ru_stime.tv_usec) / 1e6;
}

long PeakRssMb() {
  rusage usage;
  getrusage(RUSAGE_SELF, &usage);
  return usage.ru_maxrss / 1024;
}

void WriteAll(int fd, const void* data, size_t size) {
  const char* p = static_cast<const char*>(data);
  while (size > 0) {
    ssize_t n = write(fd, p, size);
    if (n <= 0) std::abort();
    p += n;
    size -= static_cast<size_t>(n);
  }
}

void ReadAll(int fd, void* data, size_t size) {
  char* p = static_cast<char*>(data);
  while (size > 0) {
    ssize_t n = read(fd, p, size);
    if (n <= 0) std::abort();
    p += n;
    size -= static_cast<size_t>(n);
  }
}

std::string ServiceName(int i) { return "svc-" + std::to_string(i); }
std::string AssignmentName(int i) { return "bench/" + ServiceName(i) + "/http"; }

std::string ServiceManifests(int i, const std::string& ip) {
  const std::string name = ServiceName(i);
  return "apiVersion: v1\nkind: Service\nmetadata:\n  name: " + name +
         "\n  namespace: bench\nspec:\n  ports:\n  - name: http\n    port: 80\n"
         "    targetPort: 8080\n---\n"
         "apiVersion: v1\nkind: Endpoints\nmetadata:\n  name: " +
         name + "\n  namespace: bench\nsubsets:\n- addresses:\n  - ip: " + ip +
         "\n  ports:\n  - name: http\n    port: 8080\n---\n"
         "apiVersion: networking.k8s.io/v1\nkind: Ingress\nmetadata:\n  name: " +
         name + "\n  namespace: bench\nspec:\n  rules:\n  - host: " + name +
         ".example.com\n    http:\n      paths:\n      - path: /\n        pathType: Prefix\n"
         "        backend:\n          service:\n            name: " +
         name + "\n            port:\n              number: 80\n---\n";
}

std::string Ip(int i, int round) {
  return "10." + std::to_string(round & 255) + "." + std::to_string((i >> 8) & 255) + "." +
         std::to_string(i & 255);
}

struct Percentiles {
  double p50 = 0, p99 = 0, max = 0;
};

Percentiles Summarize(std::vector<double> values) {
  Percentiles p;
  if (values.empty()) return p;
  std::sort(values.begin(), values.end());
  auto at = [&](double q) {
    size_t index = static_cast<size_t>(q * static_cast<double>(values.size() - 1) + 0.5);
    return values[std::min(index, values.size() - 1)];
  };
  p.p50 = at(0.5);
  p.p99 = at(0.99);
  p.max = values.back();
  return p;
}

// ---- clients (child process) -------------------------------------------------------------

// Counts, per stream, the responses that complete a round, and wakes the waiter at N.
class Tracker {
 public:
  explicit Tracker(int streams) : received_at_(streams, 0), done_(streams, false) {}

  void Reset(uint32_t need_mask) {
    absl::MutexLock lock(&mu_);
    std::fill(received_at_.begin(), received_at_.end(), 0);
    std::fill(done_.begin(), done_.end(), false);
    seen_.assign(received_at_.size(), 0);
    need_mask_ = need_mask;
    complete_ = 0;
  }

  void OnResponse(int stream, uint32_t type_bit, int64_t now) {
    absl::MutexLock lock(&mu_);
    if (done_[stream]) return;
    seen_[stream] |= type_bit;
    if ((seen_[stream] & need_mask_) != need_mask_) return;
    done_[stream] = true;
    received_at_[stream] = now;
    ++complete_;
  }

  bool WaitAll(absl::Duration timeout) {
    absl::MutexLock lock(&mu_);
    return mu_.AwaitWithTimeout(absl::Condition(this, &Tracker::AllDone), timeout);
  }

  std::vector<int64_t> Times() {
    absl::MutexLock lock(&mu_);
    return received_at_;
  }

 private:
  bool AllDone() const ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
    return complete_ >= static_cast<int>(received_at_.size());
  }

  absl::Mutex mu_;
  std::vector<int64_t> received_at_;
  std::vector<bool> done_;
  std::vector<uint32_t> seen_;
  uint32_t need_mask_ = 0;
  int complete_ = 0;
};

uint32_t TypeBit(const std::string& type_url) {
  if (type_url == kCdsType) return 1;
  if (type_url == kEdsType) return 2;
  if (type_url == kLdsType) return 4;
  if (type_url == kRdsType) return 8;
  return 0;
}

// A well-behaved SotW client: subscribes, ACKs every response. Each subscription's message is
// kept and re-sent as the ACK with only the version and nonce changed, as Envoy does: copying its
// resource names per ACK made this process, which stands in for Envoys on other machines, take
// more of the shared cores than the server.
class ClientStream : public grpc::ClientBidiReactor<discovery_v3::DiscoveryRequest,
                                                    discovery_v3::DiscoveryResponse> {
 public:
  ClientStream(int index, Tracker& tracker, std::vector<discovery_v3::DiscoveryRequest> initial)
      : index_(index), tracker_(tracker), subscriptions_(std::move(initial)) {
    for (size_t i = 0; i < subscriptions_.size(); ++i) pending_.push_back(Pending{i, "", ""});
  }

  void Begin() {
    StartRead(&response_);
    SendNext();
    StartCall();
  }

  void OnReadDone(bool ok) override {
    if (!ok) return;
    const int64_t now = MonotonicNanos();
    tracker_.OnResponse(index_, TypeBit(response_.type_url()), now);
    for (size_t i = 0; i < subscriptions_.size(); ++i) {
      if (subscriptions_[i].type_url() != response_.type_url()) continue;
      {
        absl::MutexLock lock(&mu_);
        pending_.push_back(Pending{i, response_.version_info(), response_.nonce()});
      }
      SendNext();
    }
    StartRead(&response_);
  }

  void OnWriteDone(bool ok) override {
    {
      absl::MutexLock lock(&mu_);
      writing_ = false;
    }
    if (ok) SendNext();
  }

  void OnDone(const grpc::Status&) override {}

  grpc::ClientContext* context() { return &context_; }

 private:
  struct Pending {
    size_t subscription;
    std::string version;
    std::string nonce;
  };

  void SendNext() {
    discovery_v3::DiscoveryRequest* request = nullptr;
    {
      absl::MutexLock lock(&mu_);
      if (writing_ || pending_.empty()) return;
      writing_ = true;
      Pending next = std::move(pending_.front());
      pending_.pop_front();
      // Not in flight: one write at a time, and this one's predecessor is done.
      request = &subscriptions_[next.subscription];
      if (!next.nonce.empty()) {
        request->clear_node();
        request->set_version_info(std::move(next.version));
        request->set_response_nonce(std::move(next.nonce));
      }
    }
    StartWrite(request);
  }

  const int index_;
  Tracker& tracker_;
  grpc::ClientContext context_;
  discovery_v3::DiscoveryResponse response_;
  std::vector<discovery_v3::DiscoveryRequest> subscriptions_;  // read by OnReadDone unlocked:
                                                               // only the type is, which is fixed
  absl::Mutex mu_;
  std::deque<Pending> pending_;
  bool writing_ = false;
};

std::vector<std::shared_ptr<grpc::Channel>> Channels(int port, int count) {
  std::vector<std::shared_ptr<grpc::Channel>> channels;
  for (int i = 0; i < count; ++i) {
    grpc::ChannelArguments args;
    args.SetInt(GRPC_ARG_USE_LOCAL_SUBCHANNEL_POOL, 1);  // one connection each, as Envoys have
    args.SetMaxReceiveMessageSize(512 << 20);
    channels.push_back(grpc::CreateCustomChannel("127.0.0.1:" + std::to_string(port),
                                                 grpc::InsecureChannelCredentials(), args));
  }
  return channels;
}

// Reports a round, having armed the tracker for the next one first: the parent publishes the
// next change as soon as it reads the report.
void ReportAndReset(int to_parent, Tracker& tracker, int64_t t0, uint32_t next_mask) {
  std::vector<double> latencies;
  for (int64_t at : tracker.Times()) latencies.push_back((at - t0) / 1e6);
  tracker.Reset(next_mask);
  Percentiles p = Summarize(latencies);
  double values[3] = {p.p50, p.p99, p.max};
  WriteAll(to_parent, values, sizeof(values));
}

int RunClients(int from_parent, int to_parent, int eds_streams, int clusters, int names_per_stream,
               int rounds, int ads_streams) {
  int port = 0;
  ReadAll(from_parent, &port, sizeof(port));
  constexpr int kStreamsPerConnection = 20;
  auto channels = Channels(port, (eds_streams + kStreamsPerConnection - 1) / kStreamsPerConnection);
  std::vector<std::unique_ptr<envoy::service::endpoint::v3::EndpointDiscoveryService::Stub>> stubs;
  for (auto& channel : channels) {
    stubs.push_back(envoy::service::endpoint::v3::EndpointDiscoveryService::NewStub(channel));
  }

  // Phase 1: EDS fan-out. Every stream names the hot assignment (svc-0) and others at random.
  Tracker eds(eds_streams);
  eds.Reset(2);
  std::mt19937 random(42);
  std::vector<std::unique_ptr<ClientStream>> streams;
  for (int s = 0; s < eds_streams; ++s) {
    discovery_v3::DiscoveryRequest request;
    request.mutable_node()->set_id("bench-eds-" + std::to_string(s));
    request.set_type_url(kEdsType);
    request.add_resource_names(AssignmentName(0));
    for (int n = 1; n < names_per_stream; ++n) {
      request.add_resource_names(AssignmentName(1 + static_cast<int>(random() % (clusters - 1))));
    }
    auto stream = std::make_unique<ClientStream>(s, eds, std::vector{request});
    stubs[s / kStreamsPerConnection]->async()->StreamEndpoints(stream->context(), stream.get());
    stream->Begin();
    streams.push_back(std::move(stream));
  }
  if (!eds.WaitAll(absl::Seconds(120))) return 3;
  eds.Reset(2);
  char ready = 'R';
  WriteAll(to_parent, &ready, 1);
  for (int round = 0; round < rounds; ++round) {
    char go;
    ReadAll(from_parent, &go, 1);  // the parent is about to publish
    int64_t t0 = 0;
    ReadAll(from_parent, &t0, sizeof(t0));
    if (!eds.WaitAll(absl::Seconds(60))) return 4;
    ReportAndReset(to_parent, eds, t0, 2);
  }

  // Phase 2: full LDS/RDS/CDS state to aggregated streams.
  auto ads_channels = Channels(port, ads_streams);
  std::vector<std::unique_ptr<envoy::service::discovery::v3::AggregatedDiscoveryService::Stub>>
      ads_stubs;
  for (auto& channel : ads_channels) {
    ads_stubs.push_back(
        envoy::service::discovery::v3::AggregatedDiscoveryService::NewStub(channel));
  }
  Tracker ads(ads_streams);
  ads.Reset(1 | 4 | 8);
  const int64_t connect_t0 = MonotonicNanos();
  std::vector<std::unique_ptr<ClientStream>> ads_clients;
  for (int s = 0; s < ads_streams; ++s) {
    std::vector<discovery_v3::DiscoveryRequest> requests(3);
    requests[0].mutable_node()->set_id("bench-ads-" + std::to_string(s));
    requests[0].set_type_url(kCdsType);
    requests[1].set_type_url(kLdsType);
    requests[2].set_type_url(kRdsType);
    requests[2].add_resource_names("ingress_http");
    requests[2].add_resource_names("ingress_https");
    auto stream = std::make_unique<ClientStream>(s, ads, requests);
    ads_stubs[s]->async()->StreamAggregatedResources(stream->context(), stream.get());
    stream->Begin();
    ads_clients.push_back(std::move(stream));
  }
  if (!ads.WaitAll(absl::Seconds(300))) return 5;
  ReportAndReset(to_parent, ads, connect_t0, 1 | 8);  // a new service and host: CDS and RDS
  for (int round = 0; round < 3; ++round) {
    char go;
    ReadAll(from_parent, &go, 1);
    int64_t t0 = 0;
    ReadAll(from_parent, &t0, sizeof(t0));
    if (!ads.WaitAll(absl::Seconds(120))) return 6;
    ReportAndReset(to_parent, ads, t0, 1 | 8);
  }
  // The process ends with _exit: the reactors are left to it rather than destroyed mid-call.
  for (auto& stream : streams) stream.release();
  for (auto& stream : ads_clients) stream.release();
  return 0;
}

// ---- server (parent process) -------------------------------------------------------------

int RunServer(int to_child, int from_child, int eds_streams, int clusters, int rounds,
              int ads_streams) {
  contour::config::ServeConfig config;
  contour::dag::KubernetesCache cache(contour::server::CacheConfigFrom(config));
  contour::xds::EndpointTable endpoints;
  contour::xds::XdsServer xds;

  std::string text;
  for (int i = 0; i < clusters; ++i) text += ServiceManifests(i, Ip(i, 0));
  contour::k8s::DecodeResult decoded = contour::k8s::DecodeManifests(text, "bench");
  for (auto& object : decoded.objects) {
    if (auto* e = std::get_if<contour::k8s::Endpoints>(&object)) {
      xds.PublishEndpoints(endpoints.Upsert(*e));
    } else {
      cache.Insert(std::move(object));
    }
  }
  const contour::translate::TranslateConfig translate_config =
      contour::server::TranslateConfigFrom(config);
  double t = MonotonicNanos();
  contour::dag::Dag dag = contour::dag::Build(cache, {});
  auto snapshot = contour::xds::MakeSnapshot(dag, translate_config, nullptr);
  const double snapshot_ms = (MonotonicNanos() - t) / 1e6;
  if (!snapshot.ok()) return 2;
  xds.PublishSnapshot(*snapshot);
  std::printf("setup: %d services/clusters/routes; build + translate + snapshot %.1f ms\n",
              clusters, snapshot_ms);

  contour::xds::GrpcServerOptions options;
  options.port = 0;
  auto server = contour::xds::GrpcServer::Start(xds, options);
  if (!server.ok()) return 2;
  int port = (*server)->port();
  WriteAll(to_child, &port, sizeof(port));
  char ready;
  ReadAll(from_child, &ready, 1);

  std::printf(
      "\nEDS: one Endpoints change → %d SotW EDS streams (each subscribed to the changed "
      "assignment among its names), %d rounds\n",
      eds_streams, rounds);
  std::printf("%6s %12s %12s %12s %14s %12s\n", "round", "p50 ms", "p99 ms", "last ms",
              "bytes sent", "server CPU s");
  std::vector<double> lasts, p50s, p99s, publish_ms;
  double cpu_total = 0;
  uint64_t bytes_total = 0;
  for (int round = 1; round <= rounds; ++round) {
    const double cpu0 = CpuSeconds();
    const uint64_t bytes0 = xds.Stats().bytes_sent;
    char go = 'G';
    WriteAll(to_child, &go, 1);
    contour::k8s::DecodeResult changed =
        contour::k8s::DecodeManifests(ServiceManifests(0, Ip(0, round)), "bench");
    const int64_t t0 = MonotonicNanos();
    for (auto& object : changed.objects) {
      if (auto* e = std::get_if<contour::k8s::Endpoints>(&object)) {
        xds.PublishEndpoints(endpoints.Upsert(*e));
      }
    }
    publish_ms.push_back((MonotonicNanos() - t0) / 1e6);
    WriteAll(to_child, &t0, sizeof(t0));
    double values[3];
    ReadAll(from_child, values, sizeof(values));
    const double cpu = CpuSeconds() - cpu0;
    const uint64_t bytes = xds.Stats().bytes_sent - bytes0;
    cpu_total += cpu;
    bytes_total += bytes;
    p50s.push_back(values[0]);
    p99s.push_back(values[1]);
    lasts.push_back(values[2]);
    std::printf("%6d %12.2f %12.2f %12.2f %14llu %12.3f\n", round, values[0], values[1], values[2],
                static_cast<unsigned long long>(bytes), cpu);
  }
  std::printf("publishing (the server handing every stream its response) took p50 %.2f ms\n",
              Summarize(publish_ms).p50);
  Percentiles last = Summarize(lasts);
  Percentiles p50 = Summarize(p50s);
  Percentiles p99 = Summarize(p99s);
  std::printf(
      "EDS summary: per-stream latency p50 %.2f ms, p99 %.2f ms (medians over rounds); "
      "last stream p50 %.2f ms, p99 %.2f ms, max %.2f ms; %.0f bytes and %.4f server CPU "
      "s per change\n",
      p50.p50, p99.p50, last.p50, last.p99, last.max, static_cast<double>(bytes_total) / rounds,
      cpu_total / rounds);

  // Phase 2.
  const double cpu_connect0 = CpuSeconds();
  const uint64_t bytes_connect0 = xds.Stats().bytes_sent;
  double values[3];
  ReadAll(from_child, values, sizeof(values));
  std::printf(
      "\nADS: %d streams connect and subscribe to CDS, LDS, RDS (%d clusters, %d routes): "
      "all have the full state after p50 %.1f ms, last %.1f ms; %.1f MB sent, %.3f server "
      "CPU s\n",
      ads_streams, clusters, clusters, values[0], values[2],
      (xds.Stats().bytes_sent - bytes_connect0) / 1e6, CpuSeconds() - cpu_connect0);
  std::printf("%6s %14s %12s %12s %12s %14s\n", "change", "rebuild ms", "push p50 ms",
              "push last ms", "MB sent", "server CPU s");
  for (int round = 1; round <= 3; ++round) {
    const double cpu0 = CpuSeconds();
    const uint64_t bytes0 = xds.Stats().bytes_sent;
    char go = 'G';
    WriteAll(to_child, &go, 1);
    const int64_t start = MonotonicNanos();
    contour::k8s::DecodeResult added =
        contour::k8s::DecodeManifests(ServiceManifests(clusters + round, Ip(round, 0)), "bench");
    for (auto& object : added.objects) {
      if (std::holds_alternative<contour::k8s::Endpoints>(object)) continue;
      cache.Insert(std::move(object));
    }
    contour::dag::Dag next = contour::dag::Build(cache, {});
    auto next_snapshot = contour::xds::MakeSnapshot(next, translate_config, snapshot->get());
    if (!next_snapshot.ok()) return 2;
    snapshot = next_snapshot;
    const int64_t t0 = MonotonicNanos();
    xds.PublishSnapshot(*snapshot);
    WriteAll(to_child, &t0, sizeof(t0));
    ReadAll(from_child, values, sizeof(values));
    std::printf("%6d %14.1f %12.1f %12.1f %12.1f %14.3f\n", round, (t0 - start) / 1e6, values[0],
                values[2], (xds.Stats().bytes_sent - bytes0) / 1e6, CpuSeconds() - cpu0);
  }
  std::printf(
      "\nserver peak RSS %ld MB; every resource is serialized once, when its snapshot "
      "or assignment is made: responses are concatenations of the stored bytes\n",
      PeakRssMb());
  (*server)->Shutdown(absl::Seconds(1));
  return 0;
}

int Arg(int argc, char** argv, int index, int fallback) {
  return argc > index ? std::atoi(argv[index]) : fallback;
}

// Pins this process (every thread it starts later) to one CPU.
void PinTo(int cpu) {
  cpu_set_t set;
  CPU_ZERO(&set);
  CPU_SET(cpu, &set);
  if (sched_setaffinity(0, sizeof(set), &set) != 0) std::perror("sched_setaffinity");
}

}  // namespace

int main(int argc, char** argv) {
  contour::TuneAllocator();
  contour::UseReleaseMutexes();
  const int eds_streams = Arg(argc, argv, 1, 1000);
  const int clusters = Arg(argc, argv, 2, 10000);
  const int names_per_stream = std::min(Arg(argc, argv, 3, 100), clusters);
  const int rounds = Arg(argc, argv, 4, 20);
  const int ads_streams = Arg(argc, argv, 5, 100);
  const bool pin = Arg(argc, argv, 6, 0) != 0;
  int to_child[2], to_parent[2];
  if (pipe(to_child) != 0 || pipe(to_parent) != 0) return 1;
  // Fork before any gRPC state exists: each process starts its own.
  const pid_t child = fork();
  if (child == 0) {
    if (pin) PinTo(1);
    close(to_child[1]);
    close(to_parent[0]);
    _exit(RunClients(to_child[0], to_parent[1], eds_streams, clusters, names_per_stream, rounds,
                     ads_streams));
  }
  if (pin) PinTo(0);
  close(to_child[0]);
  close(to_parent[1]);
  const int result =
      RunServer(to_child[1], to_parent[0], eds_streams, clusters, rounds, ads_streams);
  int status = 0;
  waitpid(child, &status, 0);
  if (result != 0) return result;
  if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
    std::fprintf(stderr, "clients failed (status %d)\n", WEXITSTATUS(status));
    return 1;
  }
  return 0;
}
