// Where the certificates go: PEM files (modes; `openssl verify` accepts the chain), Secret
// manifests that decode back to the PEMs, and Secrets created through the API of the fake server,
// kept or replaced on a second run.
#include "certgen/outputs.h"

#include <sys/stat.h>

#include <cstdlib>
#include <deque>
#include <filesystem>
#include <fstream>
#include <optional>
#include <sstream>
#include <string>
#include <vector>

#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "k8s/api_client.h"
#include "k8s/base64.h"
#include "nlohmann/json.hpp"
#include "tests/support/client_for_fake.h"
#include "tests/support/fake_apiserver.h"
#include "tests/support/openssl_verify.h"
#include "tests/support/temp_dir.h"
#include "yaml-cpp/yaml.h"

namespace contour::certgen {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::Pair;
using ::testing::UnorderedElementsAre;

constexpr char kNamespace[] = "projectcontour";

GeneratedCertificates Generate() {
  absl::StatusOr<GeneratedCertificates> certs =
      GenerateCertificates(CertificateOptions{.namespace_ = kNamespace});
  EXPECT_TRUE(certs.ok()) << certs.status();
  return certs.ok() ? *std::move(certs) : GeneratedCertificates{};
}

// The certificates of certgen run `n` (0, 1 or 2), made once for the whole program: RSA key
// generation dominates its running time. Tests that need different runs take different `n`.
const GeneratedCertificates& CertgenRun(int n) {
  static const auto* const runs =
      new std::vector<GeneratedCertificates>{Generate(), Generate(), Generate()};
  return runs->at(static_cast<size_t>(n));
}

std::string ReadFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream text;
  text << in.rdbuf();
  return text.str();
}

mode_t Mode(const std::string& path) {
  struct stat st;
  if (::stat(path.c_str(), &st) != 0) return 0;
  return st.st_mode & 07777;
}

using testing::OpensslVerify;

TEST(MakeSecretsTest, ThreeSecretsWithTheirKeys) {
  const GeneratedCertificates& certs = CertgenRun(0);
  const std::vector<Secret> secrets = MakeSecrets(certs, kNamespace);
  ASSERT_EQ(secrets.size(), 3u);
  EXPECT_EQ(secrets[0].name, "cacert");
  EXPECT_EQ(secrets[0].type, "Opaque");
  EXPECT_THAT(secrets[0].data, ElementsAre(Pair("cacert.pem", certs.ca_cert_pem)));
  EXPECT_EQ(secrets[1].name, "contourcert");
  EXPECT_EQ(secrets[1].type, "kubernetes.io/tls");
  EXPECT_THAT(secrets[1].data, ElementsAre(Pair("ca.crt", certs.ca_cert_pem),
                                           Pair("tls.crt", certs.contour.cert_pem),
                                           Pair("tls.key", certs.contour.key_pem)));
  EXPECT_EQ(secrets[2].name, "envoycert");
  EXPECT_EQ(secrets[2].type, "kubernetes.io/tls");
  EXPECT_THAT(secrets[2].data,
              ElementsAre(Pair("ca.crt", certs.ca_cert_pem), Pair("tls.crt", certs.envoy.cert_pem),
                          Pair("tls.key", certs.envoy.key_pem)));
  for (const Secret& secret : secrets) EXPECT_EQ(secret.namespace_, kNamespace);
}

TEST(SecretYamlTest, ExactText) {
  const Secret secret{"envoycert", "ns", "kubernetes.io/tls", {{"tls.key", "k"}, {"ca.crt", "c"}}};
  EXPECT_EQ(SecretYaml(secret),
            "apiVersion: v1\n"
            "kind: Secret\n"
            "metadata:\n"
            "  name: envoycert\n"
            "  namespace: ns\n"
            "  labels:\n"
            "    app: contour\n"
            "type: kubernetes.io/tls\n"
            "data:\n"
            "  ca.crt: Yw==\n"
            "  tls.key: aw==\n");
}

TEST(SecretJsonTest, ApiObject) {
  const Secret secret{"cacert", "ns", "Opaque", {{"cacert.pem", "PEM"}}};
  EXPECT_EQ(SecretJson(secret), nlohmann::json::parse(R"({
    "apiVersion": "v1", "kind": "Secret",
    "metadata": {"name": "cacert", "namespace": "ns", "labels": {"app": "contour"}},
    "type": "Opaque", "data": {"cacert.pem": "UEVN"}})"));
}

TEST(WritePemFilesTest, FilesModesAndOpensslVerify) {
  testing::TempDir dir;
  const std::string out = dir.path() + "/nested/certs";  // made with its parent
  const GeneratedCertificates& certs = CertgenRun(0);
  absl::StatusOr<std::vector<std::string>> written = WritePemFiles(certs, out);
  ASSERT_TRUE(written.ok()) << written.status();
  EXPECT_THAT(*written,
              ElementsAre(out + "/cacert.pem", out + "/contourcert.pem", out + "/contourkey.pem",
                          out + "/envoycert.pem", out + "/envoykey.pem"));
  EXPECT_EQ(ReadFile(out + "/cacert.pem"), certs.ca_cert_pem);
  EXPECT_EQ(ReadFile(out + "/contourcert.pem"), certs.contour.cert_pem);
  EXPECT_EQ(ReadFile(out + "/contourkey.pem"), certs.contour.key_pem);
  EXPECT_EQ(ReadFile(out + "/envoycert.pem"), certs.envoy.cert_pem);
  EXPECT_EQ(ReadFile(out + "/envoykey.pem"), certs.envoy.key_pem);
  EXPECT_EQ(Mode(out + "/contourkey.pem"), 0600);
  EXPECT_EQ(Mode(out + "/envoykey.pem"), 0600);
  EXPECT_EQ(Mode(out + "/cacert.pem"), 0644);
  EXPECT_EQ(Mode(out + "/envoycert.pem"), 0644);
  // Nothing else (no temporary files left behind).
  std::vector<std::string> names;
  for (const auto& entry : std::filesystem::directory_iterator(out)) {
    names.push_back(entry.path().filename().string());
  }
  EXPECT_THAT(names, UnorderedElementsAre("cacert.pem", "contourcert.pem", "contourkey.pem",
                                          "envoycert.pem", "envoykey.pem"));

  for (const char* cert : {"contourcert.pem", "envoycert.pem"}) {
    for (const char* purpose : {"sslserver", "sslclient"}) {
      EXPECT_EQ(OpensslVerify(out + "/cacert.pem", out + "/" + cert, purpose), 0)
          << cert << " " << purpose;
    }
  }

  // A second run's certificates, in another directory, do not verify against the first CA.
  const std::string second = dir.path() + "/second";
  ASSERT_TRUE(WritePemFiles(CertgenRun(1), second).ok());
  EXPECT_NE(OpensslVerify(out + "/cacert.pem", second + "/envoycert.pem", "sslclient"), 0);
  EXPECT_NE(OpensslVerify(second + "/cacert.pem", out + "/contourcert.pem", "sslserver"), 0);
  EXPECT_EQ(OpensslVerify(second + "/cacert.pem", second + "/envoycert.pem", "sslclient"), 0);
}

TEST(WritePemFilesTest, ReplacesExistingFiles) {
  testing::TempDir dir;
  dir.Write("cacert.pem", "old");
  const GeneratedCertificates& certs = CertgenRun(0);
  ASSERT_TRUE(WritePemFiles(certs, dir.path()).ok());
  EXPECT_EQ(ReadFile(dir.path() + "/cacert.pem"), certs.ca_cert_pem);
}

TEST(WritePemFilesTest, UnwritableDirectoryIsAnError) {
  testing::TempDir dir;
  const std::string file = dir.Write("file", "x");
  absl::StatusOr<std::vector<std::string>> written = WritePemFiles(CertgenRun(0), file + "/certs");
  ASSERT_FALSE(written.ok());
  EXPECT_THAT(written.status().message(), HasSubstr(file));
}

TEST(WriteSecretManifestsTest, ParseAndDecodeBackToThePems) {
  testing::TempDir dir;
  const GeneratedCertificates& certs = CertgenRun(0);
  const std::vector<Secret> secrets = MakeSecrets(certs, kNamespace);
  absl::StatusOr<std::vector<std::string>> written = WriteSecretManifests(secrets, dir.path());
  ASSERT_TRUE(written.ok()) << written.status();
  EXPECT_THAT(*written, ElementsAre(dir.path() + "/cacert.yaml", dir.path() + "/contourcert.yaml",
                                    dir.path() + "/envoycert.yaml"));
  EXPECT_EQ(Mode(dir.path() + "/cacert.yaml"), 0644);
  EXPECT_EQ(Mode(dir.path() + "/contourcert.yaml"), 0600) << "holds a private key";
  EXPECT_EQ(Mode(dir.path() + "/envoycert.yaml"), 0600);

  struct Want {
    std::string file;
    std::string name;
    std::string type;
    std::map<std::string, std::string> data;
  };
  const std::vector<Want> wants = {
      {"cacert.yaml", "cacert", "Opaque", {{"cacert.pem", certs.ca_cert_pem}}},
      {"contourcert.yaml",
       "contourcert",
       "kubernetes.io/tls",
       {{"ca.crt", certs.ca_cert_pem},
        {"tls.crt", certs.contour.cert_pem},
        {"tls.key", certs.contour.key_pem}}},
      {"envoycert.yaml",
       "envoycert",
       "kubernetes.io/tls",
       {{"ca.crt", certs.ca_cert_pem},
        {"tls.crt", certs.envoy.cert_pem},
        {"tls.key", certs.envoy.key_pem}}},
  };
  for (const Want& want : wants) {
    SCOPED_TRACE(want.file);
    YAML::Node doc = YAML::Load(ReadFile(dir.path() + "/" + want.file));
    EXPECT_EQ(doc["apiVersion"].as<std::string>(), "v1");
    EXPECT_EQ(doc["kind"].as<std::string>(), "Secret");
    EXPECT_EQ(doc["metadata"]["name"].as<std::string>(), want.name);
    EXPECT_EQ(doc["metadata"]["namespace"].as<std::string>(), kNamespace);
    EXPECT_EQ(doc["metadata"]["labels"]["app"].as<std::string>(), "contour");
    EXPECT_EQ(doc["metadata"]["labels"].size(), 1u);
    EXPECT_EQ(doc["type"].as<std::string>(), want.type);
    std::map<std::string, std::string> data;
    for (const auto& item : doc["data"]) {
      std::optional<std::string> decoded = k8s::DecodeStdBase64(item.second.as<std::string>());
      ASSERT_TRUE(decoded.has_value()) << item.first.as<std::string>();
      data[item.first.as<std::string>()] = *decoded;
    }
    EXPECT_EQ(data, want.data);
  }
}

// --- The Kubernetes writer, against the fake API server. ---

// The Secret as stored, with its data decoded.
struct StoredSecret {
  std::string type;
  nlohmann::json labels;
  std::map<std::string, std::string> data;
  std::string resource_version;
};

std::optional<StoredSecret> Stored(const testing::FakeApiServer& server, const std::string& name) {
  std::optional<nlohmann::json> object = server.Get("v1", "Secret", kNamespace, name);
  if (!object) return std::nullopt;
  StoredSecret out;
  out.type = object->value("type", "");
  out.labels = (*object)["metadata"].value("labels", nlohmann::json::object());
  out.resource_version = (*object)["metadata"].value("resourceVersion", "");
  for (const auto& [key, value] : (*object)["data"].items()) {
    std::optional<std::string> decoded = k8s::DecodeStdBase64(value.get<std::string>());
    EXPECT_TRUE(decoded.has_value()) << name << " " << key;
    out.data[key] = decoded.value_or("");
  }
  return out;
}

void ExpectStoredSecrets(const testing::FakeApiServer& server, const GeneratedCertificates& certs) {
  const nlohmann::json labels = {{"app", "contour"}};
  std::optional<StoredSecret> ca = Stored(server, "cacert");
  std::optional<StoredSecret> contour = Stored(server, "contourcert");
  std::optional<StoredSecret> envoy = Stored(server, "envoycert");
  ASSERT_TRUE(ca && contour && envoy);
  EXPECT_EQ(ca->type, "Opaque");
  EXPECT_EQ(ca->labels, labels);
  EXPECT_THAT(ca->data, ElementsAre(Pair("cacert.pem", certs.ca_cert_pem)));
  EXPECT_EQ(contour->type, "kubernetes.io/tls");
  EXPECT_EQ(contour->labels, labels);
  EXPECT_THAT(contour->data, ElementsAre(Pair("ca.crt", certs.ca_cert_pem),
                                         Pair("tls.crt", certs.contour.cert_pem),
                                         Pair("tls.key", certs.contour.key_pem)));
  EXPECT_EQ(envoy->type, "kubernetes.io/tls");
  EXPECT_EQ(envoy->labels, labels);
  EXPECT_THAT(envoy->data,
              ElementsAre(Pair("ca.crt", certs.ca_cert_pem), Pair("tls.crt", certs.envoy.cert_pem),
                          Pair("tls.key", certs.envoy.key_pem)));
}

std::vector<SecretOutcome> Outcomes(const std::vector<SecretResult>& results) {
  std::vector<SecretOutcome> out;
  for (const SecretResult& result : results) out.push_back(result.outcome);
  return out;
}

TEST(WriteKubernetesSecretsTest, CreatesThenKeepsThenReplaces) {
  testing::FakeAndClient fake = testing::StartFakeWithClient();
  ASSERT_NE(fake.client, nullptr);
  const GeneratedCertificates& first = CertgenRun(0);
  absl::StatusOr<std::vector<SecretResult>> created =
      WriteKubernetesSecrets(*fake.client, MakeSecrets(first, kNamespace), {});
  ASSERT_TRUE(created.ok()) << created.status();
  EXPECT_THAT(Outcomes(*created), ElementsAre(SecretOutcome::kCreated, SecretOutcome::kCreated,
                                              SecretOutcome::kCreated));
  ASSERT_EQ(created->size(), 3u);
  EXPECT_EQ((*created)[0].name, "cacert");
  EXPECT_EQ((*created)[1].name, "contourcert");
  EXPECT_EQ((*created)[2].name, "envoycert");
  ExpectStoredSecrets(*fake.server, first);
  for (const auto& record : fake.server->Requests()) {
    EXPECT_EQ(record.method, "POST");
    EXPECT_EQ(record.path, "/api/v1/namespaces/projectcontour/secrets");
  }
  const uint64_t version_after_create = fake.server->resource_version();

  // A rerun (a certgen Job restarted) leaves them alone.
  absl::StatusOr<std::vector<SecretResult>> kept =
      WriteKubernetesSecrets(*fake.client, MakeSecrets(CertgenRun(1), kNamespace), {});
  ASSERT_TRUE(kept.ok()) << kept.status();
  EXPECT_THAT(Outcomes(*kept),
              ElementsAre(SecretOutcome::kKept, SecretOutcome::kKept, SecretOutcome::kKept));
  ExpectStoredSecrets(*fake.server, first);
  EXPECT_EQ(fake.server->resource_version(), version_after_create);

  // --overwrite replaces them.
  fake.server->ClearRequests();
  const GeneratedCertificates& third = CertgenRun(2);
  absl::StatusOr<std::vector<SecretResult>> replaced =
      WriteKubernetesSecrets(*fake.client, MakeSecrets(third, kNamespace), {.overwrite = true});
  ASSERT_TRUE(replaced.ok()) << replaced.status();
  EXPECT_THAT(Outcomes(*replaced), ElementsAre(SecretOutcome::kReplaced, SecretOutcome::kReplaced,
                                               SecretOutcome::kReplaced));
  ExpectStoredSecrets(*fake.server, third);
  std::vector<std::string> calls;
  for (const auto& record : fake.server->Requests()) {
    calls.push_back(record.method + " " + record.path);
  }
  const std::string base = "/api/v1/namespaces/projectcontour/secrets";
  EXPECT_THAT(calls, ElementsAre("POST " + base, "PUT " + base + "/cacert", "POST " + base,
                                 "PUT " + base + "/contourcert", "POST " + base,
                                 "PUT " + base + "/envoycert"));
}

TEST(WriteKubernetesSecretsTest, OverwriteCreatesWhatIsMissing) {
  testing::FakeAndClient fake = testing::StartFakeWithClient();
  ASSERT_NE(fake.client, nullptr);
  const GeneratedCertificates& certs = CertgenRun(0);
  absl::StatusOr<std::vector<SecretResult>> results =
      WriteKubernetesSecrets(*fake.client, MakeSecrets(certs, kNamespace), {.overwrite = true});
  ASSERT_TRUE(results.ok()) << results.status();
  EXPECT_THAT(Outcomes(*results), ElementsAre(SecretOutcome::kCreated, SecretOutcome::kCreated,
                                              SecretOutcome::kCreated));
  ExpectStoredSecrets(*fake.server, certs);
}

TEST(WriteKubernetesSecretsTest, PartlyPresentWithoutOverwriteIsAnError) {
  testing::FakeAndClient fake = testing::StartFakeWithClient();
  ASSERT_NE(fake.client, nullptr);
  ASSERT_TRUE(fake.server
                  ->Create({{"apiVersion", "v1"},
                            {"kind", "Secret"},
                            {"metadata", {{"name", "cacert"}, {"namespace", kNamespace}}},
                            {"data", {{"cacert.pem", absl::Base64Escape("an older CA")}}}})
                  .ok());
  absl::StatusOr<std::vector<SecretResult>> results =
      WriteKubernetesSecrets(*fake.client, MakeSecrets(CertgenRun(0), kNamespace), {});
  ASSERT_EQ(results.status().code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_THAT(results.status().message(), HasSubstr("projectcontour/cacert already existed"));
  EXPECT_THAT(results.status().message(), HasSubstr("--overwrite"));
  std::optional<StoredSecret> ca = Stored(*fake.server, "cacert");
  ASSERT_TRUE(ca.has_value());
  EXPECT_THAT(ca->data, ElementsAre(Pair("cacert.pem", "an older CA"))) << "left alone";
}

TEST(WriteKubernetesSecretsTest, ServerErrorNamesTheSecret) {
  struct Case {
    std::string name;
    bool existing;  // the Secrets are there before the run
    bool overwrite;
    std::string fail_path;
    std::string want;
  };
  const std::vector<Case> cases = {
      {"Create", false, false, "/secrets",
       "creating Secret projectcontour/cacert: Internal error occurred: injected fault (HTTP "
       "500)"},
      {"Replace", true, true, "/secrets/contourcert",
       "replacing Secret projectcontour/contourcert: Internal error occurred: injected fault "
       "(HTTP 500)"},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.name);
    testing::FakeAndClient fake = testing::StartFakeWithClient();
    ASSERT_NE(fake.client, nullptr);
    if (c.existing) {
      ASSERT_TRUE(
          WriteKubernetesSecrets(*fake.client, MakeSecrets(CertgenRun(0), kNamespace), {}).ok());
    }
    fake.server->FailRequests(500, 1, c.fail_path);
    absl::StatusOr<std::vector<SecretResult>> results = WriteKubernetesSecrets(
        *fake.client, MakeSecrets(CertgenRun(1), kNamespace), {.overwrite = c.overwrite});
    ASSERT_FALSE(results.ok());
    EXPECT_EQ(results.status().code(), absl::StatusCode::kUnavailable);
    EXPECT_EQ(results.status().message(), c.want);
  }
}

// An ApiClient that fails every request at the transport: the error still names the Secret.
class UnreachableClient : public k8s::ApiClient {
 public:
  absl::StatusOr<k8s::HttpResponse> Request(std::string_view, std::string_view, std::string_view,
                                            const k8s::RequestOptions&) override {
    return absl::UnavailableError("connection refused");
  }
  absl::StatusOr<k8s::HttpResponse> Stream(std::string_view, const k8s::RequestOptions&,
                                           std::stop_token,
                                           const std::function<bool(std::string_view)>&) override {
    return absl::UnimplementedError("not used");
  }
};

TEST(WriteKubernetesSecretsTest, TransportErrorNamesTheSecret) {
  UnreachableClient client;
  absl::StatusOr<std::vector<SecretResult>> results =
      WriteKubernetesSecrets(client, MakeSecrets(CertgenRun(0), kNamespace), {});
  ASSERT_FALSE(results.ok());
  EXPECT_EQ(results.status().code(), absl::StatusCode::kUnavailable);
  EXPECT_EQ(results.status().message(),
            "creating Secret projectcontour/cacert: connection refused");
}

}  // namespace
}  // namespace contour::certgen
