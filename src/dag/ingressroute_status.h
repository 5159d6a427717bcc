// Contour v0.15.3's IngressRoute status descriptions (internal/dag/builder.go), word for word, in
// one place so that they can be checked against contour.md §5 at a glance.
#ifndef CONTOUR_DAG_INGRESSROUTE_STATUS_H_
#define CONTOUR_DAG_INGRESSROUTE_STATUS_H_

#include <cstdint>
#include <string>
#include <vector>

#include "dag/build_state.h"
#include "dag/dag.h"
#include "k8s/objects.h"

namespace contour::dag::irstatus {

inline constexpr char kValid[] = "valid IngressRoute";
inline constexpr char kRootNamespace[] = "root IngressRoute cannot be defined in this namespace";
inline constexpr char kFqdnMissing[] = "Spec.VirtualHost.Fqdn must be specified";
inline constexpr char kTcpProxyServicesAndDelegate[] =
    "tcpproxy: cannot specify services and delegate in the same tcpproxy";

// Go's %q (strconv.Quote): double quotes, with \, " and control characters escaped; other
// bytes are kept as they are.
std::string Quote(const std::string& text);

std::string FqdnWildcard(const std::string& fqdn);
std::string TlsSecretMissing(const std::string& secret_name);
// `objects` are "ns/name", already sorted.
std::string FqdnConflict(const std::string& fqdn, const std::vector<std::string>& objects);
std::string ServicesAndDelegate(const std::string& match);
std::string WebsocketsWithManyServices(const std::string& match);
std::string PrefixMismatch(const std::string& match, const std::string& parent);
std::string PortRange(const std::string& match, const std::string& service);
std::string NegativeWeight(const std::string& match, const std::string& service);
std::string ServiceMissing(const std::string& service, int64_t port);
std::string ValidationSecretMissing(const std::string& match, const std::string& service);
std::string ValidationSubjectMissing(const std::string& match, const std::string& service);
// `path` is the visited objects then the one that closes the loop, each "ns/name".
std::string RouteCycle(const std::vector<std::string>& path);
std::string TcpProxyCycle(const std::vector<std::string>& path);
// Beyond Contour, which has no limit.
std::string DelegationTooLarge(size_t max_depth, int max_delegations);
std::string TcpProxyServiceMissing(const std::string& namespace_, const std::string& service,
                                   int64_t port);

// Records a status for `route` (the first one per object wins, BuildState::SetStatus).
void Set(BuildState& state, const k8s::IngressRoute& route, const char* current_status,
         std::string description, std::string vhost = "");

}  // namespace contour::dag::irstatus

#endif  // CONTOUR_DAG_INGRESSROUTE_STATUS_H_
