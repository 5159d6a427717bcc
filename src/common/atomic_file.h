// Writing a file so that no reader (Envoy, a pod mounting it, a watcher) ever sees it half
// written: a temporary file beside it, synced, given its mode, renamed over it.
#ifndef CONTOUR_COMMON_ATOMIC_FILE_H_
#define CONTOUR_COMMON_ATOMIC_FILE_H_

#include <sys/types.h>

#include <string>

#include "absl/status/status.h"

namespace contour {

// Devices and pipes (/dev/stdout) cannot be renamed over: they are written directly. The
// temporary file is made 0600, so a key is never readable by others, not even briefly.
absl::Status WriteFileAtomically(const std::string& path, const std::string& text,
                                 mode_t mode = 0644);

}  // namespace contour

#endif  // CONTOUR_COMMON_ATOMIC_FILE_H_
