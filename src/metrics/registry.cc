#include "metrics/registry.h"

#include <dirent.h>
#include <sys/resource.h>
#include <unistd.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <optional>
#include <sstream>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"

namespace contour::metrics {
namespace {

bool ValidMetricName(std::string_view name) {
  if (name.empty()) return false;
  for (size_t i = 0; i < name.size(); ++i) {
    const char c = name[i];
    const bool ok = absl::ascii_isalpha(static_cast<unsigned char>(c)) || c == '_' || c == ':' ||
                    (i > 0 && absl::ascii_isdigit(static_cast<unsigned char>(c)));
    if (!ok) return false;
  }
  return true;
}

bool ValidLabelName(std::string_view name) {
  if (name.empty()) return false;
  for (size_t i = 0; i < name.size(); ++i) {
    const char c = name[i];
    const bool ok = absl::ascii_isalpha(static_cast<unsigned char>(c)) || c == '_' ||
                    (i > 0 && absl::ascii_isdigit(static_cast<unsigned char>(c)));
    if (!ok) return false;
  }
  return true;
}

absl::Status ValidateSummaryOptions(SummaryOptions& options) {
  for (double q : options.quantiles) {
    if (!(q >= 0 && q <= 1)) {
      return absl::InvalidArgumentError(absl::StrCat("summary quantile ", q, " is not in [0, 1]"));
    }
  }
  std::sort(options.quantiles.begin(), options.quantiles.end());
  options.quantiles.erase(std::unique(options.quantiles.begin(), options.quantiles.end()),
                          options.quantiles.end());
  if (options.max_age <= absl::ZeroDuration()) {
    return absl::InvalidArgumentError("summary max_age must be positive");
  }
  if (options.max_samples == 0) {
    return absl::InvalidArgumentError("summary max_samples must be positive");
  }
  return absl::OkStatus();
}

// The text after the last ')' of /proc/self/stat, split on spaces: the first field is the state
// (field 3 of proc(5)). The command name before it may itself hold spaces and parentheses.
std::optional<std::vector<std::string>> ReadProcSelfStat() {
  std::ifstream in("/proc/self/stat");
  if (!in) return std::nullopt;
  std::stringstream buffer;
  buffer << in.rdbuf();
  const std::string text = buffer.str();
  const size_t paren = text.rfind(')');
  if (paren == std::string::npos) return std::nullopt;
  std::vector<std::string> fields =
      absl::StrSplit(text.substr(paren + 1), ' ', absl::SkipWhitespace());
  if (fields.size() < 22) return std::nullopt;
  return fields;
}

// Field `n` (numbered as in proc(5)) of /proc/self/stat.
std::optional<double> StatField(int n) {
  std::optional<std::vector<std::string>> fields = ReadProcSelfStat();
  if (!fields) return std::nullopt;
  double value = 0;
  if (!absl::SimpleAtod((*fields)[n - 3], &value)) return std::nullopt;
  return value;
}

std::optional<double> ProcessStartTime() {
  const long ticks = sysconf(_SC_CLK_TCK);
  const std::optional<double> start_ticks = StatField(22);
  std::ifstream in("/proc/stat");
  if (!in || ticks <= 0 || !start_ticks) return std::nullopt;
  std::string line;
  while (std::getline(in, line)) {
    absl::string_view rest = line;
    if (absl::ConsumePrefix(&rest, "btime ")) {
      double boot = 0;
      if (!absl::SimpleAtod(rest, &boot)) return std::nullopt;
      return boot + *start_ticks / static_cast<double>(ticks);
    }
  }
  return std::nullopt;
}

std::optional<double> SoftLimit(int resource) {
  struct rlimit limit;
  if (getrlimit(resource, &limit) != 0) return std::nullopt;
  return static_cast<double>(limit.rlim_cur);  // RLIM_INFINITY reads as 2^64-1, as in Go
}

std::optional<double> OpenFds() {
  DIR* dir = opendir("/proc/self/fd");
  if (dir == nullptr) return std::nullopt;
  double count = 0;
  while (const dirent* entry = readdir(dir)) {
    const std::string_view name = entry->d_name;
    if (name != "." && name != "..") ++count;
  }
  closedir(dir);
  return count;
}

std::vector<LabeledValue> OneValue(std::optional<double> value) {
  if (!value) return {};
  return {LabeledValue{{}, *value}};
}

}  // namespace

// Counter ------------------------------------------------------------------------------------

void Counter::Add(double amount) {
  if (!(amount >= 0)) return;
  fraction_.fetch_add(amount, std::memory_order_relaxed);
}

double Counter::Value() const {
  return static_cast<double>(integer_.load(std::memory_order_relaxed)) +
         fraction_.load(std::memory_order_relaxed);
}

// Summary ------------------------------------------------------------------------------------

Summary::Summary(SummaryOptions options, Clock clock)
    : options_(std::move(options)), clock_(std::move(clock)) {}

void Summary::Observe(double value) {
  const absl::Time now = clock_ ? clock_() : absl::Now();
  absl::MutexLock lock(&mu_);
  sum_ += value;
  ++count_;
  if (std::isnan(value)) return;
  window_.emplace_back(now, value);
  while (window_.size() > options_.max_samples) window_.pop_front();
  while (!window_.empty() && window_.front().first + options_.max_age <= now) window_.pop_front();
}

SummarySeries Summary::Collect(absl::Time now) const {
  SummarySeries out;
  std::vector<double> values;
  {
    absl::MutexLock lock(&mu_);
    while (!window_.empty() && window_.front().first + options_.max_age <= now) {
      window_.pop_front();
    }
    values.reserve(window_.size());
    for (const auto& [time, value] : window_) values.push_back(value);
    out.sum = sum_;
    out.count = count_;
  }
  std::sort(values.begin(), values.end());
  for (double q : options_.quantiles) {
    double value = std::nan("");
    if (!values.empty()) {
      const double rank = std::ceil(q * static_cast<double>(values.size()));
      const size_t index = rank < 1 ? 0 : static_cast<size_t>(rank) - 1;
      value = values[std::min(index, values.size() - 1)];
    }
    out.quantiles.emplace_back(q, value);
  }
  return out;
}

// Families -----------------------------------------------------------------------------------

namespace metrics_internal {

template <typename T>
absl::Status LabeledFamily<T>::CheckArity(const LabelValues& values) const {
  if (values.size() == label_count_) return absl::OkStatus();
  return absl::InvalidArgumentError(
      absl::StrCat(name_, " has ", label_count_, " labels, got ", values.size(), " values"));
}

template <typename T>
absl::StatusOr<T*> LabeledFamily<T>::Get(const LabelValues& values) {
  if (absl::Status status = CheckArity(values); !status.ok()) return status;
  absl::MutexLock lock(&mu_);
  std::unique_ptr<T>& child = children_[values];
  if (child == nullptr) child = make_();
  return child.get();
}

template <typename T>
T& LabeledFamily<T>::WithLabelValues(const LabelValues& values) {
  absl::StatusOr<T*> child = Get(values);
  if (!child.ok()) {
    std::fprintf(stderr, "metrics: %s\n", child.status().ToString().c_str());
    std::abort();
  }
  return **child;
}

template class LabeledFamily<Counter>;
template class LabeledFamily<Gauge>;
template class LabeledFamily<Summary>;

}  // namespace metrics_internal

CounterFamily::CounterFamily(std::string name, size_t label_count)
    : LabeledFamily(std::move(name), label_count, [] { return std::make_unique<Counter>(); }) {}

void CounterFamily::Collect(absl::Time now, FamilySnapshot* out) const {
  absl::MutexLock lock(&mu_);
  for (const auto& [values, counter] : children_) out->series.push_back({values, counter->Value()});
}

GaugeFamily::GaugeFamily(std::string name, size_t label_count)
    : LabeledFamily(std::move(name), label_count, [] { return std::make_unique<Gauge>(); }) {}

absl::Status GaugeFamily::ReplaceAll(std::vector<std::pair<LabelValues, double>> values) {
  for (const auto& [labels, value] : values) {
    if (absl::Status status = CheckArity(labels); !status.ok()) return status;
  }
  std::map<LabelValues, std::unique_ptr<Gauge>> replaced;
  absl::MutexLock lock(&mu_);
  for (auto& [labels, value] : values) {
    std::unique_ptr<Gauge>& gauge = replaced[labels];
    if (gauge == nullptr) {
      // Keep the series object of a label set that stays, so references to it stay good.
      auto old = children_.find(labels);
      gauge = old != children_.end() ? std::move(old->second) : std::make_unique<Gauge>();
    }
    gauge->Set(value);
  }
  children_.swap(replaced);
  return absl::OkStatus();
}

bool GaugeFamily::Remove(const LabelValues& values) {
  absl::MutexLock lock(&mu_);
  return children_.erase(values) > 0;
}

void GaugeFamily::Collect(absl::Time now, FamilySnapshot* out) const {
  absl::MutexLock lock(&mu_);
  for (const auto& [values, gauge] : children_) out->series.push_back({values, gauge->Value()});
}

SummaryFamily::SummaryFamily(std::string name, size_t label_count, SummaryOptions options,
                             Clock clock)
    : LabeledFamily(std::move(name), label_count,
                    [options = std::move(options), clock = std::move(clock)] {
                      return std::make_unique<Summary>(options, clock);
                    }) {}

void SummaryFamily::Collect(absl::Time now, FamilySnapshot* out) const {
  // Summaries lock themselves: collect them after this family's lock is released.
  std::vector<std::pair<LabelValues, const Summary*>> children;
  {
    absl::MutexLock lock(&mu_);
    for (const auto& [values, summary] : children_) children.emplace_back(values, summary.get());
  }
  for (auto& [values, summary] : children) {
    SummarySeries series = summary->Collect(now);
    series.label_values = std::move(values);
    out->summaries.push_back(std::move(series));
  }
}

// Registry -----------------------------------------------------------------------------------

struct Registry::Collected {
  explicit Collected(std::function<std::vector<LabeledValue>()> f) : collect(std::move(f)) {}

  bool Idle() const ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu) { return running == 0; }

  const std::function<std::vector<LabeledValue>()> collect;
  absl::Mutex mu;
  int running ABSL_GUARDED_BY(mu) = 0;  // Renders now in `collect`
  bool removed ABSL_GUARDED_BY(mu) = false;
};

Registry::Registry(RegistryOptions options) : options_(std::move(options)) {}

Registry::~Registry() = default;

absl::Time Registry::Now() const { return options_.clock ? options_.clock() : absl::Now(); }

absl::StatusOr<metrics_internal::FamilyBase*> Registry::Insert(
    std::string_view name_view, std::string_view help, MetricType type,
    std::vector<std::string> label_names, std::unique_ptr<metrics_internal::FamilyBase> family,
    std::shared_ptr<Collected> collected) {
  const std::string name(name_view);
  if (!ValidMetricName(name)) {
    return absl::InvalidArgumentError(absl::StrCat("invalid metric name \"", name, "\""));
  }
  if (help.empty()) {
    return absl::InvalidArgumentError(absl::StrCat("metric ", name, " has no help text"));
  }
  for (size_t i = 0; i < label_names.size(); ++i) {
    const std::string& label = label_names[i];
    if (!ValidLabelName(label) || absl::StartsWith(label, "__")) {
      return absl::InvalidArgumentError(
          absl::StrCat("metric ", name, ": invalid label name \"", label, "\""));
    }
    if (type == MetricType::kSummary && label == "quantile") {
      return absl::InvalidArgumentError(
          absl::StrCat("summary ", name, ": label name \"quantile\" is reserved"));
    }
    if (std::find(label_names.begin(), label_names.begin() + i, label) != label_names.begin() + i) {
      return absl::InvalidArgumentError(
          absl::StrCat("metric ", name, ": label name \"", label, "\" repeated"));
    }
  }

  absl::MutexLock lock(&mu_);
  // A summary's samples include name_sum and name_count: no other family may own those names.
  std::vector<std::string> taken = {name};
  if (type == MetricType::kSummary) {
    taken.push_back(absl::StrCat(name, "_sum"));
    taken.push_back(absl::StrCat(name, "_count"));
  }
  for (const std::string& t : taken) {
    if (families_.contains(t)) {
      return absl::AlreadyExistsError(
          absl::StrCat("metric ", name, ": name ", t, " is already registered"));
    }
  }
  for (const char* suffix : {"_sum", "_count"}) {
    absl::string_view stem = name;
    if (!absl::ConsumeSuffix(&stem, suffix)) continue;
    auto it = families_.find(std::string(stem));
    if (it != families_.end() && it->second.type == MetricType::kSummary) {
      return absl::AlreadyExistsError(
          absl::StrCat("metric ", name, ": name is a sample of summary ", stem));
    }
  }
  metrics_internal::FamilyBase* raw = family.get();
  families_.emplace(name, Entry{std::string(help), type, std::move(label_names), std::move(family),
                                std::move(collected)});
  return raw;
}

absl::StatusOr<CounterFamily*> Registry::AddCounterFamily(std::string_view name,
                                                          std::string_view help,
                                                          std::vector<std::string> label_names) {
  auto family =
      std::unique_ptr<CounterFamily>(new CounterFamily(std::string(name), label_names.size()));
  CounterFamily* raw = family.get();
  absl::StatusOr<metrics_internal::FamilyBase*> inserted =
      Insert(name, help, MetricType::kCounter, std::move(label_names), std::move(family), nullptr);
  if (!inserted.ok()) return inserted.status();
  return raw;
}

absl::StatusOr<GaugeFamily*> Registry::AddGaugeFamily(std::string_view name, std::string_view help,
                                                      std::vector<std::string> label_names) {
  auto family =
      std::unique_ptr<GaugeFamily>(new GaugeFamily(std::string(name), label_names.size()));
  GaugeFamily* raw = family.get();
  absl::StatusOr<metrics_internal::FamilyBase*> inserted =
      Insert(name, help, MetricType::kGauge, std::move(label_names), std::move(family), nullptr);
  if (!inserted.ok()) return inserted.status();
  return raw;
}

absl::StatusOr<SummaryFamily*> Registry::AddSummaryFamily(std::string_view name,
                                                          std::string_view help,
                                                          std::vector<std::string> label_names,
                                                          SummaryOptions options) {
  if (absl::Status status = ValidateSummaryOptions(options); !status.ok()) {
    return absl::InvalidArgumentError(
        absl::StrCat("summary ", std::string(name), ": ", status.message()));
  }
  // Summaries read the clock through the Registry, which outlives them.
  auto family = std::unique_ptr<SummaryFamily>(new SummaryFamily(
      std::string(name), label_names.size(), std::move(options), [this] { return Now(); }));
  SummaryFamily* raw = family.get();
  absl::StatusOr<metrics_internal::FamilyBase*> inserted =
      Insert(name, help, MetricType::kSummary, std::move(label_names), std::move(family), nullptr);
  if (!inserted.ok()) return inserted.status();
  return raw;
}

absl::StatusOr<Counter*> Registry::AddCounter(std::string_view name, std::string_view help) {
  absl::StatusOr<CounterFamily*> family = AddCounterFamily(name, help, {});
  if (!family.ok()) return family.status();
  return &(*family)->WithLabelValues({});
}

absl::StatusOr<Gauge*> Registry::AddGauge(std::string_view name, std::string_view help) {
  absl::StatusOr<GaugeFamily*> family = AddGaugeFamily(name, help, {});
  if (!family.ok()) return family.status();
  return &(*family)->WithLabelValues({});
}

absl::StatusOr<Summary*> Registry::AddSummary(std::string_view name, std::string_view help,
                                              SummaryOptions options) {
  absl::StatusOr<SummaryFamily*> family = AddSummaryFamily(name, help, {}, std::move(options));
  if (!family.ok()) return family.status();
  return &(*family)->WithLabelValues({});
}

absl::Status Registry::AddCollected(std::string_view name, std::string_view help, MetricType type,
                                    std::vector<std::string> label_names,
                                    std::function<std::vector<LabeledValue>()> collect) {
  if (!collect) {
    return absl::InvalidArgumentError(
        absl::StrCat("metric ", std::string(name), " has no collect function"));
  }
  return Insert(name, help, type, std::move(label_names), nullptr,
                std::make_shared<Collected>(std::move(collect)))
      .status();
}

absl::Status Registry::AddCollectedCounter(std::string_view name, std::string_view help,
                                           std::function<double()> collect) {
  if (!collect) return AddCollected(name, help, MetricType::kCounter, {}, nullptr);
  return AddCollected(name, help, MetricType::kCounter, {},
                      [collect = std::move(collect)]() -> std::vector<LabeledValue> {
                        return {LabeledValue{{}, collect()}};
                      });
}

absl::Status Registry::AddCollectedGauge(std::string_view name, std::string_view help,
                                         std::function<double()> collect) {
  if (!collect) return AddCollected(name, help, MetricType::kGauge, {}, nullptr);
  return AddCollected(name, help, MetricType::kGauge, {},
                      [collect = std::move(collect)]() -> std::vector<LabeledValue> {
                        return {LabeledValue{{}, collect()}};
                      });
}

absl::Status Registry::AddCollectedCounterFamily(
    std::string_view name, std::string_view help, std::vector<std::string> label_names,
    std::function<std::vector<LabeledValue>()> collect) {
  return AddCollected(name, help, MetricType::kCounter, std::move(label_names), std::move(collect));
}

absl::Status Registry::AddCollectedGaugeFamily(std::string_view name, std::string_view help,
                                               std::vector<std::string> label_names,
                                               std::function<std::vector<LabeledValue>()> collect) {
  return AddCollected(name, help, MetricType::kGauge, std::move(label_names), std::move(collect));
}

bool Registry::Unregister(std::string_view name) {
  std::shared_ptr<Collected> collected;
  {
    absl::MutexLock lock(&mu_);
    auto it = families_.find(name);
    if (it == families_.end() || it->second.collected == nullptr) return false;
    collected = std::move(it->second.collected);
    families_.erase(it);
  }
  absl::MutexLock lock(&collected->mu);
  collected->removed = true;  // a Render that copied the entry already will skip it
  collected->mu.Await(absl::Condition(collected.get(), &Collected::Idle));
  return true;
}

std::string Registry::Render() const {
  struct Pending {
    FamilySnapshot snapshot;
    const metrics_internal::FamilyBase* family;
    std::shared_ptr<Collected> collected;
  };
  std::vector<Pending> pending;
  {
    // Copy what is needed, so that no family and no callback is run under the Registry's lock.
    absl::MutexLock lock(&mu_);
    pending.reserve(families_.size());
    for (const auto& [name, entry] : families_) {
      FamilySnapshot snapshot{name, entry.help, entry.type, entry.label_names, {}, {}};
      pending.push_back({std::move(snapshot), entry.family.get(), entry.collected});
    }
  }
  const absl::Time now = Now();
  std::string out;
  for (Pending& p : pending) {
    if (p.family != nullptr) {
      p.family->Collect(now, &p.snapshot);
    } else {
      {
        absl::MutexLock lock(&p.collected->mu);
        if (p.collected->removed) continue;
        ++p.collected->running;
      }
      std::vector<LabeledValue> values = p.collected->collect();
      {
        absl::MutexLock lock(&p.collected->mu);
        --p.collected->running;
      }
      p.snapshot.series.reserve(values.size());
      for (LabeledValue& v : values) {
        p.snapshot.series.push_back({std::move(v.label_values), v.value});
      }
    }
    AppendFamily(p.snapshot, &out);
  }
  return out;
}

// Process metrics ----------------------------------------------------------------------------

absl::Status AddProcessMetrics(Registry& registry) {
  const long ticks = sysconf(_SC_CLK_TCK);
  const long page_size = sysconf(_SC_PAGESIZE);
  // The start time never changes, and /proc/stat is large on big machines: read it once.
  const std::optional<double> start_time = ProcessStartTime();

  auto cpu = [ticks]() -> std::vector<LabeledValue> {
    std::optional<std::vector<std::string>> fields = ReadProcSelfStat();
    double user = 0, system = 0;
    if (!fields || ticks <= 0 || !absl::SimpleAtod((*fields)[14 - 3], &user) ||
        !absl::SimpleAtod((*fields)[15 - 3], &system)) {
      return {};
    }
    return {LabeledValue{{}, (user + system) / static_cast<double>(ticks)}};
  };
  auto resident = [page_size]() -> std::vector<LabeledValue> {
    std::optional<double> pages = StatField(24);
    if (!pages || page_size <= 0) return {};
    return {LabeledValue{{}, *pages * static_cast<double>(page_size)}};
  };

  struct Item {
    std::string_view name;
    std::string_view help;
    MetricType type;
    std::function<std::vector<LabeledValue>()> collect;
  };
  const Item items[] = {
      {"process_cpu_seconds_total", "Total user and system CPU time spent in seconds.",
       MetricType::kCounter, cpu},
      {"process_max_fds", "Maximum number of open file descriptors.", MetricType::kGauge,
       [] { return OneValue(SoftLimit(RLIMIT_NOFILE)); }},
      {"process_open_fds", "Number of open file descriptors.", MetricType::kGauge,
       [] { return OneValue(OpenFds()); }},
      {"process_resident_memory_bytes", "Resident memory size in bytes.", MetricType::kGauge,
       resident},
      {"process_start_time_seconds", "Start time of the process since unix epoch in seconds.",
       MetricType::kGauge, [start_time] { return OneValue(start_time); }},
      {"process_virtual_memory_bytes", "Virtual memory size in bytes.", MetricType::kGauge,
       [] { return OneValue(StatField(23)); }},
      {"process_virtual_memory_max_bytes", "Maximum amount of virtual memory available in bytes.",
       MetricType::kGauge, [] { return OneValue(SoftLimit(RLIMIT_AS)); }},
  };
  for (const Item& item : items) {
    absl::Status status =
        item.type == MetricType::kCounter
            ? registry.AddCollectedCounterFamily(item.name, item.help, {}, item.collect)
            : registry.AddCollectedGaugeFamily(item.name, item.help, {}, item.collect);
    if (!status.ok()) return status;
  }
  return absl::OkStatus();
}

}  // namespace contour::metrics
