// `contour certgen`: flags (and CONTOUR_NAMESPACE) reach the options, one set of certificates goes
// to every output asked for, `openssl verify` accepts the files, and --kube against the fake API
// server creates, keeps (exit 0) or, with --overwrite, replaces the Secrets.
#include "cli/certgen_command.h"

#include <openssl/x509v3.h>
#include <stdlib.h>
#include <sys/wait.h>

#include <filesystem>
#include <fstream>
#include <map>
#include <optional>
#include <sstream>
#include <string>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "certgen/certificates.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "k8s/base64.h"
#include "nlohmann/json.hpp"
#include "tests/support/fake_apiserver.h"
#include "tests/support/openssl_verify.h"
#include "tests/support/temp_dir.h"
#include "yaml-cpp/yaml.h"

namespace contour::cli {
namespace {

using ::testing::HasSubstr;
using ::testing::IsEmpty;
using ::testing::Not;
using ::testing::UnorderedElementsAre;

constexpr char kNamespace[] = "projectcontour-test";

std::string ReadFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream text;
  text << in.rdbuf();
  return text.str();
}

std::vector<std::string> Entries(const std::string& dir) {
  std::vector<std::string> names;
  std::error_code ignored;
  for (const auto& entry : std::filesystem::directory_iterator(dir, ignored)) {
    names.push_back(entry.path().filename().string());
  }
  return names;
}

// Sets (or, with nullopt, unsets) one environment variable for a test and restores it.
class ScopedEnv {
 public:
  ScopedEnv(std::string name, std::optional<std::string> value) : name_(std::move(name)) {
    if (const char* old = ::getenv(name_.c_str())) saved_ = old;
    if (value) {
      ::setenv(name_.c_str(), value->c_str(), 1);
    } else {
      ::unsetenv(name_.c_str());
    }
  }
  ~ScopedEnv() {
    if (saved_) {
      ::setenv(name_.c_str(), saved_->c_str(), 1);
    } else {
      ::unsetenv(name_.c_str());
    }
  }

 private:
  std::string name_;
  std::optional<std::string> saved_;
};

struct Parsed {
  bool ok;
  CertgenOptions options;
};

Parsed Parse(const std::vector<std::string>& args) {
  std::vector<std::string> full = {"contour", "certgen"};
  full.insert(full.end(), args.begin(), args.end());
  std::vector<const char*> argv;
  for (const std::string& arg : full) argv.push_back(arg.c_str());
  CLI::App app;
  Parsed parsed{true, {}};
  AddCertgenCommand(app, parsed.options);
  try {
    app.parse(static_cast<int>(argv.size()), argv.data());
  } catch (const CLI::ParseError&) {
    parsed.ok = false;
  }
  return parsed;
}

struct Outcome {
  int exit_code;
  std::string out;
  std::string err;
};

// Runs `contour certgen ARGS...` as main does.
Outcome RunCertgenCommand(const std::vector<std::string>& args) {
  Parsed parsed = Parse(args);
  EXPECT_TRUE(parsed.ok);
  if (!parsed.ok) return {2, "", "parse error"};
  std::ostringstream out, err;
  const int code = RunCertgen(parsed.options, out, err);
  return {code, out.str(), err.str()};
}

using testing::OpensslVerify;

// The data of a Secret manifest, decoded.
std::map<std::string, std::string> ManifestData(const std::string& path) {
  YAML::Node doc = YAML::Load(ReadFile(path));
  std::map<std::string, std::string> data;
  for (const auto& item : doc["data"]) {
    data[item.first.as<std::string>()] =
        k8s::DecodeStdBase64(item.second.as<std::string>()).value_or("<bad base64>");
  }
  return data;
}

struct ParseCase {
  std::string name;
  std::vector<std::string> args;
  std::optional<std::string> env_namespace;
  CertgenOptions want;
};

class CertgenParseTest : public ::testing::TestWithParam<ParseCase> {};

TEST_P(CertgenParseTest, ReachesOptions) {
  const ParseCase& c = GetParam();
  ScopedEnv env("CONTOUR_NAMESPACE", c.env_namespace);
  const Parsed parsed = Parse(c.args);
  ASSERT_TRUE(parsed.ok);
  const CertgenOptions& got = parsed.options;
  EXPECT_EQ(got.output_dir, c.want.output_dir);
  EXPECT_EQ(got.kube, c.want.kube);
  EXPECT_EQ(got.yaml, c.want.yaml);
  EXPECT_EQ(got.pem, c.want.pem);
  EXPECT_EQ(got.overwrite, c.want.overwrite);
  EXPECT_EQ(got.in_cluster, c.want.in_cluster);
  EXPECT_EQ(got.kubeconfig, c.want.kubeconfig);
  EXPECT_EQ(got.context, c.want.context);
  EXPECT_EQ(got.namespace_, c.want.namespace_);
}

INSTANTIATE_TEST_SUITE_P(
    Flags, CertgenParseTest,
    ::testing::Values(
        ParseCase{"Defaults", {}, std::nullopt, {}},
        ParseCase{"OutputDir", {"out/dir"}, std::nullopt, {.output_dir = "out/dir"}},
        ParseCase{"Outputs",
                  {"--kube", "--yaml", "--pem"},
                  std::nullopt,
                  {.kube = true, .yaml = true, .pem = true}},
        ParseCase{
            "Kubernetes",
            {"--kube", "--overwrite", "--incluster", "--kubeconfig", "/k", "--context", "ctx"},
            std::nullopt,
            {.kube = true,
             .overwrite = true,
             .in_cluster = true,
             .kubeconfig = "/k",
             .context = "ctx"}},
        ParseCase{"NamespaceFlag", {"--namespace", "ns1"}, std::nullopt, {.namespace_ = "ns1"}},
        ParseCase{"NamespaceEnv", {}, "ns2", {.namespace_ = "ns2"}},
        ParseCase{"FlagBeatsEnv", {"--namespace", "ns1"}, "ns2", {.namespace_ = "ns1"}}),
    [](const ::testing::TestParamInfo<ParseCase>& info) { return info.param.name; });

TEST(CertgenCommandTest, UsageErrors) {
  struct Case {
    std::string name;
    std::vector<std::string> args;
    std::string want;
  };
  const std::vector<Case> cases = {
      {"NoOutput",
       {},
       "contour certgen: nothing to write: give at least one of --kube, --yaml "
       "and --pem\n"},
      {"BadNamespace",
       {"--pem", "--namespace", "Not_A_Namespace"},
       "--namespace \"Not_A_Namespace\" is not a valid namespace name"},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.name);
    testing::TempDir dir;
    std::vector<std::string> args = c.args;
    args.push_back(dir.path() + "/certs");
    const Outcome outcome = RunCertgenCommand(args);
    EXPECT_EQ(outcome.exit_code, 2);
    EXPECT_THAT(outcome.err, HasSubstr(c.want));
    EXPECT_THAT(Entries(dir.path()), IsEmpty()) << "nothing written";
  }
}

TEST(CertgenCommandTest, PemAndYamlCarryTheSameCertificates) {
  testing::TempDir dir;
  const std::string out = dir.path() + "/certs";
  const Outcome outcome = RunCertgenCommand({"--pem", "--yaml", "--namespace", kNamespace, out});
  ASSERT_EQ(outcome.exit_code, 0) << outcome.err;
  EXPECT_EQ(outcome.err, "");
  EXPECT_THAT(outcome.out, HasSubstr(out + "/contourkey.pem created\n"));
  EXPECT_THAT(outcome.out, HasSubstr(out + "/envoycert.yaml created\n"));
  EXPECT_THAT(Entries(out), UnorderedElementsAre("cacert.pem", "contourcert.pem", "contourkey.pem",
                                                 "envoycert.pem", "envoykey.pem", "cacert.yaml",
                                                 "contourcert.yaml", "envoycert.yaml"));

  const std::string ca = ReadFile(out + "/cacert.pem");
  EXPECT_EQ(ManifestData(out + "/cacert.yaml"),
            (std::map<std::string, std::string>{{"cacert.pem", ca}}));
  EXPECT_EQ(ManifestData(out + "/contourcert.yaml"),
            (std::map<std::string, std::string>{{"ca.crt", ca},
                                                {"tls.crt", ReadFile(out + "/contourcert.pem")},
                                                {"tls.key", ReadFile(out + "/contourkey.pem")}}));
  EXPECT_EQ(ManifestData(out + "/envoycert.yaml"),
            (std::map<std::string, std::string>{{"ca.crt", ca},
                                                {"tls.crt", ReadFile(out + "/envoycert.pem")},
                                                {"tls.key", ReadFile(out + "/envoykey.pem")}}));
  YAML::Node manifest = YAML::Load(ReadFile(out + "/contourcert.yaml"));
  EXPECT_EQ(manifest["metadata"]["namespace"].as<std::string>(), kNamespace);

  EXPECT_EQ(OpensslVerify(out + "/cacert.pem", out + "/contourcert.pem", "sslserver"), 0);
  EXPECT_EQ(OpensslVerify(out + "/cacert.pem", out + "/envoycert.pem", "sslclient"), 0);

  // The namespace reached the certificates' names.
  absl::StatusOr<certgen::CertPtr> contour =
      certgen::ParseCertificatePem(ReadFile(out + "/contourcert.pem"));
  ASSERT_TRUE(contour.ok()) << contour.status();
  const std::string host = absl::StrCat("contour.", kNamespace, ".svc.cluster.local");
  EXPECT_EQ(X509_check_host(contour->get(), host.data(), host.size(), 0, nullptr), 1);
}

// --- --kube, against the fake API server. ---

std::map<std::string, std::string> SecretData(const testing::FakeApiServer& server,
                                              const std::string& name) {
  std::optional<nlohmann::json> secret = server.Get("v1", "Secret", kNamespace, name);
  std::map<std::string, std::string> data;
  if (!secret) return data;
  for (const auto& [key, value] : (*secret)["data"].items()) {
    data[key] = k8s::DecodeStdBase64(value.get<std::string>()).value_or("<bad base64>");
  }
  return data;
}

class CertgenKubeTest : public ::testing::Test {
 protected:
  void SetUp() override {
    absl::StatusOr<std::unique_ptr<testing::FakeApiServer>> server =
        testing::FakeApiServer::Start();
    ASSERT_TRUE(server.ok()) << server.status();
    server_ = *std::move(server);
    kubeconfig_ = dir_.Write("kubeconfig", server_->Kubeconfig());
  }

  // certgen --kube --pem into a fresh directory, which is returned.
  std::pair<Outcome, std::string> RunKube(std::vector<std::string> extra = {}) {
    const std::string out = absl::StrCat(dir_.path(), "/run", runs_++);
    std::vector<std::string> args = {"--kube",    "--pem",       "--kubeconfig",
                                     kubeconfig_, "--namespace", kNamespace};
    args.insert(args.end(), extra.begin(), extra.end());
    args.push_back(out);
    return {RunCertgenCommand(args), out};
  }

  // The Secrets hold exactly the PEM files in `dir`.
  void ExpectSecretsMatchFiles(const std::string& dir) {
    const std::string ca = ReadFile(dir + "/cacert.pem");
    EXPECT_EQ(SecretData(*server_, "cacert"),
              (std::map<std::string, std::string>{{"cacert.pem", ca}}));
    EXPECT_EQ(SecretData(*server_, "contourcert"),
              (std::map<std::string, std::string>{{"ca.crt", ca},
                                                  {"tls.crt", ReadFile(dir + "/contourcert.pem")},
                                                  {"tls.key", ReadFile(dir + "/contourkey.pem")}}));
    EXPECT_EQ(SecretData(*server_, "envoycert"),
              (std::map<std::string, std::string>{{"ca.crt", ca},
                                                  {"tls.crt", ReadFile(dir + "/envoycert.pem")},
                                                  {"tls.key", ReadFile(dir + "/envoykey.pem")}}));
  }

  testing::TempDir dir_;
  std::unique_ptr<testing::FakeApiServer> server_;
  std::string kubeconfig_;
  int runs_ = 0;
};

TEST_F(CertgenKubeTest, CreatesKeepsAndOverwrites) {
  const auto [created, first_dir] = RunKube();
  ASSERT_EQ(created.exit_code, 0) << created.err;
  EXPECT_EQ(created.err, "");
  EXPECT_THAT(created.out, HasSubstr("secret/cacert created\nsecret/contourcert created\n"
                                     "secret/envoycert created\n"));
  std::vector<std::string> names;
  for (const nlohmann::json& secret : server_->List("v1", "Secret")) {
    names.push_back(secret["metadata"]["name"].get<std::string>());
    EXPECT_EQ(secret["metadata"]["namespace"], kNamespace);
    EXPECT_EQ(secret["metadata"]["labels"], nlohmann::json({{"app", "contour"}}));
    EXPECT_EQ(secret["type"],
              secret["metadata"]["name"] == "cacert" ? "Opaque" : "kubernetes.io/tls");
  }
  EXPECT_THAT(names, UnorderedElementsAre("cacert", "contourcert", "envoycert"));
  // One set of certificates, written to both outputs.
  ExpectSecretsMatchFiles(first_dir);

  // A rerun keeps them and still succeeds; what it says goes to stderr.
  const uint64_t version = server_->resource_version();
  const auto [kept, second_dir] = RunKube();
  ASSERT_EQ(kept.exit_code, 0) << kept.err;
  EXPECT_THAT(kept.err, HasSubstr("contour certgen: secret/cacert already exists in namespace "
                                  "projectcontour-test; left unchanged"));
  EXPECT_THAT(kept.err, HasSubstr("secret/envoycert already exists"));
  EXPECT_THAT(kept.out, Not(HasSubstr("secret/")));
  EXPECT_EQ(server_->resource_version(), version);
  ExpectSecretsMatchFiles(first_dir);

  const auto [replaced, third_dir] = RunKube({"--overwrite"});
  ASSERT_EQ(replaced.exit_code, 0) << replaced.err;
  EXPECT_EQ(replaced.err, "");
  EXPECT_THAT(replaced.out, HasSubstr("secret/cacert replaced\nsecret/contourcert replaced\n"
                                      "secret/envoycert replaced\n"));
  ExpectSecretsMatchFiles(third_dir);
  EXPECT_NE(ReadFile(third_dir + "/cacert.pem"), ReadFile(first_dir + "/cacert.pem"));
}

TEST_F(CertgenKubeTest, ServerErrorNamesTheSecret) {
  server_->FailRequests(500, 1, "/secrets");
  const auto [outcome, out] = RunKube();
  EXPECT_EQ(outcome.exit_code, 1);
  EXPECT_EQ(outcome.err,
            "contour certgen: creating Secret projectcontour-test/cacert: Internal error "
            "occurred: injected fault (HTTP 500)\n");
  EXPECT_TRUE(server_->List("v1", "Secret").empty()) << "stopped at the first failure";
}

TEST_F(CertgenKubeTest, BadKubeconfigFailsBeforeWritingAnything) {
  struct Case {
    std::string name;
    std::vector<std::string> args;
    std::string want;
  };
  const std::string missing = dir_.path() + "/no-such-kubeconfig";
  const std::vector<Case> cases = {
      {"MissingFile", {"--kubeconfig", missing}, missing},
      {"UnknownContext",
       {"--kubeconfig", kubeconfig_, "--context", "no-such-context"},
       "no-such-context"},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.name);
    const std::string out = dir_.path() + "/" + c.name;
    std::vector<std::string> args = {"--kube", "--pem"};
    args.insert(args.end(), c.args.begin(), c.args.end());
    args.push_back(out);
    const Outcome outcome = RunCertgenCommand(args);
    EXPECT_EQ(outcome.exit_code, 1);
    EXPECT_THAT(outcome.err, HasSubstr(c.want));
    EXPECT_FALSE(std::filesystem::exists(out));
  }
  EXPECT_TRUE(server_->Requests().empty());
}

}  // namespace
}  // namespace contour::cli
