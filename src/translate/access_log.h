// The file access log Contour attaches to its HTTP and TCP proxy filters.
#ifndef CONTOUR_TRANSLATE_ACCESS_LOG_H_
#define CONTOUR_TRANSLATE_ACCESS_LOG_H_

#include <string>

#include "envoy/config/accesslog/v3/accesslog.pb.h"

namespace contour::translate {

// No format: Envoy's default text format applies, as in Contour v0.15.
envoy::config::accesslog::v3::AccessLog FileAccessLog(const std::string& path);

}  // namespace contour::translate

#endif  // CONTOUR_TRANSLATE_ACCESS_LOG_H_
