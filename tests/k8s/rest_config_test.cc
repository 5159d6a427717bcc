#include "k8s/rest_config.h"

#include <cstdlib>
#include <map>
#include <optional>
#include <ostream>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_replace.h"
#include "absl/strings/str_split.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/support/temp_dir.h"

namespace contour::k8s {

bool operator==(const RestConfig& a, const RestConfig& b) {
  return a.server == b.server && a.ca_pem == b.ca_pem &&
         a.insecure_skip_tls_verify == b.insecure_skip_tls_verify &&
         a.tls_server_name == b.tls_server_name && a.client_cert_pem == b.client_cert_pem &&
         a.client_key_pem == b.client_key_pem && a.token == b.token &&
         a.token_file == b.token_file && a.username == b.username && a.password == b.password &&
         a.namespace_ == b.namespace_ && a.source == b.source;
}

void PrintTo(const RestConfig& c, std::ostream* os) {
  *os << "{server=" << c.server << " ca_pem=" << c.ca_pem.size() << "B"
      << " insecure=" << c.insecure_skip_tls_verify << " tls_server_name=" << c.tls_server_name
      << " client_cert_pem=" << c.client_cert_pem.size() << "B"
      << " client_key_pem=" << c.client_key_pem.size() << "B token=" << c.token
      << " token_file=" << c.token_file << " username=" << c.username << " password=" << c.password
      << " namespace=" << c.namespace_ << " source=" << c.source << "}";
}

namespace {

using ::testing::HasSubstr;

constexpr char kCaPem[] = "CA PEM\n";
constexpr char kCaPemBase64[] = "Q0EgUEVNCg==";
constexpr char kCertPem[] = "CLIENT CERT\n";
constexpr char kCertPemBase64[] = "Q0xJRU5UIENFUlQK";
constexpr char kKeyPem[] = "CLIENT KEY\n";
constexpr char kKeyPemBase64[] = "Q0xJRU5UIEtFWQo=";

std::string Indent(const std::string& text, int spaces) {
  std::string out;
  for (absl::string_view line : absl::StrSplit(text, '\n', absl::SkipEmpty())) {
    absl::StrAppend(&out, std::string(spaces, ' '), line, "\n");
  }
  return out;
}

// A kubeconfig with one cluster "c", one user "u" and one context "main" joining them.
std::string OneContext(const std::string& cluster, const std::string& user,
                       const std::string& context_extra = "") {
  return absl::StrCat("apiVersion: v1\nkind: Config\ncurrent-context: main\nclusters:\n",
                      "- name: c\n  cluster:\n", Indent(cluster, 4), "users:\n- name: u\n",
                      user.empty() ? "  user: {}\n" : absl::StrCat("  user:\n", Indent(user, 4)),
                      "contexts:\n- name: main\n  context:\n    cluster: c\n    user: u\n",
                      Indent(context_extra, 4));
}

// Two of everything; "b" is current.
constexpr char kTwoContexts[] = R"(apiVersion: v1
kind: Config
current-context: b
clusters:
- name: cluster-a
  cluster:
    server: https://a.example:6443
- name: cluster-b
  cluster:
    server: https://b.example:6443/
users:
- name: user-a
  user:
    token: token-a
- name: user-b
  user:
    token: token-b
contexts:
- name: a
  context:
    cluster: cluster-a
    user: user-a
- name: b
  context:
    cluster: cluster-b
    user: user-b
    namespace: ns-b
)";

struct KubeconfigCase {
  std::string name;
  std::string kubeconfig;                    // "$DIR" stands for the directory holding it
  std::map<std::string, std::string> files;  // more files, by name relative to $DIR
  std::string context;
  // Success: the expected config ("$DIR" expanded; source is the kubeconfig's path).
  std::optional<RestConfig> want;
  // Failure: the code, and pieces of the message (besides the file's path, always checked).
  absl::StatusCode code = absl::StatusCode::kOk;
  std::vector<std::string> message;
};

std::string Expand(const std::string& text, const std::string& dir) {
  return absl::StrReplaceAll(text, {{"$DIR", dir}});
}

class LoadKubeconfigTest : public ::testing::TestWithParam<KubeconfigCase> {};

TEST_P(LoadKubeconfigTest, Resolves) {
  const KubeconfigCase& c = GetParam();
  contour::testing::TempDir dir;
  for (const auto& [name, contents] : c.files) dir.Write(name, Expand(contents, dir.path()));
  std::string path = dir.Write("kube/config", Expand(c.kubeconfig, dir.path()));

  absl::StatusOr<RestConfig> got = LoadKubeconfig(path, c.context);
  if (c.want.has_value()) {
    ASSERT_TRUE(got.ok()) << got.status();
    RestConfig want = *c.want;
    want.token_file = Expand(want.token_file, dir.path());
    want.source = path;
    EXPECT_EQ(*got, want);
  } else {
    ASSERT_FALSE(got.ok()) << "resolved to " << ::testing::PrintToString(*got);
    EXPECT_EQ(got.status().code(), c.code) << got.status();
    EXPECT_THAT(std::string(got.status().message()), HasSubstr(path));
    for (const std::string& piece : c.message) {
      EXPECT_THAT(std::string(got.status().message()), HasSubstr(Expand(piece, dir.path())));
    }
  }
}

INSTANTIATE_TEST_SUITE_P(
    Kubeconfigs, LoadKubeconfigTest,
    ::testing::Values(
        KubeconfigCase{.name = "CurrentContext",
                       .kubeconfig = kTwoContexts,
                       .want = RestConfig{.server = "https://b.example:6443",
                                          .token = "token-b",
                                          .namespace_ = "ns-b"}},
        KubeconfigCase{.name = "ExplicitContextWins",
                       .kubeconfig = kTwoContexts,
                       .context = "a",
                       .want = RestConfig{.server = "https://a.example:6443",
                                          .token = "token-a",
                                          .namespace_ = "default"}},
        KubeconfigCase{.name = "ExplicitContextNotFound",
                       .kubeconfig = kTwoContexts,
                       .context = "nope",
                       .code = absl::StatusCode::kNotFound,
                       .message = {"context \"nope\" not found"}},
        KubeconfigCase{.name = "CurrentContextNotFound",
                       .kubeconfig = absl::StrReplaceAll(kTwoContexts, {{"current-context: b",
                                                                         "current-context: gone"}}),
                       .code = absl::StatusCode::kNotFound,
                       .message = {"context \"gone\" not found"}},
        KubeconfigCase{
            .name = "NoCurrentContext",
            .kubeconfig = absl::StrReplaceAll(kTwoContexts, {{"current-context: b\n", ""}}),
            .code = absl::StatusCode::kInvalidArgument,
            .message = {"current-context"}},
        KubeconfigCase{.name = "ClusterNotFound",
                       .kubeconfig = absl::StrReplaceAll(
                           OneContext("server: https://h:6443", "token: t"),
                           {{"cluster: c\n    user", "cluster: elsewhere\n    user"}}),
                       .code = absl::StatusCode::kNotFound,
                       .message = {"cluster \"elsewhere\" not found", "context \"main\""}},
        KubeconfigCase{
            .name = "ClusterNotNamed",
            .kubeconfig = absl::StrReplaceAll(OneContext("server: https://h:6443", "token: t"),
                                              {{"cluster: c\n    user", "user"}}),
            .code = absl::StatusCode::kInvalidArgument,
            .message = {"cluster was not specified for context \"main\""}},
        KubeconfigCase{
            .name = "UserNotFound",
            .kubeconfig = absl::StrReplaceAll(OneContext("server: https://h:6443", "token: t"),
                                              {{"user: u\n", "user: nobody\n"}}),
            .code = absl::StatusCode::kNotFound,
            .message = {"user \"nobody\" not found", "context \"main\""}},
        KubeconfigCase{
            .name = "NoUserIsAnonymous",
            .kubeconfig = absl::StrReplaceAll(OneContext("server: https://h:6443", "token: t"),
                                              {{"    user: u\n", ""}}),
            .want = RestConfig{.server = "https://h:6443", .namespace_ = "default"}},
        KubeconfigCase{.name = "NoServer",
                       .kubeconfig = OneContext("insecure-skip-tls-verify: true", "token: t"),
                       .code = absl::StatusCode::kInvalidArgument,
                       .message = {"no server found for cluster \"c\""}},
        KubeconfigCase{
            .name = "CaData",
            .kubeconfig = OneContext(absl::StrCat("server: https://h:6443\n",
                                                  "certificate-authority-data: ", kCaPemBase64),
                                     ""),
            .want =
                RestConfig{.server = "https://h:6443", .ca_pem = kCaPem, .namespace_ = "default"}},
        KubeconfigCase{
            .name = "CaFileRelativeToKubeconfig",
            .kubeconfig = OneContext("server: https://h:6443\ncertificate-authority: pki/ca.crt",
                                     ""),
            .files = {{"kube/pki/ca.crt", kCaPem}},
            .want =
                RestConfig{.server = "https://h:6443", .ca_pem = kCaPem, .namespace_ = "default"}},
        KubeconfigCase{
            .name = "CaFileAbsolute",
            .kubeconfig = OneContext(
                "server: https://h:6443\ncertificate-authority: $DIR/elsewhere/ca.crt", ""),
            .files = {{"elsewhere/ca.crt", kCaPem}},
            .want =
                RestConfig{.server = "https://h:6443", .ca_pem = kCaPem, .namespace_ = "default"}},
        KubeconfigCase{
            .name = "CaFileMissing",
            .kubeconfig = OneContext("server: https://h:6443\ncertificate-authority: ca.crt", ""),
            .code = absl::StatusCode::kNotFound,
            .message = {"certificate-authority", "$DIR/kube/ca.crt"}},
        KubeconfigCase{.name = "CaDataAndFileBoth",
                       .kubeconfig = OneContext(
                           absl::StrCat("server: https://h:6443\ncertificate-authority: ca.crt\n",
                                        "certificate-authority-data: ", kCaPemBase64),
                           ""),
                       .files = {{"kube/ca.crt", kCaPem}},
                       .code = absl::StatusCode::kInvalidArgument,
                       .message = {"certificate-authority-data and certificate-authority"}},
        KubeconfigCase{
            .name = "CaDataNotBase64",
            .kubeconfig = OneContext("server: https://h:6443\ncertificate-authority-data: '%%%'",
                                     ""),
            .code = absl::StatusCode::kInvalidArgument,
            .message = {"certificate-authority-data is not base64"}},
        KubeconfigCase{
            .name = "ClientCertData",
            .kubeconfig = OneContext("server: https://h:6443",
                                     absl::StrCat("client-certificate-data: ", kCertPemBase64,
                                                  "\nclient-key-data: ", kKeyPemBase64)),
            .want = RestConfig{.server = "https://h:6443",
                               .client_cert_pem = kCertPem,
                               .client_key_pem = kKeyPem,
                               .namespace_ = "default"}},
        KubeconfigCase{.name = "ClientCertFilesRelative",
                       .kubeconfig = OneContext("server: https://h:6443",
                                                "client-certificate: ../certs/client.crt\n"
                                                "client-key: ../certs/client.key"),
                       .files = {{"certs/client.crt", kCertPem}, {"certs/client.key", kKeyPem}},
                       .want = RestConfig{.server = "https://h:6443",
                                          .client_cert_pem = kCertPem,
                                          .client_key_pem = kKeyPem,
                                          .namespace_ = "default"}},
        KubeconfigCase{
            .name = "ClientKeyDataAndFileBoth",
            .kubeconfig = OneContext("server: https://h:6443",
                                     absl::StrCat("client-certificate-data: ", kCertPemBase64,
                                                  "\nclient-key-data: ", kKeyPemBase64,
                                                  "\nclient-key: key.pem")),
            .files = {{"kube/key.pem", kKeyPem}},
            .code = absl::StatusCode::kInvalidArgument,
            .message = {"users[\"u\"]", "client-key-data and client-key"}},
        KubeconfigCase{
            .name = "ClientCertWithoutKey",
            .kubeconfig = OneContext("server: https://h:6443",
                                     absl::StrCat("client-certificate-data: ", kCertPemBase64)),
            .code = absl::StatusCode::kInvalidArgument,
            .message = {"client-key"}},
        KubeconfigCase{.name = "Token",
                       .kubeconfig = OneContext("server: https://h:6443", "token: abc"),
                       .want = RestConfig{.server = "https://h:6443",
                                          .token = "abc",
                                          .namespace_ = "default"}},
        KubeconfigCase{.name = "TokenFileRelativeIsReadAndKept",
                       .kubeconfig = OneContext("server: https://h:6443", "tokenFile: token"),
                       .files = {{"kube/token", "from-file\n"}},
                       .want = RestConfig{.server = "https://h:6443",
                                          .token = "from-file",
                                          .token_file = "$DIR/kube/token",
                                          .namespace_ = "default"}},
        KubeconfigCase{.name = "TokenAndTokenFileKeepsBoth",
                       .kubeconfig = OneContext("server: https://h:6443",
                                                "token: static\ntokenFile: /no/such/token"),
                       .want = RestConfig{.server = "https://h:6443",
                                          .token = "static",
                                          .token_file = "/no/such/token",
                                          .namespace_ = "default"}},
        KubeconfigCase{.name = "TokenFileMissing",
                       .kubeconfig = OneContext("server: https://h:6443", "tokenFile: token"),
                       .code = absl::StatusCode::kNotFound,
                       .message = {"tokenFile", "$DIR/kube/token"}},
        KubeconfigCase{
            .name = "BasicAuth",
            .kubeconfig = OneContext("server: https://h:6443", "username: admin\npassword: secret"),
            .want = RestConfig{.server = "https://h:6443",
                               .username = "admin",
                               .password = "secret",
                               .namespace_ = "default"}},
        KubeconfigCase{.name = "TokenAndBasicAuth",
                       .kubeconfig = OneContext("server: https://h:6443",
                                                "token: t\nusername: admin\npassword: secret"),
                       .code = absl::StatusCode::kInvalidArgument,
                       .message = {"more than one authentication method"}},
        KubeconfigCase{
            .name = "Insecure",
            .kubeconfig = OneContext("server: https://h:6443\ninsecure-skip-tls-verify: true",
                                     "token: t"),
            .want = RestConfig{.server = "https://h:6443",
                               .insecure_skip_tls_verify = true,
                               .token = "t",
                               .namespace_ = "default"}},
        KubeconfigCase{.name = "InsecureWithCa",
                       .kubeconfig = OneContext(
                           absl::StrCat("server: https://h:6443\ninsecure-skip-tls-verify: true\n",
                                        "certificate-authority-data: ", kCaPemBase64),
                           ""),
                       .code = absl::StatusCode::kInvalidArgument,
                       .message = {"insecure"}},
        KubeconfigCase{
            .name = "InsecureNotABool",
            .kubeconfig = OneContext("server: https://h:6443\ninsecure-skip-tls-verify: \"true\"",
                                     ""),
            .code = absl::StatusCode::kInvalidArgument,
            .message = {"insecure-skip-tls-verify is not a boolean"}},
        KubeconfigCase{
            .name = "TlsServerName",
            .kubeconfig = OneContext("server: https://10.0.0.1:6443\ntls-server-name: api.internal",
                                     ""),
            .want = RestConfig{.server = "https://10.0.0.1:6443",
                               .tls_server_name = "api.internal",
                               .namespace_ = "default"}},
        KubeconfigCase{
            .name = "ServerPathKeptQueryDropped",
            .kubeconfig = OneContext("server: https://h:6443/prefix/?x=1", ""),
            .want = RestConfig{.server = "https://h:6443/prefix", .namespace_ = "default"}},
        // clientcmd reads credentials only for TLS transports, and a server without a scheme
        // is plain http.
        KubeconfigCase{
            .name = "PlainHttpDropsCredentials",
            .kubeconfig = OneContext(
                absl::StrCat("server: localhost:8080\ncertificate-authority-data: ", kCaPemBase64),
                "token: t"),
            .want = RestConfig{.server = "http://localhost:8080", .namespace_ = "default"}},
        KubeconfigCase{.name = "UnsupportedScheme",
                       .kubeconfig = OneContext("server: ftp://h", ""),
                       .code = absl::StatusCode::kInvalidArgument,
                       .message = {"scheme"}},
        KubeconfigCase{.name = "ExecUser",
                       .kubeconfig = OneContext("server: https://h:6443",
                                                "exec:\n  apiVersion: "
                                                "client.authentication.k8s.io/v1\n  command: aws"),
                       .code = absl::StatusCode::kUnimplemented,
                       .message = {"users[\"u\"].user.exec", "not supported"}},
        KubeconfigCase{
            .name = "AuthProviderUser",
            .kubeconfig = OneContext("server: https://h:6443", "auth-provider:\n  name: gcp"),
            .code = absl::StatusCode::kUnimplemented,
            .message = {"auth-provider", "not supported"}},
        KubeconfigCase{.name = "Impersonation",
                       .kubeconfig = OneContext("server: https://h:6443", "token: t\nas: admin"),
                       .code = absl::StatusCode::kUnimplemented,
                       .message = {"impersonation"}},
        KubeconfigCase{
            .name = "BadNamespace",
            .kubeconfig = OneContext("server: https://h:6443", "", "namespace: Not_A_Label"),
            .code = absl::StatusCode::kInvalidArgument,
            .message = {"Not_A_Label"}},
        KubeconfigCase{.name = "BadYaml",
                       .kubeconfig = "clusters: [\n  - name: c\n  cluster: {\n",
                       .code = absl::StatusCode::kInvalidArgument,
                       .message = {"line"}},
        KubeconfigCase{.name = "NotAMapping",
                       .kubeconfig = "- just\n- a list\n",
                       .code = absl::StatusCode::kInvalidArgument,
                       .message = {"not a mapping"}},
        KubeconfigCase{.name = "ClustersNotAList",
                       .kubeconfig = absl::StrReplaceAll(
                           OneContext("server: https://h:6443", ""),
                           {{"clusters:\n- name: c\n  cluster:\n    server: https://h:6443\n",
                             "clusters: 7\n"}}),
                       .code = absl::StatusCode::kInvalidArgument,
                       .message = {"clusters is not a list"}},
        KubeconfigCase{.name = "Empty",
                       .kubeconfig = "# nothing here\n",
                       .code = absl::StatusCode::kInvalidArgument,
                       .message = {"no configuration has been provided"}},
        KubeconfigCase{
            .name = "Json",
            .kubeconfig =
                R"({"current-context":"x","clusters":[{"name":"k","cluster":{"server":"https://j:1"}}],)"
                R"("users":[{"name":"v","user":{"token":"jt"}}],)"
                R"("contexts":[{"name":"x","context":{"cluster":"k","user":"v","namespace":"jn"}}]})",
            .want = RestConfig{.server = "https://j:1", .token = "jt", .namespace_ = "jn"}}),
    [](const ::testing::TestParamInfo<KubeconfigCase>& info) { return info.param.name; });

TEST(LoadKubeconfig, MissingFileIsNotFound) {
  contour::testing::TempDir dir;
  absl::StatusOr<RestConfig> got = LoadKubeconfig(dir.path() + "/absent");
  ASSERT_FALSE(got.ok());
  EXPECT_EQ(got.status().code(), absl::StatusCode::kNotFound);
  EXPECT_THAT(std::string(got.status().message()), HasSubstr(dir.path() + "/absent"));
}

struct InClusterCase {
  std::string name;
  InClusterEnvironment env;  // service_account_dir is the temp dir when files are given
  std::map<std::string, std::string> files;
  std::optional<RestConfig> want;  // "$DIR" expanded in token_file
  absl::StatusCode code = absl::StatusCode::kOk;
  std::string message;
};

class InClusterConfigTest : public ::testing::TestWithParam<InClusterCase> {};

TEST_P(InClusterConfigTest, Resolves) {
  const InClusterCase& c = GetParam();
  contour::testing::TempDir dir;
  for (const auto& [name, contents] : c.files) dir.Write(name, contents);
  InClusterEnvironment env = c.env;
  env.service_account_dir = dir.path();

  absl::StatusOr<RestConfig> got = InClusterConfig(env);
  if (c.want.has_value()) {
    ASSERT_TRUE(got.ok()) << got.status();
    RestConfig want = *c.want;
    want.token_file = Expand(want.token_file, dir.path());
    want.source = "in-cluster";
    EXPECT_EQ(*got, want);
  } else {
    ASSERT_FALSE(got.ok());
    EXPECT_EQ(got.status().code(), c.code) << got.status();
    EXPECT_THAT(std::string(got.status().message()), HasSubstr(c.message));
  }
}

constexpr char kRealishCa[] = "-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n";

INSTANTIATE_TEST_SUITE_P(
    Environments, InClusterConfigTest,
    ::testing::Values(InClusterCase{.name = "ServiceAccount",
                                    .env = {.host = "10.96.0.1", .port = "443"},
                                    .files = {{"token", "sa-token\n"},
                                              {"ca.crt", kRealishCa},
                                              {"namespace", "projectcontour\n"}},
                                    .want = RestConfig{.server = "https://10.96.0.1:443",
                                                       .ca_pem = kRealishCa,
                                                       .token = "sa-token",
                                                       .token_file = "$DIR/token",
                                                       .namespace_ = "projectcontour"}},
                      InClusterCase{.name = "Ipv6HostInBrackets",
                                    .env = {.host = "fd00:10:96::1", .port = "6443"},
                                    .files = {{"token", "t"}},
                                    .want = RestConfig{.server = "https://[fd00:10:96::1]:6443",
                                                       .token = "t",
                                                       .token_file = "$DIR/token",
                                                       .namespace_ = "default"}},
                      InClusterCase{.name = "PodNamespaceWins",
                                    .env = {.host = "h", .port = "1", .pod_namespace = "from-env"},
                                    .files = {{"token", "t"}, {"namespace", "from-file"}},
                                    .want = RestConfig{.server = "https://h:1",
                                                       .token = "t",
                                                       .token_file = "$DIR/token",
                                                       .namespace_ = "from-env"}},
                      InClusterCase{.name = "UnusableCaMeansSystemCas",
                                    .env = {.host = "h", .port = "1"},
                                    .files = {{"token", "t"}, {"ca.crt", "not a certificate"}},
                                    .want = RestConfig{.server = "https://h:1",
                                                       .token = "t",
                                                       .token_file = "$DIR/token",
                                                       .namespace_ = "default"}},
                      InClusterCase{.name = "NoToken",
                                    .env = {.host = "h", .port = "1"},
                                    .files = {{"ca.crt", kRealishCa}},
                                    .code = absl::StatusCode::kNotFound,
                                    .message = "token"},
                      InClusterCase{
                          .name = "NoHost",
                          .env = {.port = "443"},
                          .files = {{"token", "t"}},
                          .code = absl::StatusCode::kFailedPrecondition,
                          .message = "unable to load in-cluster configuration, "
                                     "KUBERNETES_SERVICE_HOST and KUBERNETES_SERVICE_PORT must be "
                                     "defined"},
                      InClusterCase{.name = "NoPort",
                                    .env = {.host = "h"},
                                    .files = {{"token", "t"}},
                                    .code = absl::StatusCode::kFailedPrecondition,
                                    .message = "KUBERNETES_SERVICE_PORT must be defined"}),
    [](const ::testing::TestParamInfo<InClusterCase>& info) { return info.param.name; });

// Sets an environment variable for one test and puts back what was there.
class ScopedEnv {
 public:
  ScopedEnv(const char* name, const char* value) : name_(name) {
    if (const char* old = std::getenv(name)) old_ = old;
    if (value == nullptr) {
      unsetenv(name);
    } else {
      setenv(name, value, 1);
    }
  }
  ~ScopedEnv() {
    if (old_.has_value()) {
      setenv(name_, old_->c_str(), 1);
    } else {
      unsetenv(name_);
    }
  }

 private:
  const char* name_;
  std::optional<std::string> old_;
};

TEST(ResolveRestConfig, EmptyKubeconfigMeansHomeKubeConfig) {
  contour::testing::TempDir home;
  std::string path = home.Write(".kube/config", OneContext("server: https://home:1", "token: t"));
  ScopedEnv env("HOME", home.path().c_str());
  absl::StatusOr<RestConfig> got = ResolveRestConfig(false, "");
  ASSERT_TRUE(got.ok()) << got.status();
  EXPECT_EQ(got->server, "https://home:1");
  EXPECT_EQ(got->source, path);
}

TEST(ResolveRestConfig, ExplicitKubeconfigAndContext) {
  contour::testing::TempDir dir;
  std::string path = dir.Write("config", kTwoContexts);
  absl::StatusOr<RestConfig> got = ResolveRestConfig(false, path, "a");
  ASSERT_TRUE(got.ok()) << got.status();
  EXPECT_EQ(got->server, "https://a.example:6443");
}

TEST(ResolveRestConfig, InClusterReadsTheProcessEnvironment) {
  ScopedEnv host("KUBERNETES_SERVICE_HOST", nullptr);
  ScopedEnv port("KUBERNETES_SERVICE_PORT", nullptr);
  absl::StatusOr<RestConfig> got = ResolveRestConfig(true, "/ignored/when/in/cluster");
  ASSERT_FALSE(got.ok());
  EXPECT_EQ(got.status().code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_THAT(std::string(got.status().message()), HasSubstr("KUBERNETES_SERVICE_HOST"));
}

TEST(InClusterEnvironmentFromProcess, ReadsVariables) {
  ScopedEnv host("KUBERNETES_SERVICE_HOST", "10.0.0.1");
  ScopedEnv port("KUBERNETES_SERVICE_PORT", "6443");
  ScopedEnv ns("POD_NAMESPACE", "contour");
  InClusterEnvironment env = InClusterEnvironmentFromProcess();
  EXPECT_EQ(env.host, "10.0.0.1");
  EXPECT_EQ(env.port, "6443");
  EXPECT_EQ(env.pod_namespace, "contour");
  EXPECT_EQ(env.service_account_dir, "/var/run/secrets/kubernetes.io/serviceaccount");
}

}  // namespace
}  // namespace contour::k8s
