#include "translate/access_log.h"

#include "envoy/extensions/access_loggers/file/v3/file.pb.h"
#include "translate/proto_util.h"

namespace contour::translate {

envoy::config::accesslog::v3::AccessLog FileAccessLog(const std::string& path) {
  envoy::extensions::access_loggers::file::v3::FileAccessLog file;
  file.set_path(path);
  envoy::config::accesslog::v3::AccessLog log;
  log.set_name("envoy.access_loggers.file");
  *log.mutable_typed_config() = PackAny(file);
  return log;
}

}  // namespace contour::translate
