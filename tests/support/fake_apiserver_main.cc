// fake_apiserver: the fake Kubernetes API server as a program, for system tests and benchmarks.
// Clients add objects over HTTP (kubectl, curl). Prints "listening on PORT" first, then serves
// until SIGTERM or SIGINT.
#include <signal.h>

#include <cstdio>
#include <fstream>
#include <iostream>
#include <memory>
#include <string>
#include <vector>

#include "CLI/CLI.hpp"
#include "absl/strings/str_split.h"
#include "tests/support/fake_apiserver.h"

namespace {

bool WriteFile(const std::string& path, const std::string& contents) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out << contents;
  out.close();
  return static_cast<bool>(out);
}

std::string Directory(const std::string& path) {
  size_t slash = path.rfind('/');
  return slash == std::string::npos ? "." : path.substr(0, slash);
}

}  // namespace

int main(int argc, char** argv) {
  contour::testing::FakeApiServerOptions options;
  std::string kubeconfig_out;
  std::string ingress_versions;
  bool no_contour_crds = false;
  bool ingressroute_status = false;
  int bookmark_seconds = 0;

  CLI::App app{"A fake Kubernetes API server on 127.0.0.1, for tests."};
  app.add_option("--port", options.port, "port to listen on (0: any free one)");
  app.add_flag("--tls", options.tls, "serve https with a fresh test CA");
  app.add_option("--token", options.token, "require this bearer token (or a client certificate)");
  app.add_flag("--require-client-cert", options.require_client_cert,
               "TLS: require a client certificate signed by the test CA");
  app.add_option("--kubeconfig-out", kubeconfig_out,
                 "write a kubeconfig here (with --tls also ca.crt, client.crt, client.key next "
                 "to it)");
  app.add_flag("--no-contour-crds", no_contour_crds, "do not serve contour.heptio.com");
  app.add_option("--ingress-versions", ingress_versions,
                 "comma-separated Ingress group/versions to serve (default: all three)");
  app.add_flag("--ingressroute-status-subresource", ingressroute_status,
               "serve ingressroutes/status");
  app.add_option("--bookmark-interval-seconds", bookmark_seconds,
                 "send watch bookmarks this often (0: never)");
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    return app.exit(e);
  }
  options.contour_crds = !no_contour_crds;
  options.ingressroute_status_subresource = ingressroute_status;
  options.bookmark_interval = absl::Seconds(bookmark_seconds);
  if (!ingress_versions.empty()) {
    options.ingress_versions = absl::StrSplit(ingress_versions, ',', absl::SkipEmpty());
  }

  // Every thread the server starts inherits this mask, so the signals reach only sigwait below.
  sigset_t signals;
  sigemptyset(&signals);
  sigaddset(&signals, SIGTERM);
  sigaddset(&signals, SIGINT);
  pthread_sigmask(SIG_BLOCK, &signals, nullptr);

  absl::StatusOr<std::unique_ptr<contour::testing::FakeApiServer>> server =
      contour::testing::FakeApiServer::Start(options);
  if (!server.ok()) {
    std::cerr << "fake_apiserver: " << server.status() << "\n";
    return 1;
  }
  if (!kubeconfig_out.empty()) {
    bool with_client_cert = options.tls && (options.require_client_cert || options.token.empty());
    bool ok = WriteFile(kubeconfig_out, (*server)->Kubeconfig(with_client_cert));
    if (options.tls) {
      const contour::testing::TestCerts& certs = (*server)->certs();
      std::string dir = Directory(kubeconfig_out);
      ok = ok && WriteFile(dir + "/ca.crt", certs.ca_pem) &&
           WriteFile(dir + "/client.crt", certs.client_cert_pem) &&
           WriteFile(dir + "/client.key", certs.client_key_pem);
    }
    if (!ok) {
      std::cerr << "fake_apiserver: cannot write " << kubeconfig_out << "\n";
      return 1;
    }
  }
  std::printf("listening on %d\n", (*server)->port());
  std::fflush(stdout);

  int signal_number = 0;
  sigwait(&signals, &signal_number);
  server->reset();  // closes every connection and joins every thread
  return 0;
}
