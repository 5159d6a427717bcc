#include "common/process_settings.h"

#include "absl/synchronization/mutex.h"

namespace contour {

void UseReleaseMutexes() { absl::SetMutexDeadlockDetectionMode(absl::OnDeadlockCycle::kIgnore); }

}  // namespace contour
