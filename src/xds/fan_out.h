// Runs one task over many items on a few threads, and waits: a publish hands each of 1,000
// streams its response, and each hand-off is a gRPC write whose system call dominates; with
// spare cores the streams need not wait for one another.
#ifndef CONTOUR_XDS_FAN_OUT_H_
#define CONTOUR_XDS_FAN_OUT_H_

#include <cstddef>
#include <cstdint>
#include <functional>
#include <thread>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/synchronization/mutex.h"

namespace contour::xds {

class FanOut {
 public:
  // `threads` helpers besides the caller; 0 runs everything on the caller.
  explicit FanOut(size_t threads);
  ~FanOut();
  FanOut(const FanOut&) = delete;
  FanOut& operator=(const FanOut&) = delete;

  // Calls task(i) for every i in [0, count), on the caller and the helpers; returns when all
  // are done. Concurrent calls take turns.
  void Run(size_t count, const std::function<void(size_t)>& task);

 private:
  void Work();
  // Takes items of Run number `generation` until none are left.
  void Drain(const std::function<void(size_t)>& task, uint64_t generation);

  absl::Mutex run_mu_;  // one Run at a time; taken before mu_
  absl::Mutex mu_;
  const std::function<void(size_t)>* task_ ABSL_GUARDED_BY(mu_) = nullptr;
  size_t next_ ABSL_GUARDED_BY(mu_) = 0;
  size_t count_ ABSL_GUARDED_BY(mu_) = 0;
  size_t done_ ABSL_GUARDED_BY(mu_) = 0;
  uint64_t generation_ ABSL_GUARDED_BY(mu_) = 0;
  bool stop_ ABSL_GUARDED_BY(mu_) = false;
  std::vector<std::thread> threads_;
};

}  // namespace contour::xds

#endif  // CONTOUR_XDS_FAN_OUT_H_
