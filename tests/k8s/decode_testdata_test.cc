// Real-world shaped input from tests/testdata/decode.
#include <fstream>
#include <sstream>
#include <string>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "k8s/decode.h"
#include "tests/k8s/decode_test_util.h"

namespace contour::k8s {
namespace {

using ::contour::k8s::testing::IssueStrings;
using ::contour::k8s::testing::ObjectNames;
using ::testing::ElementsAre;
using ::testing::IsEmpty;

std::string ReadTestdata(const std::string& name) {
  std::ifstream file(std::string(CONTOUR_SOURCE_DIR) + "/tests/testdata/decode/" + name);
  std::stringstream contents;
  contents << file.rdbuf();
  return contents.str();
}

TEST(DecodeTestdataTest, KubectlGetListWithServerFields) {
  std::string text = ReadTestdata("kubectl_get_list.yaml");
  ASSERT_FALSE(text.empty());
  DecodeResult result = DecodeManifests(text, "kubectl_get_list.yaml");
  EXPECT_THAT(IssueStrings(result.errors), IsEmpty());
  EXPECT_THAT(IssueStrings(result.warnings), IsEmpty());
  EXPECT_THAT(ObjectNames(result),
              ElementsAre("Service default/kuard", "Endpoints default/kuard",
                          "Ingress default/kuard", "IngressRoute default/kuard"));

  const Service& service = std::get<Service>(result.objects[0]);
  EXPECT_EQ(service.metadata.resource_version, "1234");
  EXPECT_EQ(service.metadata.uid, "5b1a9c52-da0b-11e9-8a34-2a2ae2dbcce4");
  EXPECT_EQ(service.ports, (std::vector<ServicePort>{{"", "TCP", 80, {false, 8080, ""}}}));
  EXPECT_THAT(service.metadata.annotations.at("kubectl.kubernetes.io/last-applied-configuration"),
              ::testing::StartsWith("{\"apiVersion\":\"v1\""));

  const Endpoints& endpoints = std::get<Endpoints>(result.objects[1]);
  ASSERT_EQ(endpoints.subsets.size(), 1u);
  EXPECT_EQ(endpoints.subsets[0].addresses, (std::vector<EndpointAddress>{{"10.244.1.5"}}));
  EXPECT_EQ(endpoints.subsets[0].not_ready_addresses,
            (std::vector<EndpointAddress>{{"10.244.2.9"}}));

  const IngressRoute& route = std::get<IngressRoute>(result.objects[3]);
  EXPECT_EQ(route.status, (IngressRouteStatus{"valid", "valid IngressRoute"}));
}

}  // namespace
}  // namespace contour::k8s
