#include "tests/support/client_for_fake.h"

#include "gtest/gtest.h"

namespace contour::testing {

FakeAndClient StartFakeWithClient(FakeApiServerOptions options) {
  FakeAndClient made;
  absl::StatusOr<std::unique_ptr<FakeApiServer>> server = FakeApiServer::Start(options);
  if (!server.ok()) {
    ADD_FAILURE() << "fake API server: " << server.status();
    return made;
  }
  k8s::RestConfig config;
  config.server = (*server)->url();
  if (options.tls) config.ca_pem = (*server)->certs().ca_pem;
  config.token = options.token;
  absl::StatusOr<std::unique_ptr<k8s::CurlApiClient>> client = k8s::CurlApiClient::Create(config);
  if (!client.ok()) {
    ADD_FAILURE() << "client: " << client.status();
    return made;
  }
  made.server = *std::move(server);
  made.client = *std::move(client);
  return made;
}

}  // namespace contour::testing
