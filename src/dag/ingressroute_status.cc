#include "dag/ingressroute_status.h"

#include <utility>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"

namespace contour::dag::irstatus {

std::string Quote(const std::string& text) {
  std::string out = "\"";
  for (char c : text) {
    switch (c) {
      case '"':
        out += "\\\"";
        break;
      case '\\':
        out += "\\\\";
        break;
      case '\a':
        out += "\\a";
        break;
      case '\b':
        out += "\\b";
        break;
      case '\f':
        out += "\\f";
        break;
      case '\n':
        out += "\\n";
        break;
      case '\r':
        out += "\\r";
        break;
      case '\t':
        out += "\\t";
        break;
      case '\v':
        out += "\\v";
        break;
      default:
        if (static_cast<unsigned char>(c) < 0x20 || c == 0x7f) {
          absl::StrAppendFormat(&out, "\\x%02x", static_cast<unsigned char>(c));
        } else {
          out += c;
        }
    }
  }
  return out + "\"";
}

std::string FqdnWildcard(const std::string& fqdn) {
  return absl::StrCat("Spec.VirtualHost.Fqdn ", Quote(fqdn), " cannot use wildcards");
}

std::string TlsSecretMissing(const std::string& secret_name) {
  return absl::StrCat("TLS Secret [", secret_name, "] not found or is malformed");
}

std::string FqdnConflict(const std::string& fqdn, const std::vector<std::string>& objects) {
  return absl::StrCat("fqdn ", Quote(fqdn),
                      " is used in multiple IngressRoutes: ", absl::StrJoin(objects, ", "));
}

std::string ServicesAndDelegate(const std::string& match) {
  return absl::StrCat("route ", Quote(match),
                      ": cannot specify services and delegate in the same route");
}

std::string WebsocketsWithManyServices(const std::string& match) {
  return absl::StrCat("route ", Quote(match),
                      ": cannot specify multiple services and enable websockets");
}

std::string PrefixMismatch(const std::string& match, const std::string& parent) {
  return absl::StrCat("the path prefix ", Quote(match), " does not match the parent's path prefix ",
                      Quote(parent));
}

std::string PortRange(const std::string& match, const std::string& service) {
  return absl::StrCat("route ", Quote(match), ": service ", Quote(service),
                      ": port must be in the range 1-65535");
}

std::string NegativeWeight(const std::string& match, const std::string& service) {
  return absl::StrCat("route ", Quote(match), ": service ", Quote(service),
                      ": weight must be greater than or equal to zero");
}

std::string ServiceMissing(const std::string& service, int64_t port) {
  return absl::StrCat("Service [", service, ":", port, "] is invalid or missing");
}

std::string ValidationSecretMissing(const std::string& match, const std::string& service) {
  return absl::StrCat("route ", Quote(match), ": service ", Quote(service),
                      ": upstreamValidation requested but secret not found or misconfigured");
}

std::string ValidationSubjectMissing(const std::string& match, const std::string& service) {
  return absl::StrCat("route ", Quote(match), ": service ", Quote(service),
                      ": upstreamValidation requested but subject alt name not found or "
                      "misconfigured");
}

std::string RouteCycle(const std::vector<std::string>& path) {
  return absl::StrCat("route creates a delegation cycle: ", absl::StrJoin(path, " -> "));
}

std::string DelegationTooLarge(size_t max_depth, int max_delegations) {
  return absl::StrCat("delegation tree too large: more than ", max_depth, " levels or ",
                      max_delegations, " delegations from one root");
}

std::string TcpProxyCycle(const std::vector<std::string>& path) {
  return absl::StrCat("tcpproxy creates a delegation cycle: ", absl::StrJoin(path, " -> "));
}

std::string TcpProxyServiceMissing(const std::string& namespace_, const std::string& service,
                                   int64_t port) {
  return absl::StrCat("tcpproxy: service ", namespace_, "/", service, "/", port, ": not found");
}

void Set(BuildState& state, const k8s::IngressRoute& route, const char* current_status,
         std::string description, std::string vhost) {
  Status status;
  status.namespace_ = route.metadata.namespace_;
  status.name = route.metadata.name;
  status.current_status = current_status;
  status.description = std::move(description);
  status.vhost = std::move(vhost);
  status.root = route.virtualhost.has_value();
  state.SetStatus(std::move(status));
}

}  // namespace contour::dag::irstatus
