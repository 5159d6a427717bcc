#include "k8s/rest_config.h"

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <optional>
#include <sstream>
#include <string_view>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/strip.h"
#include "common/status_macros.h"
#include "k8s/base64.h"
#include "k8s/yaml_to_json.h"
#include "nlohmann/json.hpp"
#include "spdlog/spdlog.h"

namespace contour::k8s {
namespace {

using nlohmann::json;

// Nothing we read (certificates, keys, tokens, kubeconfigs) is legitimately this large.
constexpr std::uintmax_t kMaxFileBytes = 16 << 20;

absl::StatusOr<std::string> ReadWholeFile(const std::string& path) {
  std::error_code ec;
  std::uintmax_t size = std::filesystem::file_size(path, ec);
  if (ec) return absl::NotFoundError(absl::StrCat(path, ": ", ec.message()));
  if (size > kMaxFileBytes) {
    return absl::InvalidArgumentError(
        absl::StrCat(path, ": larger than ", kMaxFileBytes, " bytes"));
  }
  std::ifstream in(path, std::ios::binary);
  if (!in) return absl::NotFoundError(absl::StrCat(path, ": ", std::strerror(errno)));
  std::ostringstream contents;
  contents << in.rdbuf();
  if (in.bad()) return absl::UnavailableError(absl::StrCat(path, ": read failed"));
  return std::move(contents).str();
}

// Prefixes every error with the file it concerns, keeping the code.
absl::Status InFile(const std::string& file, const absl::Status& status) {
  return absl::Status(status.code(), absl::StrCat("kubeconfig ", file, ": ", status.message()));
}

std::string Quote(const std::string& s) { return absl::StrCat("\"", s, "\""); }

// A kubeconfig as client-go's v1 types see it: named lists of clusters, users and contexts.
// Values are read strictly by type (Go's JSON decoding refuses a string where a bool goes);
// unknown keys are ignored, as client-go ignores them.
class KubeconfigReader {
 public:
  KubeconfigReader(std::string path, std::string dir)
      : path_(std::move(path)), dir_(std::move(dir)) {}

  absl::StatusOr<RestConfig> Resolve(const json& root, const std::string& context_override);

 private:
  // Finds the entry named `name` in the list `list_key`, returning its `item_key` object.
  // Like client-go's conversion to a map, a later entry of the same name wins.
  absl::StatusOr<std::optional<json>> Find(const json& root, const std::string& list_key,
                                           const std::string& item_key, const std::string& name);
  absl::StatusOr<std::string> String(const json& object, const std::string& key,
                                     const std::string& where);
  absl::StatusOr<bool> Bool(const json& object, const std::string& key, const std::string& where);
  // The bytes of `<key>-data` (base64) or of the file named by `<file_key>`, relative to the
  // kubeconfig's directory. Both at once is client-go's validation error.
  absl::StatusOr<std::string> DataOrFile(const json& object, const std::string& data_key,
                                         const std::string& file_key, const std::string& where);
  std::string ResolvePath(const std::string& file) const;

  std::string path_;
  std::string dir_;
};

absl::StatusOr<std::optional<json>> KubeconfigReader::Find(const json& root,
                                                           const std::string& list_key,
                                                           const std::string& item_key,
                                                           const std::string& name) {
  auto list = root.find(list_key);
  if (list == root.end() || list->is_null()) return std::optional<json>();
  if (!list->is_array()) {
    return absl::InvalidArgumentError(absl::StrCat(list_key, " is not a list"));
  }
  std::optional<json> found;
  for (size_t i = 0; i < list->size(); ++i) {
    const json& entry = (*list)[i];
    if (!entry.is_object()) {
      return absl::InvalidArgumentError(absl::StrCat(list_key, "[", i, "] is not a mapping"));
    }
    auto entry_name = entry.find("name");
    if (entry_name == entry.end() || !entry_name->is_string() ||
        entry_name->get_ref<const std::string&>() != name) {
      continue;
    }
    auto item = entry.find(item_key);
    if (item == entry.end() || item->is_null()) {
      found = json::object();
    } else if (!item->is_object()) {
      return absl::InvalidArgumentError(
          absl::StrCat(list_key, "[", Quote(name), "].", item_key, " is not a mapping"));
    } else {
      found = *item;
    }
  }
  return found;
}

absl::StatusOr<std::string> KubeconfigReader::String(const json& object, const std::string& key,
                                                     const std::string& where) {
  auto it = object.find(key);
  if (it == object.end() || it->is_null()) return std::string();
  if (!it->is_string()) {
    return absl::InvalidArgumentError(absl::StrCat(where, ".", key, " is not a string"));
  }
  return it->get<std::string>();
}

absl::StatusOr<bool> KubeconfigReader::Bool(const json& object, const std::string& key,
                                            const std::string& where) {
  auto it = object.find(key);
  if (it == object.end() || it->is_null()) return false;
  if (!it->is_boolean()) {
    return absl::InvalidArgumentError(absl::StrCat(where, ".", key, " is not a boolean"));
  }
  return it->get<bool>();
}

std::string KubeconfigReader::ResolvePath(const std::string& file) const {
  std::filesystem::path p(file);
  if (p.is_absolute()) return file;
  return (std::filesystem::path(dir_) / p).string();
}

absl::StatusOr<std::string> KubeconfigReader::DataOrFile(const json& object,
                                                         const std::string& data_key,
                                                         const std::string& file_key,
                                                         const std::string& where) {
  ASSIGN_OR_RETURN(std::string data, String(object, data_key, where));
  ASSIGN_OR_RETURN(std::string file, String(object, file_key, where));
  if (!data.empty() && !file.empty()) {
    return absl::InvalidArgumentError(
        absl::StrCat(where, ": ", data_key, " and ", file_key, " are both specified"));
  }
  if (!data.empty()) {
    std::optional<std::string> decoded = DecodeStdBase64(data);
    if (!decoded.has_value()) {
      return absl::InvalidArgumentError(absl::StrCat(where, ".", data_key, " is not base64"));
    }
    return *std::move(decoded);
  }
  if (file.empty()) return std::string();
  std::string resolved = ResolvePath(file);
  absl::StatusOr<std::string> contents = ReadWholeFile(resolved);
  if (!contents.ok()) {
    return absl::Status(contents.status().code(),
                        absl::StrCat(where, ".", file_key, ": ", contents.status().message()));
  }
  return contents;
}

// client-go's rule for a server without a scheme: it is "http://" + server (rest's
// DefaultServerURL, with no TLS settings yet known when clientcmd asks).
absl::StatusOr<std::string> NormalizeServer(std::string server, const std::string& where) {
  server = std::string(absl::StripAsciiWhitespace(server));
  if (server.empty()) {
    return absl::InvalidArgumentError(absl::StrCat(where, " has no server"));
  }
  size_t scheme_end = server.find("://");
  if (scheme_end == std::string::npos) {
    server = absl::StrCat("http://", server);
  } else {
    std::string scheme = absl::AsciiStrToLower(server.substr(0, scheme_end));
    if (scheme != "http" && scheme != "https") {
      return absl::InvalidArgumentError(
          absl::StrCat(where, ".server ", Quote(server), ": scheme must be http or https"));
    }
    server = absl::StrCat(scheme, server.substr(scheme_end));
  }
  // clientcmd drops a query and fragment.
  if (size_t cut = server.find_first_of("?#"); cut != std::string::npos) server.resize(cut);
  while (absl::EndsWith(server, "/")) server.pop_back();
  size_t host_begin = server.find("://") + 3;
  if (host_begin >= server.size() || server[host_begin] == '/') {
    return absl::InvalidArgumentError(absl::StrCat(where, ".server ", Quote(server), ": no host"));
  }
  for (char c : server) {
    if (static_cast<unsigned char>(c) <= ' ' || c == 0x7f) {
      return absl::InvalidArgumentError(
          absl::StrCat(where, ".server ", Quote(server), ": contains a space or control"));
    }
  }
  return server;
}

// Kubernetes' DNS-1123 label: what client-go demands of a context's namespace.
bool IsDns1123Label(std::string_view s) {
  if (s.empty() || s.size() > 63) return false;
  for (size_t i = 0; i < s.size(); ++i) {
    char c = s[i];
    bool alnum = (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9');
    if (alnum) continue;
    if (c == '-' && i != 0 && i + 1 != s.size()) continue;
    return false;
  }
  return true;
}

absl::StatusOr<RestConfig> KubeconfigReader::Resolve(const json& root,
                                                     const std::string& context_override) {
  if (root.is_null() || (root.is_object() && root.empty())) {
    return absl::InvalidArgumentError("no configuration has been provided");
  }
  if (!root.is_object()) return absl::InvalidArgumentError("not a mapping");

  ASSIGN_OR_RETURN(std::string current, String(root, "current-context", "kubeconfig"));
  std::string context_name = context_override.empty() ? current : context_override;
  if (context_name.empty()) {
    return absl::InvalidArgumentError("current-context is not set and no context was given");
  }
  ASSIGN_OR_RETURN(std::optional<json> context, Find(root, "contexts", "context", context_name));
  if (!context.has_value()) {
    return absl::NotFoundError(absl::StrCat("context ", Quote(context_name), " not found"));
  }
  std::string context_where = absl::StrCat("contexts[", Quote(context_name), "].context");
  ASSIGN_OR_RETURN(std::string cluster_name, String(*context, "cluster", context_where));
  ASSIGN_OR_RETURN(std::string user_name, String(*context, "user", context_where));
  ASSIGN_OR_RETURN(std::string namespace_name, String(*context, "namespace", context_where));

  if (cluster_name.empty()) {
    return absl::InvalidArgumentError(
        absl::StrCat("cluster was not specified for context ", Quote(context_name)));
  }
  ASSIGN_OR_RETURN(std::optional<json> cluster, Find(root, "clusters", "cluster", cluster_name));
  if (!cluster.has_value()) {
    return absl::NotFoundError(absl::StrCat("cluster ", Quote(cluster_name), " not found (context ",
                                            Quote(context_name), ")"));
  }
  // No user is anonymous, as in client-go; a user that is named must exist.
  std::optional<json> user = json::object();
  if (!user_name.empty()) {
    ASSIGN_OR_RETURN(user, Find(root, "users", "user", user_name));
    if (!user.has_value()) {
      return absl::NotFoundError(absl::StrCat("user ", Quote(user_name), " not found (context ",
                                              Quote(context_name), ")"));
    }
  }
  if (!namespace_name.empty() && !IsDns1123Label(namespace_name)) {
    return absl::InvalidArgumentError(absl::StrCat(
        context_where, ".namespace ", Quote(namespace_name), " is not a valid DNS-1123 label"));
  }

  RestConfig config;
  config.source = path_;
  config.namespace_ = namespace_name.empty() ? "default" : namespace_name;

  std::string cluster_where = absl::StrCat("clusters[", Quote(cluster_name), "].cluster");
  ASSIGN_OR_RETURN(std::string server, String(*cluster, "server", cluster_where));
  if (server.empty()) {
    return absl::InvalidArgumentError(
        absl::StrCat("no server found for cluster ", Quote(cluster_name)));
  }
  ASSIGN_OR_RETURN(config.server, NormalizeServer(server, cluster_where));
  ASSIGN_OR_RETURN(std::string proxy_url, String(*cluster, "proxy-url", cluster_where));
  if (!proxy_url.empty()) {
    return absl::UnimplementedError(absl::StrCat(cluster_where, ".proxy-url is not supported"));
  }

  std::string user_where = absl::StrCat("users[", Quote(user_name), "].user");
  for (const std::string key : {"exec", "auth-provider"}) {
    if (auto it = user->find(key); it != user->end() && !it->is_null()) {
      return absl::UnimplementedError(absl::StrCat(
          user_where, ".", key, ": ", key, " credentials are not supported; use a token, a ",
          "token file or a client certificate"));
    }
  }
  for (const std::string key : {"as", "as-uid", "as-groups", "as-user-extra"}) {
    if (auto it = user->find(key);
        it != user->end() && !it->is_null() &&
        !(it->is_string() && it->get_ref<const std::string&>().empty()) &&
        !(it->is_structured() && it->empty())) {
      return absl::UnimplementedError(
          absl::StrCat(user_where, ".", key, ": impersonation is not supported"));
    }
  }

  // Only https gets credentials and a CA: clientcmd reads the auth information only when the
  // transport is TLS, so a token never crosses a plain connection.
  if (!absl::StartsWith(config.server, "https://")) return config;

  ASSIGN_OR_RETURN(config.insecure_skip_tls_verify,
                   Bool(*cluster, "insecure-skip-tls-verify", cluster_where));
  ASSIGN_OR_RETURN(config.tls_server_name, String(*cluster, "tls-server-name", cluster_where));
  ASSIGN_OR_RETURN(config.ca_pem, DataOrFile(*cluster, "certificate-authority-data",
                                             "certificate-authority", cluster_where));
  if (config.insecure_skip_tls_verify && !config.ca_pem.empty()) {
    // client-go's transport refuses the combination rather than silently ignoring one.
    return absl::InvalidArgumentError(absl::StrCat(
        cluster_where,
        ": specifying a root certificates file with the insecure flag is not allowed"));
  }

  ASSIGN_OR_RETURN(config.client_cert_pem,
                   DataOrFile(*user, "client-certificate-data", "client-certificate", user_where));
  ASSIGN_OR_RETURN(config.client_key_pem,
                   DataOrFile(*user, "client-key-data", "client-key", user_where));
  if (!config.client_cert_pem.empty() && config.client_key_pem.empty()) {
    return absl::InvalidArgumentError(
        absl::StrCat(user_where,
                     ": client-key-data or client-key must be specified to use a client "
                     "certificate"));
  }
  if (config.client_cert_pem.empty() && !config.client_key_pem.empty()) {
    return absl::InvalidArgumentError(
        absl::StrCat(user_where, ": a client key without a client certificate"));
  }

  ASSIGN_OR_RETURN(config.token, String(*user, "token", user_where));
  ASSIGN_OR_RETURN(std::string token_file, String(*user, "tokenFile", user_where));
  ASSIGN_OR_RETURN(config.username, String(*user, "username", user_where));
  ASSIGN_OR_RETURN(config.password, String(*user, "password", user_where));
  std::vector<std::string> methods;
  if (!config.token.empty()) methods.push_back("token");
  if (!config.username.empty() || !config.password.empty()) methods.push_back("basicAuth");
  if (methods.size() > 1) {
    return absl::InvalidArgumentError(
        absl::StrCat(user_where, ": more than one authentication method found (",
                     absl::StrJoin(methods, ", "), "); only one is allowed"));
  }
  if (!token_file.empty()) {
    config.token_file = ResolvePath(token_file);
    if (config.token.empty()) {
      // client-go reads it once here, so a missing file is an error now rather than later.
      absl::StatusOr<std::string> token = ReadWholeFile(config.token_file);
      if (!token.ok()) {
        return absl::Status(token.status().code(),
                            absl::StrCat(user_where, ".tokenFile: ", token.status().message()));
      }
      config.token = std::string(absl::StripAsciiWhitespace(*token));
    }
  }
  return config;
}

std::string GetEnv(const char* name) {
  const char* value = std::getenv(name);
  return value == nullptr ? std::string() : std::string(value);
}

}  // namespace

absl::StatusOr<RestConfig> LoadKubeconfig(const std::string& path, const std::string& context) {
  absl::StatusOr<std::string> text = ReadWholeFile(path);
  if (!text.ok()) {
    return absl::Status(text.status().code(),
                        absl::StrCat("kubeconfig: ", text.status().message()));
  }
  // Like go-yaml, only the first document counts.
  std::vector<YamlDocument> documents = SplitYamlDocuments(*text);
  json root;
  if (!documents.empty()) {
    absl::StatusOr<json> parsed = YamlToJson(documents.front());
    if (!parsed.ok()) return InFile(path, parsed.status());
    root = *std::move(parsed);
  }
  std::string dir = std::filesystem::path(path).parent_path().string();
  if (dir.empty()) dir = ".";
  KubeconfigReader reader(path, dir);
  absl::StatusOr<RestConfig> config = reader.Resolve(root, context);
  if (!config.ok()) return InFile(path, config.status());
  return config;
}

InClusterEnvironment InClusterEnvironmentFromProcess() {
  InClusterEnvironment env;
  env.host = GetEnv("KUBERNETES_SERVICE_HOST");
  env.port = GetEnv("KUBERNETES_SERVICE_PORT");
  env.pod_namespace = GetEnv("POD_NAMESPACE");
  return env;
}

absl::StatusOr<RestConfig> InClusterConfig(const InClusterEnvironment& env) {
  if (env.host.empty() || env.port.empty()) {
    return absl::FailedPreconditionError(
        "unable to load in-cluster configuration, KUBERNETES_SERVICE_HOST and "
        "KUBERNETES_SERVICE_PORT must be defined");
  }
  RestConfig config;
  config.source = "in-cluster";
  // net.JoinHostPort: a host with a colon is an IPv6 address and goes in brackets.
  config.server = absl::StrContains(env.host, ':')
                      ? absl::StrCat("https://[", env.host, "]:", env.port)
                      : absl::StrCat("https://", env.host, ":", env.port);

  std::filesystem::path dir(env.service_account_dir);
  config.token_file = (dir / "token").string();
  absl::StatusOr<std::string> token = ReadWholeFile(config.token_file);
  if (!token.ok()) {
    return absl::Status(token.status().code(),
                        absl::StrCat("in-cluster token: ", token.status().message()));
  }
  config.token = std::string(absl::StripAsciiWhitespace(*token));

  // client-go logs an unusable CA file and carries on with the system's CAs.
  std::string ca_file = (dir / "ca.crt").string();
  absl::StatusOr<std::string> ca = ReadWholeFile(ca_file);
  if (!ca.ok()) {
    spdlog::error("expected to load root CA config from {}, but got err: {}", ca_file,
                  std::string(ca.status().message()));
  } else if (!absl::StrContains(*ca, "-----BEGIN CERTIFICATE-----")) {
    spdlog::error("expected to load root CA config from {}, but it holds no certificate", ca_file);
  } else {
    config.ca_pem = *std::move(ca);
  }

  // clientcmd's in-cluster namespace: POD_NAMESPACE, then the service account's, then default.
  if (!env.pod_namespace.empty()) {
    config.namespace_ = env.pod_namespace;
  } else if (absl::StatusOr<std::string> ns = ReadWholeFile((dir / "namespace").string());
             ns.ok() && !absl::StripAsciiWhitespace(*ns).empty()) {
    config.namespace_ = std::string(absl::StripAsciiWhitespace(*ns));
  } else {
    config.namespace_ = "default";
  }
  return config;
}

absl::StatusOr<RestConfig> ResolveRestConfig(bool in_cluster, const std::string& kubeconfig,
                                             const std::string& context) {
  if (in_cluster) return InClusterConfig(InClusterEnvironmentFromProcess());
  std::string path = kubeconfig;
  if (path.empty()) {
    std::string home = GetEnv("HOME");
    if (home.empty()) {
      return absl::FailedPreconditionError(
          "no kubeconfig given and $HOME is not set to find ~/.kube/config");
    }
    path = (std::filesystem::path(home) / ".kube" / "config").string();
  }
  return LoadKubeconfig(path, context);
}

}  // namespace contour::k8s
