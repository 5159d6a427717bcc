#include "translate/translate.h"

#include <string>
#include <vector>

#include "gmock/gmock.h"
#include "google/protobuf/io/coded_stream.h"
#include "google/protobuf/io/zero_copy_stream_impl_lite.h"
#include "gtest/gtest.h"
#include "tests/translate/proto_test_util.h"

namespace contour::translate {
namespace {

using test_util::MakeCluster;
using test_util::MakeService;
using ::testing::ElementsAre;

template <typename T>
std::vector<std::string> Names(const std::vector<T>& resources) {
  std::vector<std::string> names;
  for (const auto& resource : resources) names.push_back(resource.name());
  return names;
}

dag::Dag ExampleDag() {
  dag::Dag dag;
  auto kuard = MakeService("default", "kuard", 80, "http");
  auto secret = std::make_shared<dag::Secret>(dag::Secret{"default", "tls", "cert", "key"});

  dag::Route forward;
  forward.path = "/";
  forward.clusters = {MakeCluster(kuard)};
  dag::Route redirect = forward;
  redirect.https_redirect = true;

  dag.http_hosts["*"].name = "*";
  dag.http_hosts["*"].routes["prefix:/"] = forward;
  dag.http_hosts["www.example.com"].name = "www.example.com";
  dag.http_hosts["www.example.com"].routes["prefix:/"] = redirect;

  auto& secure = dag.https_hosts["www.example.com"];
  secure.host.name = "www.example.com";
  secure.host.routes["prefix:/"] = forward;
  secure.secret = secret;

  auto& tcp = dag.https_hosts["tcp.example.com"];
  tcp.host.name = "tcp.example.com";
  tcp.tcp_proxy = dag::TcpProxy{{MakeCluster(MakeService("default", "db", 5432))}};
  return dag;
}

TEST(TranslateTest, EmitsEveryResourceTypeSortedByName) {
  const Resources resources = Translate(ExampleDag(), TranslateConfig{});
  EXPECT_THAT(Names(resources.listeners),
              ElementsAre("ingress_http", "ingress_https", "stats-health"));
  EXPECT_THAT(Names(resources.routes), ElementsAre("ingress_http", "ingress_https"));
  EXPECT_THAT(Names(resources.clusters),
              ElementsAre("default/db/5432/da39a3ee5e", "default/kuard/80/da39a3ee5e"));
  EXPECT_THAT(Names(resources.secrets), ElementsAre("default/tls/cd1b506996"));

  const auto& https = resources.listeners[1];
  ASSERT_EQ(https.filter_chains_size(), 2);
  EXPECT_EQ(https.filter_chains(0).filter_chain_match().server_names(0), "tcp.example.com");
  EXPECT_EQ(https.filter_chains(1).filter_chain_match().server_names(0), "www.example.com");
}

TEST(TranslateTest, IdenticalInputsGiveIdenticalBytes) {
  const auto serialize = [](const Resources& resources) {
    std::string out;
    auto append = [&out](const google::protobuf::Message& message) {
      std::string bytes;
      google::protobuf::io::StringOutputStream stream(&bytes);
      google::protobuf::io::CodedOutputStream coded(&stream);
      coded.SetSerializationDeterministic(true);
      message.SerializeToCodedStream(&coded);
      coded.Trim();
      out += bytes;
    };
    for (const auto& m : resources.listeners) append(m);
    for (const auto& m : resources.routes) append(m);
    for (const auto& m : resources.clusters) append(m);
    for (const auto& m : resources.secrets) append(m);
    return out;
  };
  const std::string first = serialize(Translate(ExampleDag(), TranslateConfig{}));
  EXPECT_FALSE(first.empty());
  EXPECT_EQ(first, serialize(Translate(ExampleDag(), TranslateConfig{})));
}

TEST(TranslateTest, EmptyDagKeepsStaticResources) {
  const Resources resources = Translate(dag::Dag{}, TranslateConfig{});
  EXPECT_THAT(Names(resources.listeners), ElementsAre("stats-health"));
  EXPECT_THAT(Names(resources.routes), ElementsAre("ingress_http", "ingress_https"));
  EXPECT_TRUE(resources.clusters.empty());
  EXPECT_TRUE(resources.secrets.empty());
}

}  // namespace
}  // namespace contour::translate
