// Settings that belong to the whole process, made once at the start of main (and of each
// benchmark), before any thread starts.
#ifndef CONTOUR_COMMON_PROCESS_SETTINGS_H_
#define CONTOUR_COMMON_PROCESS_SETTINGS_H_

namespace contour {

// Abseil's mutex deadlock detection follows the build mode of the abseil library itself; it
// records every lock in a global graph, which costs a few percent on the xDS fan-out path.
// Lock order is checked by the annotations and the sanitized tests instead.
void UseReleaseMutexes();

}  // namespace contour

#endif  // CONTOUR_COMMON_PROCESS_SETTINGS_H_
