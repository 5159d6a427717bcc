// The process's log output: text (spdlog's default shape) or one JSON object per line, and a
// level. Set once in main, before any thread starts; everything else logs through spdlog.
#ifndef CONTOUR_COMMON_LOGGING_H_
#define CONTOUR_COMMON_LOGGING_H_

#include <memory>
#include <string>

#include "absl/status/status.h"
#include "spdlog/formatter.h"

namespace contour {

struct LogOptions {
  std::string format = "text";  // text or json
  std::string level = "info";   // trace, debug, info, warn, error, critical, off
};

// Logs go to stderr: stdout is for what a command prints.
absl::Status ConfigureLogging(const LogOptions& options);

// One JSON object per line with Contour's (logrus's) field names: time (UTC), level, msg.
std::unique_ptr<spdlog::formatter> JsonLogFormatter();

// `text` as a JSON string body (without the quotes).
std::string JsonEscape(const std::string& text);

}  // namespace contour

#endif  // CONTOUR_COMMON_LOGGING_H_
