#include "dag/secret_validation.h"

#include <map>
#include <string>

#include "gtest/gtest.h"
#include "tests/dag/dag_test_objects.h"

namespace contour::dag {
namespace {

using dagtest::MakeSecret;
using dagtest::Pem;

struct SecretCase {
  std::string name;
  std::string type;
  std::map<std::string, std::string> data;
  bool want_valid;
};

class SecretValidationTest : public ::testing::TestWithParam<SecretCase> {};

TEST_P(SecretValidationTest, Validates) {
  const SecretCase& c = GetParam();
  absl::Status status = ValidateSecret(MakeSecret("default", "secret", c.type, c.data));
  EXPECT_EQ(status.ok(), c.want_valid) << status;
  EXPECT_EQ(IsValidSecret(MakeSecret("default", "secret", c.type, c.data)), c.want_valid);
}

// Corrupts the base64 body of a PEM block, keeping its armour.
std::string CorruptBody(std::string pem) {
  const size_t body = pem.find('\n') + 1;
  pem.replace(body + 10, 20, "AAAAAAAAAAAAAAAAAAAA");
  return pem;
}

std::vector<SecretCase> SecretCases() {
  const std::string tls = "kubernetes.io/tls";
  return {
      {"rsa_pkcs1", tls, {{"tls.crt", Pem("rsa.crt")}, {"tls.key", Pem("rsa.key")}}, true},
      {"rsa_pkcs8", tls, {{"tls.crt", Pem("rsa.crt")}, {"tls.key", Pem("rsa_pkcs8.key")}}, true},
      {"ec_with_parameters_block",
       tls,
       {{"tls.crt", Pem("ec.crt")}, {"tls.key", Pem("ec.key")}},
       true},
      {"certificate_chain",
       tls,
       {{"tls.crt", Pem("rsa.crt") + Pem("ec.crt")}, {"tls.key", Pem("rsa.key")}},
       true},
      {"trailing_blank_lines_accepted",
       tls,
       {{"tls.crt", Pem("rsa.crt") + "\n\n"}, {"tls.key", Pem("rsa.key") + "\n"}},
       true},
      {"text_before_block_skipped",
       tls,
       {{"tls.crt", "subject=CN=example.com\n" + Pem("rsa.crt")}, {"tls.key", Pem("rsa.key")}},
       true},
      {"blank_ca_crt_on_tls_secret",
       tls,
       {{"ca.crt", ""}, {"tls.crt", Pem("rsa.crt")}, {"tls.key", Pem("rsa.key")}},
       true},
      {"ca_only_opaque", "Opaque", {{"ca.crt", Pem("rsa.crt")}}, true},
      {"tls_type_without_keys", tls, {}, true},  // v0.15.3 checks only the keys present
      {"service_account_token",
       "kubernetes.io/service-account-token",
       {{"ca.crt", Pem("rsa.crt")}},
       false},
      {"opaque_without_ca",
       "Opaque",
       {{"tls.crt", Pem("rsa.crt")}, {"tls.key", Pem("rsa.key")}},
       false},
      {"wrong_type", "banana", {}, false},
      {"not_pem", tls, {{"tls.crt", "wrong"}, {"tls.key", "wronger"}}, false},
      {"empty_certificate", tls, {{"tls.crt", ""}, {"tls.key", Pem("rsa.key")}}, false},
      {"empty_key", tls, {{"tls.crt", Pem("rsa.crt")}, {"tls.key", ""}}, false},
      {"key_in_certificate",
       tls,
       {{"tls.crt", Pem("rsa.key")}, {"tls.key", Pem("rsa.key")}},
       false},
      {"certificate_in_key",
       tls,
       {{"tls.crt", Pem("rsa.crt")}, {"tls.key", Pem("rsa.crt")}},
       false},
      {"corrupt_certificate",
       tls,
       {{"tls.crt", CorruptBody(Pem("rsa.crt"))}, {"tls.key", Pem("rsa.key")}},
       false},
      // v0.15.3 accepts this (its PKCS8/PKCS1 error check is inverted); rejected here.
      {"corrupt_pkcs8_key",
       tls,
       {{"tls.crt", Pem("rsa.crt")}, {"tls.key", CorruptBody(Pem("rsa_pkcs8.key"))}},
       false},
      {"corrupt_pkcs1_key",
       tls,
       {{"tls.crt", Pem("rsa.crt")}, {"tls.key", CorruptBody(Pem("rsa.key"))}},
       false},
      {"pkcs8_body_under_rsa_header",
       tls,
       {{"tls.crt", Pem("rsa.crt")},
        {"tls.key",
         [] {
           std::string key = Pem("rsa_pkcs8.key");
           key.replace(key.find("BEGIN PRIVATE KEY"), 17, "BEGIN RSA PRIVATE KEY");
           key.replace(key.find("END PRIVATE KEY"), 15, "END RSA PRIVATE KEY");
           return key;
         }()}},
       false},
      {"two_keys",
       tls,
       {{"tls.crt", Pem("rsa.crt")}, {"tls.key", Pem("rsa.key") + Pem("ec.key")}},
       false},
      {"trailing_garbage_after_certificate",
       tls,
       {{"tls.crt", Pem("rsa.crt") + "garbage"}, {"tls.key", Pem("rsa.key")}},
       false},
      {"unterminated_block",
       tls,
       {{"tls.crt", Pem("rsa.crt").substr(0, 200)}, {"tls.key", Pem("rsa.key")}},
       false},
  };
}

INSTANTIATE_TEST_SUITE_P(Secrets, SecretValidationTest, ::testing::ValuesIn(SecretCases()),
                         [](const auto& info) { return info.param.name; });

TEST(SecretValidationTest, TestDataIsPresent) {
  // Guards the table against silently reading empty files.
  EXPECT_NE(Pem("rsa.crt").find("BEGIN CERTIFICATE"), std::string::npos);
  EXPECT_NE(Pem("ec.key").find("BEGIN EC PRIVATE KEY"), std::string::npos);
}

}  // namespace
}  // namespace contour::dag
