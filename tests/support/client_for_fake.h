// The production API client, pointed at a fake API server: tests of what sits above the client
// speak the real wire protocol.
#ifndef CONTOUR_TESTS_SUPPORT_CLIENT_FOR_FAKE_H_
#define CONTOUR_TESTS_SUPPORT_CLIENT_FOR_FAKE_H_

#include <memory>

#include "k8s/curl_api_client.h"
#include "tests/support/fake_apiserver.h"

namespace contour::testing {

// A started fake with default options but for `options`, and a client for it; either is null
// (with the test failed) when it cannot be made.
struct FakeAndClient {
  std::unique_ptr<FakeApiServer> server;
  std::unique_ptr<k8s::CurlApiClient> client;
};
FakeAndClient StartFakeWithClient(FakeApiServerOptions options = {});

}  // namespace contour::testing

#endif  // CONTOUR_TESTS_SUPPORT_CLIENT_FOR_FAKE_H_
