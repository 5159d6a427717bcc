// Initial sync from an API server: how long `contour serve --kubeconfig` takes from start to its
// first build (the xDS port opens), and the peak RSS of the contour process.
//
// A child process runs the fake API server and fills it with N Services, N Ingresses
// (networking.k8s.io/v1, one host each) and N Endpoints of 10 addresses, plus S Secrets of
// SECRET_KB each that nothing references (kubernetes.io/tls, so their type does not filter them
// out: they are dropped because nothing asks for them). The parent is contour: the same
// ContourServer as `contour serve`, talking HTTP to the child.
//
// Usage: bench_kube_sync [N [S [SECRET_KB]]]   (defaults 10000 5000 100)
#include <signal.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <memory>
#include <string>

#include "common/allocator.h"
#include "common/process_settings.h"
#include "server/contour_server.h"
#include "spdlog/spdlog.h"
#include "tests/support/fake_apiserver.h"
#include "tests/support/temp_dir.h"

namespace {

using Clock = std::chrono::steady_clock;

long PeakRssMb() {
  rusage usage{};
  getrusage(RUSAGE_SELF, &usage);
  return usage.ru_maxrss / 1024;
}

nlohmann::json Meta(const std::string& ns, const std::string& name) {
  return {{"namespace", ns}, {"name", name}};
}

// Fills the server; returns the bytes of Secret payload it holds.
size_t Populate(contour::testing::FakeApiServer& server, int count, int secrets, int secret_kb) {
  for (int i = 0; i < count; ++i) {
    const std::string name = "app-" + std::to_string(i);
    const std::string ns = "team-" + std::to_string(i % 50);
    (void)server.Create({{"apiVersion", "v1"},
                         {"kind", "Service"},
                         {"metadata", Meta(ns, name)},
                         {"spec", {{"ports", {{{"name", "http"}, {"port", 80}}}}}}});
    nlohmann::json addresses = nlohmann::json::array();
    for (int a = 0; a < 10; ++a) {
      addresses.push_back({{"ip", "10." + std::to_string((i >> 8) & 255) + "." +
                                      std::to_string(i & 255) + "." + std::to_string(a + 1)}});
    }
    (void)server.Create(
        {{"apiVersion", "v1"},
         {"kind", "Endpoints"},
         {"metadata", Meta(ns, name)},
         {"subsets",
          {{{"addresses", addresses}, {"ports", {{{"name", "http"}, {"port", 8080}}}}}}}});
    (void)server.Create(
        {{"apiVersion", "networking.k8s.io/v1"},
         {"kind", "Ingress"},
         {"metadata", Meta(ns, name)},
         {"spec",
          {{"rules",
            {{{"host", name + ".example.com"},
              {"http",
               {{"paths",
                 {{{"path", "/"},
                   {"pathType", "Prefix"},
                   {"backend",
                    {{"service", {{"name", name}, {"port", {{"number", 80}}}}}}}}}}}}}}}}}});
  }
  // Base64 of secret_kb KiB: the payload as the API server sends it.
  const std::string payload((static_cast<size_t>(secret_kb) * 1024 + 2) / 3 * 4, 'Q');
  for (int i = 0; i < secrets; ++i) {
    (void)server.Create(
        {{"apiVersion", "v1"},
         {"kind", "Secret"},
         {"metadata", Meta("vault-" + std::to_string(i % 20), "unrelated-" + std::to_string(i))},
         {"type", "kubernetes.io/tls"},
         {"data", {{"tls.crt", payload}, {"tls.key", "a2V5"}}}});
  }
  return payload.size() * static_cast<size_t>(secrets);
}

}  // namespace

int main(int argc, char** argv) {
  contour::TuneAllocator();  // as contour's main does
  contour::UseReleaseMutexes();
  const int count = argc > 1 ? std::atoi(argv[1]) : 10000;
  const int secrets = argc > 2 ? std::atoi(argv[2]) : 5000;
  const int secret_kb = argc > 3 ? std::atoi(argv[3]) : 100;

  // The API server lives in a child, so that its memory is not counted as contour's.
  int ready[2];
  if (pipe(ready) != 0) return 1;
  const pid_t child = fork();
  if (child == 0) {
    close(ready[0]);
    absl::StatusOr<std::unique_ptr<contour::testing::FakeApiServer>> server =
        contour::testing::FakeApiServer::Start({.max_recorded_body = 0});
    if (!server.ok()) return 1;
    const auto started = Clock::now();
    const size_t payload = Populate(**server, count, secrets, secret_kb);
    std::fprintf(stderr, "api server: %d objects and %.0f MB of Secret payload loaded in %.1f s\n",
                 3 * count + secrets, payload / 1e6,
                 std::chrono::duration<double>(Clock::now() - started).count());
    const std::string kubeconfig = (*server)->Kubeconfig();
    const size_t size = kubeconfig.size();
    if (write(ready[1], &size, sizeof size) != sizeof size ||
        write(ready[1], kubeconfig.data(), size) != static_cast<ssize_t>(size)) {
      return 1;
    }
    pause();  // until the parent kills it
    return 0;
  }
  close(ready[1]);
  size_t size = 0;
  if (read(ready[0], &size, sizeof size) != sizeof size) return 1;
  std::string kubeconfig(size, '\0');
  for (size_t got = 0; got < size;) {
    const ssize_t n = read(ready[0], kubeconfig.data() + got, size - got);
    if (n <= 0) return 1;
    got += static_cast<size_t>(n);
  }

  spdlog::set_level(spdlog::level::warn);
  contour::testing::TempDir dir;
  contour::config::ServeConfig config;
  config.kubeconfig = dir.Write("kubeconfig", kubeconfig);
  config.xds_port = 0;
  config.http_port = 0;
  config.debug_http_port = 0;
  config.insecure = true;
  const long rss_before = PeakRssMb();
  const auto started = Clock::now();
  absl::StatusOr<std::unique_ptr<contour::server::ContourServer>> server =
      contour::server::ContourServer::Start(config);
  if (!server.ok() || !(*server)->WaitForServing(absl::Minutes(10))) {
    std::fprintf(stderr, "contour did not start: %s\n",
                 server.ok() ? "no first build" : std::string(server.status().message()).c_str());
    kill(child, SIGKILL);
    return 1;
  }
  const double seconds = std::chrono::duration<double>(Clock::now() - started).count();
  const contour::server::KubernetesSourceStats stats = (*server)->kubernetes()->stats();
  std::printf(
      "initial sync: %d Services, %d Ingresses, %d Endpoints (10 addresses), %d Secrets "
      "of %d KB (unreferenced)\n",
      count, count, count, secrets, secret_kb);
  std::printf("  time to synced and serving: %.2f s\n", seconds);
  std::printf("  peak RSS of contour: %ld MB (%ld MB before starting)\n", PeakRssMb(), rss_before);
  std::printf("  forwarded %lu objects; Secrets kept by name only: %lu; lists %lu\n",
              static_cast<unsigned long>(stats.forwarded.upserts),
              static_cast<unsigned long>(stats.forwarded.secrets_unwanted),
              static_cast<unsigned long>(stats.reflectors.lists));
  (*server)->Stop();
  kill(child, SIGKILL);
  waitpid(child, nullptr, 0);
  return 0;
}
