#include "translate/tcp_proxy.h"

#include <algorithm>
#include <vector>

#include "translate/access_log.h"
#include "translate/names.h"
#include "translate/proto_util.h"

namespace contour::translate {
namespace {

namespace tcp = envoy::extensions::filters::network::tcp_proxy::v3;

// Two and a half hours (Contour #1074): long-lived TCP sessions are the norm here.
constexpr int64_t kTcpIdleTimeoutSeconds = 9001;

}  // namespace

tcp::TcpProxy TcpProxy(const std::string& stat_prefix, const dag::TcpProxy& proxy,
                       const std::string& access_log_path) {
  tcp::TcpProxy out;
  out.set_stat_prefix(stat_prefix);
  if (proxy.clusters.size() == 1) {
    out.set_cluster(ClusterName(proxy.clusters.front()));
  } else {
    std::vector<std::string> names;
    names.reserve(proxy.clusters.size());
    for (const auto& cluster : proxy.clusters) names.push_back(ClusterName(cluster));
    std::sort(names.begin(), names.end());
    auto* weighted = out.mutable_weighted_clusters();
    for (const auto& name : names) {
      auto* weight = weighted->add_clusters();
      weight->set_name(name);
      weight->set_weight(1);
    }
  }
  *out.add_access_log() = FileAccessLog(access_log_path);
  *out.mutable_idle_timeout() = ProtoSeconds(kTcpIdleTimeoutSeconds);
  return out;
}

envoy::config::listener::v3::Filter TcpProxyFilter(const std::string& stat_prefix,
                                                   const dag::TcpProxy& proxy,
                                                   const std::string& access_log_path) {
  envoy::config::listener::v3::Filter filter;
  filter.set_name(kTcpProxyFilter);
  *filter.mutable_typed_config() = PackAny(TcpProxy(stat_prefix, proxy, access_log_path));
  return filter;
}

}  // namespace contour::translate
