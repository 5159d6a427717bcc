#include "certgen/outputs.h"

#include <filesystem>
#include <system_error>
#include <utility>

#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/string_view.h"
#include "common/atomic_file.h"
#include "common/status_macros.h"
#include "yaml-cpp/yaml.h"

namespace contour::certgen {
namespace {

constexpr char kOpaque[] = "Opaque";
constexpr char kTls[] = "kubernetes.io/tls";

absl::Status MakeDirectory(const std::string& dir) {
  std::error_code error;
  std::filesystem::create_directories(dir, error);
  if (error) return absl::UnavailableError(absl::StrCat("creating ", dir, ": ", error.message()));
  return absl::OkStatus();
}

struct FileToWrite {
  std::string name;
  const std::string* text;
  bool secret;  // holds a private key
};

absl::StatusOr<std::vector<std::string>> WriteFiles(const std::string& dir,
                                                    const std::vector<FileToWrite>& files) {
  RETURN_IF_ERROR(MakeDirectory(dir));
  std::vector<std::string> written;
  for (const FileToWrite& file : files) {
    std::string path = (std::filesystem::path(dir) / file.name).string();
    RETURN_IF_ERROR(WriteFileAtomically(path, *file.text, file.secret ? 0600 : 0644));
    written.push_back(std::move(path));
  }
  return written;
}

std::string SecretPath(const Secret& secret) {
  return absl::StrCat(secret.namespace_, "/", secret.name);
}

absl::StatusCode CodeForHttpStatus(int status) {
  if (status == 401 || status == 403) return absl::StatusCode::kPermissionDenied;
  if (status == 404) return absl::StatusCode::kNotFound;
  if (status == 400 || status == 422) return absl::StatusCode::kInvalidArgument;
  if (status == 409) return absl::StatusCode::kAborted;
  if (status == 429 || status >= 500) return absl::StatusCode::kUnavailable;
  return absl::StatusCode::kUnknown;
}

// "creating Secret ns/name: <the API's message> (HTTP 500)".
absl::Status ApiError(absl::string_view doing, const Secret& secret,
                      const k8s::HttpResponse& response) {
  std::string message = k8s::StatusMessage(response.body);
  if (message.empty()) message = "unexpected response";
  return absl::Status(CodeForHttpStatus(response.status),
                      absl::StrCat(doing, " Secret ", SecretPath(secret), ": ", message, " (HTTP ",
                                   response.status, ")"));
}

absl::Status TransportError(absl::string_view doing, const Secret& secret,
                            const absl::Status& status) {
  return absl::Status(status.code(),
                      absl::StrCat(doing, " Secret ", SecretPath(secret), ": ", status.message()));
}

absl::StatusOr<SecretOutcome> WriteSecret(k8s::ApiClient& client, const Secret& secret,
                                          const KubernetesWriteOptions& options) {
  const std::string collection =
      absl::StrCat("/api/v1/namespaces/", k8s::QueryEscape(secret.namespace_), "/secrets");
  const std::string body = SecretJson(secret).dump();
  k8s::RequestOptions request;
  request.timeout = options.request_timeout;

  absl::StatusOr<k8s::HttpResponse> created = client.Request("POST", collection, body, request);
  if (!created.ok()) return TransportError("creating", secret, created.status());
  if (created->status == 201 || created->status == 200) return SecretOutcome::kCreated;
  if (created->status != 409) return ApiError("creating", secret, *created);
  if (!options.overwrite) return SecretOutcome::kKept;

  // Unconditional (no resourceVersion): Secrets allow it, and it needs only the `update` verb,
  // which is all a certgen Job's Role grants.
  absl::StatusOr<k8s::HttpResponse> replaced = client.Request(
      "PUT", absl::StrCat(collection, "/", k8s::QueryEscape(secret.name)), body, request);
  if (!replaced.ok()) return TransportError("replacing", secret, replaced.status());
  if (replaced->status == 200 || replaced->status == 201) return SecretOutcome::kReplaced;
  return ApiError("replacing", secret, *replaced);
}

}  // namespace

std::vector<Secret> MakeSecrets(const GeneratedCertificates& certs, std::string_view namespace_) {
  const std::string ns(namespace_);
  return {
      Secret{kCaSecretName, ns, kOpaque, {{"cacert.pem", certs.ca_cert_pem}}},
      Secret{kContourSecretName,
             ns,
             kTls,
             {{"ca.crt", certs.ca_cert_pem},
              {"tls.crt", certs.contour.cert_pem},
              {"tls.key", certs.contour.key_pem}}},
      Secret{kEnvoySecretName,
             ns,
             kTls,
             {{"ca.crt", certs.ca_cert_pem},
              {"tls.crt", certs.envoy.cert_pem},
              {"tls.key", certs.envoy.key_pem}}},
  };
}

nlohmann::json SecretJson(const Secret& secret) {
  nlohmann::json data = nlohmann::json::object();
  for (const auto& [key, value] : secret.data) data[key] = absl::Base64Escape(value);
  return {
      {"apiVersion", "v1"},
      {"kind", "Secret"},
      {"metadata",
       {{"name", secret.name}, {"namespace", secret.namespace_}, {"labels", {{"app", "contour"}}}}},
      {"type", secret.type},
      {"data", std::move(data)},
  };
}

std::string SecretYaml(const Secret& secret) {
  YAML::Emitter out;
  out << YAML::BeginMap;
  out << YAML::Key << "apiVersion" << YAML::Value << "v1";
  out << YAML::Key << "kind" << YAML::Value << "Secret";
  out << YAML::Key << "metadata" << YAML::Value << YAML::BeginMap;
  out << YAML::Key << "name" << YAML::Value << secret.name;
  out << YAML::Key << "namespace" << YAML::Value << secret.namespace_;
  out << YAML::Key << "labels" << YAML::Value << YAML::BeginMap;
  out << YAML::Key << "app" << YAML::Value << "contour";
  out << YAML::EndMap << YAML::EndMap;
  out << YAML::Key << "type" << YAML::Value << secret.type;
  out << YAML::Key << "data" << YAML::Value << YAML::BeginMap;
  for (const auto& [key, value] : secret.data) {
    out << YAML::Key << key << YAML::Value << absl::Base64Escape(value);
  }
  out << YAML::EndMap << YAML::EndMap;
  return absl::StrCat(out.c_str(), "\n");
}

absl::StatusOr<std::vector<std::string>> WritePemFiles(const GeneratedCertificates& certs,
                                                       const std::string& dir) {
  return WriteFiles(dir, {
                             {"cacert.pem", &certs.ca_cert_pem, false},
                             {"contourcert.pem", &certs.contour.cert_pem, false},
                             {"contourkey.pem", &certs.contour.key_pem, true},
                             {"envoycert.pem", &certs.envoy.cert_pem, false},
                             {"envoykey.pem", &certs.envoy.key_pem, true},
                         });
}

absl::StatusOr<std::vector<std::string>> WriteSecretManifests(const std::vector<Secret>& secrets,
                                                              const std::string& dir) {
  std::vector<std::string> texts;
  texts.reserve(secrets.size());  // FileToWrite points into it
  std::vector<FileToWrite> files;
  for (const Secret& secret : secrets) {
    if (secret.name.empty() || secret.name.find('/') != std::string::npos || secret.name == "." ||
        secret.name == "..") {
      return absl::InvalidArgumentError(
          absl::StrCat("Secret name \"", secret.name, "\" cannot be a file name"));
    }
    texts.push_back(SecretYaml(secret));
    files.push_back(
        {absl::StrCat(secret.name, ".yaml"), &texts.back(), secret.data.count("tls.key") > 0});
  }
  return WriteFiles(dir, files);
}

absl::StatusOr<std::vector<SecretResult>> WriteKubernetesSecrets(
    k8s::ApiClient& client, const std::vector<Secret>& secrets,
    const KubernetesWriteOptions& options) {
  std::vector<SecretResult> results;
  std::vector<std::string> created, kept;
  for (const Secret& secret : secrets) {
    ASSIGN_OR_RETURN(SecretOutcome outcome, WriteSecret(client, secret, options));
    results.push_back({secret.name, outcome});
    if (outcome == SecretOutcome::kCreated) created.push_back(SecretPath(secret));
    if (outcome == SecretOutcome::kKept) kept.push_back(SecretPath(secret));
  }
  if (!created.empty() && !kept.empty()) {
    return absl::FailedPreconditionError(absl::StrCat(
        "Secrets ", absl::StrJoin(kept, ", "), " already existed and were left alone, but ",
        absl::StrJoin(created, ", "),
        " did not and were created from a new CA: the two sets do not verify each other; run "
        "again with --overwrite to replace them all"));
  }
  return results;
}

}  // namespace contour::certgen
