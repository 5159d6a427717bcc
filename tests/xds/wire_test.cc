// The hand-encoded responses: they parse as the real messages with the same fields, and are
// byte for byte what protobuf itself writes (so empty strings are left out, as proto3 does).
#include "xds/wire.h"

#include <string>
#include <vector>

#include "envoy/config/cluster/v3/cluster.pb.h"
#include "envoy/service/discovery/v3/discovery.pb.h"
#include "gtest/gtest.h"
#include "tests/translate/proto_test_util.h"

namespace contour::xds {
namespace {

namespace discovery_v3 = envoy::service::discovery::v3;
using translate::test_util::EqualsProto;

// Clusters of any size: a long name makes multi-byte lengths.
std::vector<ResourcePtr> Clusters(const std::vector<size_t>& name_lengths) {
  std::vector<ResourcePtr> resources;
  for (size_t i = 0; i < name_lengths.size(); ++i) {
    envoy::config::cluster::v3::Cluster cluster;
    cluster.set_name(std::string(name_lengths[i], static_cast<char>('a' + i)));
    cluster.mutable_connect_timeout()->set_nanos(250000000);
    resources.push_back(MakeResource(cluster.name(), cluster));
  }
  return resources;
}

struct WireCase {
  std::string name;
  std::string version;
  std::string type_url;
  std::string nonce;
  std::vector<size_t> resources;  // name lengths
  std::vector<std::string> removed;
};

class WireTest : public testing::TestWithParam<WireCase> {};

TEST_P(WireTest, SotwMatchesProtobuf) {
  const WireCase& c = GetParam();
  const std::vector<ResourcePtr> resources = Clusters(c.resources);
  const std::string bytes = EncodeDiscoveryResponse(c.version, c.type_url, c.nonce, resources);

  discovery_v3::DiscoveryResponse expected;
  expected.set_version_info(c.version);
  expected.set_type_url(c.type_url);
  expected.set_nonce(c.nonce);
  for (const ResourcePtr& resource : resources) {
    ASSERT_TRUE(expected.add_resources()->ParseFromString(resource->any_bytes));
  }
  discovery_v3::DiscoveryResponse parsed;
  ASSERT_TRUE(parsed.ParseFromString(bytes));
  EXPECT_THAT(parsed, EqualsProto(expected));
  EXPECT_EQ(bytes, expected.SerializeAsString());
}

TEST_P(WireTest, DeltaMatchesProtobuf) {
  const WireCase& c = GetParam();
  const std::vector<ResourcePtr> resources = Clusters(c.resources);
  const std::string bytes =
      EncodeDeltaDiscoveryResponse(c.version, c.type_url, c.nonce, resources, c.removed);

  discovery_v3::DeltaDiscoveryResponse expected;
  expected.set_system_version_info(c.version);
  expected.set_type_url(c.type_url);
  expected.set_nonce(c.nonce);
  for (const ResourcePtr& resource : resources) {
    discovery_v3::Resource* added = expected.add_resources();
    added->set_name(resource->name);
    added->set_version(resource->version);
    ASSERT_TRUE(added->mutable_resource()->ParseFromString(resource->any_bytes));
  }
  for (const std::string& name : c.removed) expected.add_removed_resources(name);
  discovery_v3::DeltaDiscoveryResponse parsed;
  ASSERT_TRUE(parsed.ParseFromString(bytes));
  EXPECT_THAT(parsed, EqualsProto(expected));
  EXPECT_EQ(bytes, expected.SerializeAsString());
}

constexpr char kClusterType[] = "type.googleapis.com/envoy.config.cluster.v3.Cluster";

INSTANTIATE_TEST_SUITE_P(
    Responses, WireTest,
    testing::Values(WireCase{"Empty", "", "", "", {}, {}},
                    WireCase{"NoResources", "3", kClusterType, "7", {}, {}},
                    WireCase{"NoVersion", "", kClusterType, "1", {5}, {}},
                    WireCase{"NoNonce", "2", kClusterType, "", {5}, {}},
                    WireCase{"Several", "12", kClusterType, "40", {1, 20, 3}, {"x", "y"}},
                    // Lengths of 128 and more take two varint bytes, 16384 three.
                    WireCase{"LongNames", "1", kClusterType, "2", {127, 128, 16384}, {}},
                    WireCase{"OnlyRemovals", "5", kClusterType, "9", {}, {"gone", ""}}),
    [](const testing::TestParamInfo<WireCase>& info) { return info.param.name; });

// Resources that have no version or name leave those fields out too.
TEST(WireEncodingTest, DeltaResourceLeavesOutEmptyStrings) {
  auto resource = std::make_shared<Resource>();
  resource->any_bytes = Clusters({3})[0]->any_bytes;
  const std::string bytes = EncodeDeltaDiscoveryResponse("1", kClusterType, "1", {resource}, {});
  discovery_v3::DeltaDiscoveryResponse expected;
  expected.set_system_version_info("1");
  expected.set_type_url(kClusterType);
  expected.set_nonce("1");
  ASSERT_TRUE(expected.add_resources()->mutable_resource()->ParseFromString(resource->any_bytes));
  EXPECT_EQ(bytes, expected.SerializeAsString());
}

}  // namespace
}  // namespace contour::xds
