#include "translate/secret.h"

#include <string>
#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/translate/proto_test_util.h"

namespace contour::translate {
namespace {

using test_util::EqualsProto;
using test_util::ParseText;
namespace tls = envoy::extensions::transport_sockets::tls::v3;

TEST(SecretTest, InlinesCertificateAndKey) {
  EXPECT_THAT(Secret(dag::Secret{"default", "simple", "cert", "key"}),
              EqualsProto(ParseText<tls::Secret>(R"pb(
                name: "default/simple/cd1b506996"
                tls_certificate {
                  certificate_chain { inline_bytes: "cert" }
                  private_key { inline_bytes: "key" }
                })pb")));
}

std::shared_ptr<const dag::Secret> MakeSecret(const std::string& ns, const std::string& name,
                                              const std::string& cert) {
  return std::make_shared<dag::Secret>(dag::Secret{ns, name, cert, "key"});
}

TEST(SecretsTest, OnePerDistinctReferencedSecretSortedByName) {
  dag::Dag dag;
  auto shared = MakeSecret("default", "wildcard", "cert-a");
  dag.https_hosts["a.example.com"].host.name = "a.example.com";
  dag.https_hosts["a.example.com"].secret = shared;
  dag.https_hosts["b.example.com"].host.name = "b.example.com";
  dag.https_hosts["b.example.com"].secret = shared;
  dag.https_hosts["c.example.com"].host.name = "c.example.com";
  dag.https_hosts["c.example.com"].secret = MakeSecret("apps", "c", "cert-c");
  dag.https_hosts["passthrough.example.com"].host.name = "passthrough.example.com";

  std::vector<std::string> names;
  for (const auto& secret : Secrets(dag)) names.push_back(secret.name());
  EXPECT_THAT(names, ::testing::ElementsAre("apps/c/c74a2f7cb0", "default/wildcard/ff2a9f58ca"));
}

TEST(SecretsTest, NoSecureHostsNoSecrets) { EXPECT_TRUE(Secrets(dag::Dag{}).empty()); }

}  // namespace
}  // namespace contour::translate
