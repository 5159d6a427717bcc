#include "translate/http_connection_manager.h"

#include "envoy/extensions/compression/gzip/compressor/v3/gzip.pb.h"
#include "envoy/extensions/filters/http/compressor/v3/compressor.pb.h"
#include "envoy/extensions/filters/http/grpc_web/v3/grpc_web.pb.h"
#include "envoy/extensions/filters/http/router/v3/router.pb.h"
#include "translate/access_log.h"
#include "translate/config_source.h"
#include "translate/proto_util.h"

namespace contour::translate {
namespace {

namespace hcm = envoy::extensions::filters::network::http_connection_manager::v3;

// Closes idle downstream connections without cutting off slow clients (Contour's default).
constexpr int64_t kHttpIdleTimeoutSeconds = 60;

hcm::HttpFilter TypedHttpFilter(const std::string& name, const google::protobuf::Message& config) {
  hcm::HttpFilter filter;
  filter.set_name(name);
  *filter.mutable_typed_config() = PackAny(config);
  return filter;
}

hcm::HttpFilter GzipCompressorFilter() {
  envoy::extensions::filters::http::compressor::v3::Compressor compressor;
  auto* library = compressor.mutable_compressor_library();
  library->set_name("envoy.compression.gzip.compressor");
  *library->mutable_typed_config() =
      PackAny(envoy::extensions::compression::gzip::compressor::v3::Gzip());
  return TypedHttpFilter("envoy.filters.http.compressor", compressor);
}

}  // namespace

hcm::HttpFilter RouterHttpFilter() {
  return TypedHttpFilter(kRouterFilter, envoy::extensions::filters::http::router::v3::Router());
}

hcm::HttpConnectionManager HttpConnectionManager(const std::string& route_name,
                                                 const std::string& access_log_path,
                                                 ConfigSourceMode mode) {
  hcm::HttpConnectionManager manager;
  manager.set_stat_prefix(route_name);
  auto* rds = manager.mutable_rds();
  rds->set_route_config_name(route_name);
  *rds->mutable_config_source() = ConfigSource(mode);
  *manager.add_http_filters() = GzipCompressorFilter();
  *manager.add_http_filters() = TypedHttpFilter(
      "envoy.filters.http.grpc_web", envoy::extensions::filters::http::grpc_web::v3::GrpcWeb());
  *manager.add_http_filters() = RouterHttpFilter();
  // HTTP/1.0 requests that carry a Host header (Contour #537).
  manager.mutable_http_protocol_options()->set_accept_http_10(true);
  *manager.add_access_log() = FileAccessLog(access_log_path);
  manager.mutable_use_remote_address()->set_value(true);
  manager.mutable_normalize_path()->set_value(true);
  *manager.mutable_common_http_protocol_options()->mutable_idle_timeout() =
      ProtoSeconds(kHttpIdleTimeoutSeconds);
  manager.set_preserve_external_request_id(true);
  return manager;
}

envoy::config::listener::v3::Filter HttpConnectionManagerFilter(const std::string& route_name,
                                                                const std::string& access_log_path,
                                                                ConfigSourceMode mode) {
  envoy::config::listener::v3::Filter filter;
  filter.set_name(kHttpConnectionManagerFilter);
  *filter.mutable_typed_config() =
      PackAny(HttpConnectionManager(route_name, access_log_path, mode));
  return filter;
}

}  // namespace contour::translate
