// Prints decode throughput and build + translate time and peak RSS for N Ingresses, each with
// its own Service and Endpoints of 10 addresses. One size per process, so that peak RSS is that
// size's own: scripts/bench.sh runs 100, 1,000 and 10,000.
//
// Usage: bench_pipeline decode|build|build-ingressroute N [ROUNDS]
//   decode: YAML and JSON decode throughput (MB/s).
//   build:  the objects are made in memory (no text), then cache + DAG + translation are timed;
//           peak RSS is the process's high-water mark, so it covers only this phase.
//   build-ingressroute: the same for N root IngressRoutes, each serving / from its own Service
//           and delegating /child to a child IngressRoute in another namespace.
#include <sys/resource.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <string>
#include <vector>

#include "common/allocator.h"
#include "dag/builder.h"
#include "dag/cache.h"
#include "k8s/decode.h"
#include "server/offline_pipeline.h"
#include "translate/translate.h"

namespace {

using Clock = std::chrono::steady_clock;

std::string Manifests(int count) {
  std::string out;
  out.reserve(static_cast<size_t>(count) * 900);
  for (int i = 0; i < count; ++i) {
    const std::string name = "app-" + std::to_string(i);
    const std::string ns = "team-" + std::to_string(i % 50);
    out += "apiVersion: v1\nkind: Service\nmetadata:\n  name: " + name + "\n  namespace: " + ns +
           "\nspec:\n  ports:\n  - name: http\n    port: 80\n    targetPort: 8080\n---\n";
    out += "apiVersion: v1\nkind: Endpoints\nmetadata:\n  name: " + name + "\n  namespace: " + ns +
           "\nsubsets:\n- addresses:\n";
    for (int a = 0; a < 10; ++a) {
      out += "  - ip: 10." + std::to_string((i >> 8) & 255) + "." + std::to_string(i & 255) + "." +
             std::to_string(a + 1) + "\n";
    }
    out += "  ports:\n  - name: http\n    port: 8080\n---\n";
    out += "apiVersion: networking.k8s.io/v1\nkind: Ingress\nmetadata:\n  name: " + name +
           "\n  namespace: " + ns + "\nspec:\n  rules:\n  - host: " + name +
           ".example.com\n    http:\n      paths:\n      - path: /\n        pathType: Prefix\n"
           "        backend:\n          service:\n            name: " +
           name + "\n            port:\n              number: 80\n---\n";
  }
  return out;
}

// The same objects as one JSON List, as the API server would send them.
std::string JsonList(int count) {
  std::string out = "{\"apiVersion\":\"v1\",\"kind\":\"List\",\"items\":[";
  for (int i = 0; i < count; ++i) {
    const std::string name = "\"app-" + std::to_string(i) + "\"";
    const std::string ns = "\"team-" + std::to_string(i % 50) + "\"";
    if (i > 0) out += ",";
    out += "{\"apiVersion\":\"v1\",\"kind\":\"Service\",\"metadata\":{\"name\":" + name +
           ",\"namespace\":" + ns +
           "},\"spec\":{\"ports\":[{\"name\":\"http\",\"port\":80,\"targetPort\":8080}]}},";
    out += "{\"apiVersion\":\"v1\",\"kind\":\"Endpoints\",\"metadata\":{\"name\":" + name +
           ",\"namespace\":" + ns + "},\"subsets\":[{\"addresses\":[";
    for (int a = 0; a < 10; ++a) {
      out += std::string(a ? "," : "") + "{\"ip\":\"10." + std::to_string((i >> 8) & 255) + "." +
             std::to_string(i & 255) + "." + std::to_string(a + 1) + "\"}";
    }
    out += "],\"ports\":[{\"name\":\"http\",\"port\":8080}]}]},";
    out += "{\"apiVersion\":\"networking.k8s.io/v1\",\"kind\":\"Ingress\",\"metadata\":{\"name\":" +
           name + ",\"namespace\":" + ns + "},\"spec\":{\"rules\":[{\"host\":\"app-" +
           std::to_string(i) +
           ".example.com\",\"http\":{\"paths\":[{\"path\":\"/\",\"pathType\":\"Prefix\","
           "\"backend\":{\"service\":{\"name\":" +
           name + ",\"port\":{\"number\":80}}}}]}}]}}";
  }
  return out + "]}";
}

double Seconds(Clock::duration d) { return std::chrono::duration<double>(d).count(); }

double Median(std::vector<double> values) {
  std::sort(values.begin(), values.end());
  return values[values.size() / 2];
}

long PeakRssKb() {
  rusage usage{};
  getrusage(RUSAGE_SELF, &usage);
  return usage.ru_maxrss;
}

long CurrentRssKb() {
  std::ifstream statm("/proc/self/statm");
  long pages = 0, resident = 0;
  statm >> pages >> resident;
  return resident * 4;
}

std::vector<contour::k8s::Object> MakeObjects(int count) {
  using namespace contour::k8s;
  std::vector<Object> objects;
  objects.reserve(static_cast<size_t>(count) * 3);
  for (int i = 0; i < count; ++i) {
    ObjectMeta meta;
    meta.name = "app-" + std::to_string(i);
    meta.namespace_ = "team-" + std::to_string(i % 50);
    Service service;
    service.metadata = meta;
    service.ports.push_back(ServicePort{.name = "http", .port = 80});
    objects.emplace_back(std::move(service));
    Endpoints endpoints;
    endpoints.metadata = meta;
    EndpointSubset subset;
    for (int a = 0; a < 10; ++a) {
      subset.addresses.push_back({"10." + std::to_string((i >> 8) & 255) + "." +
                                  std::to_string(i & 255) + "." + std::to_string(a + 1)});
    }
    subset.ports.push_back(EndpointPort{.name = "http", .port = 8080});
    endpoints.subsets.push_back(std::move(subset));
    objects.emplace_back(std::move(endpoints));
    Ingress ingress;
    ingress.metadata = meta;
    ingress.api_version = "networking.k8s.io/v1";
    IngressRule rule;
    rule.host = meta.name + ".example.com";
    IngressPath path;
    path.path = "/";
    path.path_type = "Prefix";
    path.backend.service_name = meta.name;
    path.backend.service_port.int_value = 80;
    rule.paths.push_back(std::move(path));
    ingress.rules.push_back(std::move(rule));
    objects.emplace_back(std::move(ingress));
  }
  return objects;
}

contour::k8s::Service OnePortService(const std::string& ns, const std::string& name) {
  contour::k8s::Service service;
  service.metadata.namespace_ = ns;
  service.metadata.name = name;
  service.ports.push_back(contour::k8s::ServicePort{.name = "http", .port = 80});
  return service;
}

contour::k8s::IngressRouteRoute RouteTo(const std::string& match, const std::string& service) {
  contour::k8s::IngressRouteRoute route;
  route.match = match;
  route.services.push_back(contour::k8s::IngressRouteService{.name = service, .port = 80});
  return route;
}

std::vector<contour::k8s::Object> MakeIngressRoutes(int count) {
  using namespace contour::k8s;
  std::vector<Object> objects;
  objects.reserve(static_cast<size_t>(count) * 4);
  for (int i = 0; i < count; ++i) {
    const std::string name = "app-" + std::to_string(i);
    const std::string root_ns = "team-" + std::to_string(i % 50);
    const std::string child_ns = "child-" + std::to_string(i % 50);
    objects.emplace_back(OnePortService(root_ns, name));
    objects.emplace_back(OnePortService(child_ns, name));

    IngressRoute root;
    root.metadata.namespace_ = root_ns;
    root.metadata.name = name;
    root.virtualhost.emplace().fqdn = name + ".example.com";
    root.routes.push_back(RouteTo("/", name));
    IngressRouteRoute delegated;
    delegated.match = "/child";
    delegated.delegate = Delegate{.name = name, .namespace_ = child_ns};
    root.routes.push_back(std::move(delegated));
    objects.emplace_back(std::move(root));

    IngressRoute child;
    child.metadata.namespace_ = child_ns;
    child.metadata.name = name;
    child.routes.push_back(RouteTo("/child", name));
    objects.emplace_back(std::move(child));
  }
  return objects;
}

int Decode(int count, int rounds) {
  const std::string yaml = Manifests(count);
  const std::string json = JsonList(count);
  std::vector<double> yaml_times, json_times;
  for (int r = 0; r < rounds; ++r) {
    auto start = Clock::now();
    contour::k8s::DecodeResult decoded = contour::k8s::DecodeManifests(yaml, "bench.yaml");
    yaml_times.push_back(Seconds(Clock::now() - start));
    start = Clock::now();
    contour::k8s::DecodeResult from_json = contour::k8s::DecodeManifests(json, "bench.json");
    json_times.push_back(Seconds(Clock::now() - start));
    if (decoded.objects.size() != static_cast<size_t>(3 * count) ||
        from_json.objects.size() != decoded.objects.size()) {
      std::fprintf(stderr, "decoded %zu/%zu objects, want %d\n", decoded.objects.size(),
                   from_json.objects.size(), 3 * count);
      return 1;
    }
  }
  std::printf("decode %8d objects | YAML %6.1f MB (%7.1f MB/s) | JSON %6.1f MB (%7.1f MB/s)\n",
              3 * count, yaml.size() / 1e6, yaml.size() / 1e6 / Median(yaml_times),
              json.size() / 1e6, json.size() / 1e6 / Median(json_times));
  return 0;
}

int Build(int count, int rounds, bool ingress_routes) {
  const std::vector<contour::k8s::Object> objects =
      ingress_routes ? MakeIngressRoutes(count) : MakeObjects(count);
  const size_t want_clusters = ingress_routes ? 2 * count : count;
  const size_t want_endpoints = ingress_routes ? 0 : count;
  const long objects_rss_kb = CurrentRssKb();
  contour::config::ServeConfig config;
  std::vector<double> times, cache_ms, build_ms, translate_ms;
  contour::server::RenderTimings phases;
  size_t clusters = 0, endpoints = 0, listeners = 0, valid = 0;
  for (int r = 0; r < rounds; ++r) {
    const auto start = Clock::now();
    contour::server::Rendered rendered = contour::server::Render(objects, config, &phases);
    times.push_back(Seconds(Clock::now() - start));
    cache_ms.push_back(absl::ToDoubleMilliseconds(phases.cache));
    build_ms.push_back(absl::ToDoubleMilliseconds(phases.build));
    translate_ms.push_back(absl::ToDoubleMilliseconds(phases.translate));
    clusters = rendered.resources.clusters.size();
    endpoints = rendered.endpoints.size();
    listeners = rendered.resources.listeners.size();
    valid = 0;
    for (const auto& status : rendered.statuses) valid += status.current_status == "valid";
  }
  const size_t want_valid = ingress_routes ? 2 * count : 0;
  if (clusters != want_clusters || endpoints != want_endpoints || listeners != 2 ||
      valid != want_valid) {
    std::fprintf(stderr,
                 "rendered %zu clusters, %zu endpoints, %zu listeners, %zu valid statuses; want "
                 "%zu, %zu, 2, %zu\n",
                 clusters, endpoints, listeners, valid, want_clusters, want_endpoints, want_valid);
    return 1;
  }
  std::printf(
      "build %-13s %6d | build+translate %7.1f ms (cache %6.1f, dag %6.1f, translate %6.1f; "
      "median of %d) | RSS with objects %6.1f MB | peak RSS %6.1f MB\n",
      ingress_routes ? "ingressroutes" : "ingresses", count, Median(times) * 1000, Median(cache_ms),
      Median(build_ms), Median(translate_ms), rounds, objects_rss_kb / 1024.0,
      PeakRssKb() / 1024.0);
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 3) {
    std::fprintf(stderr, "usage: %s decode|build|build-ingressroute N [ROUNDS]\n", argv[0]);
    return 2;
  }
  contour::TuneAllocator();  // as the contour binary does
  const std::string mode = argv[1];
  const int count = std::atoi(argv[2]);
  const int rounds = argc > 3 ? std::max(1, std::atoi(argv[3])) : 5;
  if (count <= 0) return 2;
  if (mode == "decode") return Decode(count, rounds);
  if (mode == "build") return Build(count, rounds, /*ingress_routes=*/false);
  if (mode == "build-ingressroute") return Build(count, rounds, /*ingress_routes=*/true);
  return 2;
}
