// Process-wide tuning of glibc's malloc for a program that rebuilds its whole configuration
// again and again.
#ifndef CONTOUR_COMMON_ALLOCATOR_H_
#define CONTOUR_COMMON_ALLOCATOR_H_

namespace contour {

// By default glibc returns freed heap to the kernel as soon as 128 KiB are free at its top, so
// every rebuild page-faults its working set back in (expensive on a VM). Keep up to 512 MiB of
// freed memory for the next rebuild instead. Call once, first thing in main().
void KeepFreedMemoryForRebuilds();

}  // namespace contour

#endif  // CONTOUR_COMMON_ALLOCATOR_H_
