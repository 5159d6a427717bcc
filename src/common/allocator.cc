#include "common/allocator.h"

#include <malloc.h>

namespace contour {

void KeepFreedMemoryForRebuilds() {
  constexpr int kTrimThreshold = 512 << 20;
  // Large blocks (a serialized snapshot) still get their own mapping, released when freed.
  constexpr int kMmapThreshold = 32 << 20;
  mallopt(M_TRIM_THRESHOLD, kTrimThreshold);
  mallopt(M_MMAP_THRESHOLD, kMmapThreshold);
}

}  // namespace contour
