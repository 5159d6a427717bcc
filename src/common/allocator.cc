#include "common/allocator.h"

#include <malloc.h>

namespace contour {

void TuneAllocator() {
  constexpr int kTrimThreshold = 512 << 20;
  // Large blocks (a serialized snapshot) still get their own mapping, released when freed.
  constexpr int kMmapThreshold = 32 << 20;
  mallopt(M_TRIM_THRESHOLD, kTrimThreshold);
  mallopt(M_MMAP_THRESHOLD, kMmapThreshold);
  mallopt(M_ARENA_MAX, 1);
}

}  // namespace contour
