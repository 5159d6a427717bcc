// contour.yaml → ServeConfig. Stricter than Contour (which ignored unknown keys): every unknown
// key, wrong type or bad value is an error naming file, line and key.
#include <fstream>
#include <sstream>
#include <string>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"
#include "common/go_duration.h"
#include "config/serve_config.h"
#include "yaml-cpp/yaml.h"

namespace contour::config {
namespace {

absl::Status KeyError(const std::string& source, const YAML::Node& node, const std::string& key,
                      const std::string& message) {
  return absl::InvalidArgumentError(
      absl::StrCat(source, ":", node.Mark().line + 1, ": ", key, ": ", message));
}

absl::StatusOr<std::string> ScalarOf(const std::string& source, const YAML::Node& node,
                                     const std::string& key) {
  if (!node.IsScalar()) return KeyError(source, node, key, "must be a scalar value");
  return node.Scalar();
}

absl::StatusOr<bool> BoolOf(const std::string& source, const YAML::Node& node,
                            const std::string& key) {
  if (!node.IsScalar()) return KeyError(source, node, key, "must be true or false");
  const std::string& value = node.Scalar();
  if (node.Tag() != "!") {  // quoted "true" is a string, as in Go's yaml
    if (value == "true" || value == "True" || value == "TRUE") return true;
    if (value == "false" || value == "False" || value == "FALSE") return false;
  }
  return KeyError(source, node, key, absl::StrCat("must be true or false, not \"", value, "\""));
}

absl::StatusOr<absl::Duration> DurationOf(const std::string& source, const YAML::Node& node,
                                          const std::string& key) {
  if (!node.IsScalar()) return KeyError(source, node, key, "must be a duration such as 15s");
  absl::StatusOr<absl::Duration> duration = ParseGoDuration(node.Scalar());
  if (!duration.ok()) return KeyError(source, node, key, std::string(duration.status().message()));
  if (*duration <= absl::ZeroDuration()) return KeyError(source, node, key, "must be positive");
  return *duration;
}

absl::Status ApplyTls(const std::string& source, const YAML::Node& tls, ServeConfig& config) {
  if (!tls.IsMap()) return KeyError(source, tls, "tls", "must be a mapping");
  for (const auto& entry : tls) {
    const std::string key = entry.first.Scalar();
    const std::string path = "tls." + key;
    if (key == "minimum-protocol-version" || key == "minimumProtocolVersion") {
      absl::StatusOr<std::string> value = ScalarOf(source, entry.second, path);
      if (!value.ok()) return value.status();
      if (*value != "1.1" && *value != "1.2" && *value != "1.3" && !value->empty()) {
        return KeyError(source, entry.second, path, "must be one of 1.1, 1.2, 1.3");
      }
      config.min_tls_version = ParseTlsVersion(*value);
    } else {
      return KeyError(source, entry.first, path, "unknown key");
    }
  }
  return absl::OkStatus();
}

absl::Status ApplyLeaderElection(const std::string& source, const YAML::Node& block,
                                 ServeConfig& config) {
  if (!block.IsMap()) return KeyError(source, block, "leaderelection", "must be a mapping");
  LeaderElectionConfig& le = config.leader_election;
  for (const auto& entry : block) {
    const std::string key = entry.first.Scalar();
    const std::string path = "leaderelection." + key;
    const YAML::Node& value = entry.second;
    if (key == "configmap-name" || key == "configmap-namespace") {
      absl::StatusOr<std::string> text = ScalarOf(source, value, path);
      if (!text.ok()) return text.status();
      if (text->empty()) return KeyError(source, value, path, "must not be empty");
      (key == "configmap-name" ? le.name : le.namespace_) = *text;
    } else if (key == "lease-duration" || key == "renew-deadline" || key == "retry-period") {
      absl::StatusOr<absl::Duration> duration = DurationOf(source, value, path);
      if (!duration.ok()) return duration.status();
      (key == "lease-duration"   ? le.lease_duration
       : key == "renew-deadline" ? le.renew_deadline
                                 : le.retry_period) = *duration;
    } else if (key == "lock") {
      absl::StatusOr<std::string> text = ScalarOf(source, value, path);
      if (!text.ok()) return text.status();
      if (*text != "configmaps" && *text != "leases") {
        return KeyError(source, value, path, "must be configmaps or leases");
      }
      le.lock = *text;
    } else {
      return KeyError(source, entry.first, path, "unknown key");
    }
  }
  // client-go's rule: lease-duration > renew-deadline > 1.2 × retry-period.
  if (le.lease_duration <= le.renew_deadline) {
    return KeyError(source, block, "leaderelection",
                    "lease-duration must be greater than renew-deadline");
  }
  if (le.renew_deadline <= le.retry_period * 1.2) {
    return KeyError(source, block, "leaderelection",
                    "renew-deadline must be greater than 1.2 × retry-period");
  }
  // The record carries whole seconds: others wait only that long, so it too must outlast the
  // renew deadline, or they could take the lock before the leader stops.
  if (absl::Seconds(absl::ToInt64Seconds(le.lease_duration)) <= le.renew_deadline) {
    return KeyError(source, block, "leaderelection",
                    "lease-duration in whole seconds (as the lock records it) must be greater "
                    "than renew-deadline");
  }
  return absl::OkStatus();
}

absl::Status ApplyDocument(const std::string& source, const YAML::Node& root, ServeConfig& config) {
  if (!root.IsDefined() || root.IsNull()) return absl::OkStatus();  // an empty file
  if (!root.IsMap()) return KeyError(source, root, "(top level)", "must be a mapping");
  for (const auto& entry : root) {
    const std::string key = entry.first.Scalar();
    const YAML::Node& value = entry.second;
    absl::Status status;
    if (key == "incluster") {
      absl::StatusOr<bool> flag = BoolOf(source, value, key);
      if (!flag.ok()) return flag.status();
      config.in_cluster = *flag;
    } else if (key == "kubeconfig") {
      absl::StatusOr<std::string> text = ScalarOf(source, value, key);
      if (!text.ok()) return text.status();
      config.kubeconfig = *text;
    } else if (key == "disablePermitInsecure") {
      absl::StatusOr<bool> flag = BoolOf(source, value, key);
      if (!flag.ok()) return flag.status();
      config.disable_permit_insecure = *flag;
    } else if (key == "enableleaderelection") {
      absl::StatusOr<bool> flag = BoolOf(source, value, key);
      if (!flag.ok()) return flag.status();
      config.leader_election.enabled = *flag;
    } else if (key == "tls") {
      status = ApplyTls(source, value, config);
    } else if (key == "leaderelection") {
      status = ApplyLeaderElection(source, value, config);
    } else {
      return KeyError(source, entry.first, key, "unknown key");
    }
    if (!status.ok()) return status;
  }
  return absl::OkStatus();
}

}  // namespace

absl::Status ApplyConfigText(const std::string& text, const std::string& source,
                             ServeConfig& config) {
  YAML::Node root;
  try {
    root = YAML::Load(text);
  } catch (const YAML::Exception& e) {
    return absl::InvalidArgumentError(
        absl::StrCat(source, ":", e.mark.line + 1, ": invalid YAML: ", e.msg));
  }
  try {
    return ApplyDocument(source, root, config);
  } catch (const YAML::Exception& e) {  // e.g. a non-scalar key
    return absl::InvalidArgumentError(absl::StrCat(source, ":", e.mark.line + 1, ": ", e.msg));
  }
}

absl::Status ApplyConfigFile(const std::string& path, ServeConfig& config) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return absl::NotFoundError(absl::StrCat("config file ", path, ": cannot be read"));
  std::stringstream text;
  text << in.rdbuf();
  return ApplyConfigText(text.str(), path, config);
}

std::vector<std::string> ParseRootNamespaces(const std::string& flag) {
  std::vector<std::string> namespaces;
  for (absl::string_view part : absl::StrSplit(flag, ',')) {
    absl::string_view trimmed = absl::StripAsciiWhitespace(part);
    if (!trimmed.empty()) namespaces.emplace_back(trimmed);
  }
  return namespaces;
}

dag::TlsVersion ParseTlsVersion(const std::string& value) {
  if (value == "1.3") return dag::TlsVersion::k1_3;
  if (value == "1.2") return dag::TlsVersion::k1_2;
  return dag::TlsVersion::k1_1;
}

}  // namespace contour::config
