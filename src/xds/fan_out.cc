#include "xds/fan_out.h"

namespace contour::xds {
namespace {

// Items are taken a few at a time: fewer lock round trips, still balanced.
constexpr size_t kChunk = 16;

}  // namespace

FanOut::FanOut(size_t threads) {
  for (size_t i = 0; i < threads; ++i) threads_.emplace_back([this] { Work(); });
}

FanOut::~FanOut() {
  {
    absl::MutexLock lock(&mu_);
    stop_ = true;
  }
  for (std::thread& thread : threads_) thread.join();
}

void FanOut::Run(size_t count, const std::function<void(size_t)>& task) {
  if (threads_.empty() || count <= kChunk) {
    for (size_t i = 0; i < count; ++i) task(i);
    return;
  }
  absl::MutexLock turn(&run_mu_);
  uint64_t generation = 0;
  {
    absl::MutexLock lock(&mu_);
    task_ = &task;
    next_ = 0;
    count_ = count;
    done_ = 0;
    generation = ++generation_;
  }
  Drain(task, generation);
  absl::MutexLock lock(&mu_);
  auto all_done = [this]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) { return done_ == count_; };
  mu_.Await(absl::Condition(&all_done));
  task_ = nullptr;
}

void FanOut::Drain(const std::function<void(size_t)>& task, uint64_t generation) {
  for (;;) {
    size_t begin = 0;
    size_t end = 0;
    {
      absl::MutexLock lock(&mu_);
      // A helper that woke for an earlier Run must not take the items of a later one.
      if (generation_ != generation || next_ >= count_) return;
      begin = next_;
      end = std::min(count_, next_ + kChunk);
      next_ = end;
    }
    for (size_t i = begin; i < end; ++i) task(i);
    absl::MutexLock lock(&mu_);
    done_ += end - begin;
  }
}

void FanOut::Work() {
  uint64_t seen = 0;
  for (;;) {
    const std::function<void(size_t)>* task = nullptr;
    {
      absl::MutexLock lock(&mu_);
      auto ready = [&]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
        return stop_ || (generation_ != seen && task_ != nullptr && next_ < count_);
      };
      mu_.Await(absl::Condition(&ready));
      if (stop_) return;
      seen = generation_;
      task = task_;
    }
    Drain(*task, seen);
  }
}

}  // namespace contour::xds
