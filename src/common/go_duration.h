// Go's time.ParseDuration and Duration.String, which Contour's users write and Contour hashes.
#ifndef CONTOUR_COMMON_GO_DURATION_H_
#define CONTOUR_COMMON_GO_DURATION_H_

#include <string>
#include <string_view>

#include "absl/status/statusor.h"
#include "absl/time/time.h"

namespace contour {

// Parses "300ms", "-1.5h", "2h45m", "1h2m3.5s", units ns, us (µs), ms, s, m, h. A bare number
// is an error unless it is "0", as in Go.
absl::StatusOr<absl::Duration> ParseGoDuration(std::string_view text);

// Formats as Go's Duration.String: "2s", "1m30s", "1.5s", "500ms", "0s".
std::string FormatGoDuration(absl::Duration duration);

}  // namespace contour

#endif  // CONTOUR_COMMON_GO_DURATION_H_
