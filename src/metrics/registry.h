// Prometheus metrics: a Registry of counter, gauge and summary families, rendered in the text
// exposition format. There is no default registry: the server makes one and hands it by reference
// to each component, which registers its families at construction and keeps the returned
// pointers (they stay valid as long as the Registry).
//
// Values are pushed (Counter::Inc, Gauge::Set, Summary::Observe) or collected: a collected
// family's callback is run at scrape time, so a component that already keeps a stats() struct
// need not push anything.
#ifndef CONTOUR_METRICS_REGISTRY_H_
#define CONTOUR_METRICS_REGISTRY_H_

#include <atomic>
#include <concepts>
#include <cstdint>
#include <deque>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "metrics/text_format.h"

namespace contour::metrics {

// Read by summaries, to time observations and age them out of the window.
using Clock = std::function<absl::Time()>;

// One value per label name of the family, in the order the names were declared.
using LabelValues = std::vector<std::string>;

struct RegistryOptions {
  // absl::Now when empty. Tests pass a fake, so that no test sleeps.
  Clock clock;
};

// client_golang's default summary: quantiles over a sliding 10-minute window. The window here
// keeps at most `max_samples` of the latest observations and computes exact quantiles over them.
struct SummaryOptions {
  std::vector<double> quantiles = {0.5, 0.9, 0.99};  // each in [0, 1]
  absl::Duration max_age = absl::Minutes(10);
  size_t max_samples = 1024;
};

// Monotonic. Integer additions are kept exact (as client_golang does) apart from fractional ones.
class Counter {
 public:
  Counter() = default;
  Counter(const Counter&) = delete;
  Counter& operator=(const Counter&) = delete;

  void Inc() { integer_.fetch_add(1, std::memory_order_relaxed); }
  // A negative, or NaN, amount is a bug at the call site; it is dropped rather than let a
  // counter go down.
  void Add(double amount);
  template <std::integral T>
  void Add(T amount) {
    if (amount < 0) return;
    integer_.fetch_add(static_cast<uint64_t>(amount), std::memory_order_relaxed);
  }
  double Value() const;

 private:
  std::atomic<uint64_t> integer_{0};
  std::atomic<double> fraction_{0};
};

class Gauge {
 public:
  Gauge() = default;
  Gauge(const Gauge&) = delete;
  Gauge& operator=(const Gauge&) = delete;

  void Set(double value) { value_.store(value, std::memory_order_relaxed); }
  void Inc() { Add(1); }
  void Dec() { Add(-1); }
  void Add(double amount) { value_.fetch_add(amount, std::memory_order_relaxed); }
  void Sub(double amount) { Add(-amount); }
  double Value() const { return value_.load(std::memory_order_relaxed); }

 private:
  std::atomic<double> value_{0};
};

// Quantiles over the recent window, with _sum and _count over all observations ever made.
// Quantiles are nearest-rank: the ceil(q * n)-th smallest of the n values in the window; NaN
// when the window is empty, as client_golang reports.
class Summary {
 public:
  // `options` as validated by the Registry.
  Summary(SummaryOptions options, Clock clock);
  Summary(const Summary&) = delete;
  Summary& operator=(const Summary&) = delete;

  // A NaN counts in _count and makes _sum NaN, but is kept out of the window (it has no rank).
  void Observe(double value);
  SummarySeries Collect(absl::Time now) const;

 private:
  const SummaryOptions options_;
  const Clock clock_;
  mutable absl::Mutex mu_;
  // Oldest first. Pruned on Observe and on Collect.
  mutable std::deque<std::pair<absl::Time, double>> window_ ABSL_GUARDED_BY(mu_);
  double sum_ ABSL_GUARDED_BY(mu_) = 0;
  uint64_t count_ ABSL_GUARDED_BY(mu_) = 0;
};

namespace metrics_internal {

class FamilyBase {
 public:
  virtual ~FamilyBase() = default;
  // Fills out->series or out->summaries with the values at `now`.
  virtual void Collect(absl::Time now, FamilySnapshot* out) const = 0;
};

// The series of one family, keyed by label values; made on first use.
template <typename T>
class LabeledFamily : public FamilyBase {
 public:
  // The series with these values, made on first use. The reference stays valid as long as the
  // Registry, unless the series is removed (only gauges can be). A wrong number of values is a
  // bug at the call site: the process aborts with a message on stderr.
  T& WithLabelValues(const LabelValues& values);
  // As WithLabelValues, but a wrong number of values is an InvalidArgument error.
  absl::StatusOr<T*> Get(const LabelValues& values);

  size_t label_count() const { return label_count_; }

 protected:
  LabeledFamily(std::string name, size_t label_count, std::function<std::unique_ptr<T>()> make)
      : name_(std::move(name)), label_count_(label_count), make_(std::move(make)) {}

  absl::Status CheckArity(const LabelValues& values) const;

  const std::string name_;
  const size_t label_count_;
  const std::function<std::unique_ptr<T>()> make_;
  mutable absl::Mutex mu_;
  std::map<LabelValues, std::unique_ptr<T>> children_ ABSL_GUARDED_BY(mu_);
};

}  // namespace metrics_internal

class CounterFamily final : public metrics_internal::LabeledFamily<Counter> {
 public:
  void Collect(absl::Time now, FamilySnapshot* out) const override;

 private:
  friend class Registry;
  CounterFamily(std::string name, size_t label_count);
};

class GaugeFamily final : public metrics_internal::LabeledFamily<Gauge> {
 public:
  // Makes the family exactly `values`: label sets not listed are deleted (as Contour deletes
  // the label sets that vanish between rebuilds), listed ones are set, last one wins. Gauge
  // references to deleted series dangle afterwards. On a wrong number of label values nothing
  // changes and InvalidArgument is returned.
  absl::Status ReplaceAll(std::vector<std::pair<LabelValues, double>> values);
  // Deletes one series; false if it was not there.
  bool Remove(const LabelValues& values);

  void Collect(absl::Time now, FamilySnapshot* out) const override;

 private:
  friend class Registry;
  GaugeFamily(std::string name, size_t label_count);
};

class SummaryFamily final : public metrics_internal::LabeledFamily<Summary> {
 public:
  void Collect(absl::Time now, FamilySnapshot* out) const override;

 private:
  friend class Registry;
  SummaryFamily(std::string name, size_t label_count, SummaryOptions options, Clock clock);
};

// One series reported by a collected family's callback.
struct LabeledValue {
  LabelValues label_values;
  double value = 0;
};

// Thread-safe. Registration errors (InvalidArgument for a bad metric or label name, empty help,
// bad summary options; AlreadyExists for a name taken, including a summary's name_sum and
// name_count) are values; a component may treat them as fatal, they are fixed at compile time.
class Registry {
 public:
  explicit Registry(RegistryOptions options = {});
  ~Registry();
  Registry(const Registry&) = delete;
  Registry& operator=(const Registry&) = delete;

  // Families with no labels: the one series, exported from the start at 0.
  absl::StatusOr<Counter*> AddCounter(std::string_view name, std::string_view help);
  absl::StatusOr<Gauge*> AddGauge(std::string_view name, std::string_view help);
  absl::StatusOr<Summary*> AddSummary(std::string_view name, std::string_view help,
                                      SummaryOptions options = {});

  // Families with labels: a series is exported once made by WithLabelValues (or ReplaceAll).
  absl::StatusOr<CounterFamily*> AddCounterFamily(std::string_view name, std::string_view help,
                                                  std::vector<std::string> label_names);
  absl::StatusOr<GaugeFamily*> AddGaugeFamily(std::string_view name, std::string_view help,
                                              std::vector<std::string> label_names);
  absl::StatusOr<SummaryFamily*> AddSummaryFamily(std::string_view name, std::string_view help,
                                                  std::vector<std::string> label_names,
                                                  SummaryOptions options = {});

  // Collected families: `collect` runs at each Render, on the rendering thread, with no lock of
  // the Registry held (it may use the Registry). It must be thread-safe, as scrapes may overlap.
  // Series with the wrong number of label values are left out; of duplicates the first is kept.
  absl::Status AddCollectedCounter(std::string_view name, std::string_view help,
                                   std::function<double()> collect);
  absl::Status AddCollectedGauge(std::string_view name, std::string_view help,
                                 std::function<double()> collect);
  absl::Status AddCollectedCounterFamily(std::string_view name, std::string_view help,
                                         std::vector<std::string> label_names,
                                         std::function<std::vector<LabeledValue>()> collect);
  absl::Status AddCollectedGaugeFamily(std::string_view name, std::string_view help,
                                       std::vector<std::string> label_names,
                                       std::function<std::vector<LabeledValue>()> collect);

  // Removes a collected family and returns once no Render is still running its callback, so that
  // what the callback uses may then be destroyed. Must not be called from that callback. False
  // if `name` is not a collected family (pushed families live as long as the Registry).
  bool Unregister(std::string_view name);

  // The text exposition format 0.0.4: families sorted by name, each `# HELP`, `# TYPE` and its
  // samples; families without series left out. Byte-identical for identical values.
  std::string Render() const;

  absl::Time Now() const;

 private:
  struct Collected;
  struct Entry {
    std::string help;
    MetricType type;
    std::vector<std::string> label_names;
    std::unique_ptr<metrics_internal::FamilyBase> family;  // pushed families
    std::shared_ptr<Collected> collected;                  // collected families
  };

  // Validates and inserts; on success returns the entry's family pointer (or null if collected).
  absl::StatusOr<metrics_internal::FamilyBase*> Insert(
      std::string_view name, std::string_view help, MetricType type,
      std::vector<std::string> label_names, std::unique_ptr<metrics_internal::FamilyBase> family,
      std::shared_ptr<Collected> collected);
  absl::Status AddCollected(std::string_view name, std::string_view help, MetricType type,
                            std::vector<std::string> label_names,
                            std::function<std::vector<LabeledValue>()> collect);

  const RegistryOptions options_;
  mutable absl::Mutex mu_;
  std::map<std::string, Entry, std::less<>> families_ ABSL_GUARDED_BY(mu_);
};

// client_golang's process collector, read from /proc/self at scrape time:
// process_cpu_seconds_total, process_open_fds, process_max_fds, process_virtual_memory_bytes,
// process_virtual_memory_max_bytes, process_resident_memory_bytes, process_start_time_seconds.
// A value that cannot be read at a scrape is left out of it.
absl::Status AddProcessMetrics(Registry& registry);

}  // namespace contour::metrics

#endif  // CONTOUR_METRICS_REGISTRY_H_
