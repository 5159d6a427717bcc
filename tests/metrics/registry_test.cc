#include "metrics/registry.h"

#include <cmath>
#include <string>
#include <thread>
#include <vector>

#include "absl/synchronization/notification.h"
#include "gtest/gtest.h"
#include "tests/support/prometheus_text.h"

namespace contour::metrics {
namespace {

using ::contour::testing::ParsedMetrics;
using ::contour::testing::ParsePrometheusText;

// A clock the test moves by hand.
class FakeClock {
 public:
  Clock AsClock() {
    return [this] {
      absl::MutexLock lock(&mu_);
      return now_;
    };
  }
  void Advance(absl::Duration d) {
    absl::MutexLock lock(&mu_);
    now_ += d;
  }

 private:
  absl::Mutex mu_;
  absl::Time now_ ABSL_GUARDED_BY(mu_) = absl::FromUnixSeconds(1700000000);
};

ParsedMetrics MustParse(const std::string& text) {
  absl::StatusOr<ParsedMetrics> parsed = ParsePrometheusText(text);
  EXPECT_TRUE(parsed.ok()) << parsed.status() << "\n" << text;
  return parsed.ok() ? *std::move(parsed) : ParsedMetrics({});
}

TEST(Registry, RendersGoldenText) {
  FakeClock clock;
  Registry registry({.clock = clock.AsClock()});

  Counter* requests = *registry.AddCounter("contour_requests_total", "Requests served.");
  requests->Inc();
  requests->Add(2);
  requests->Add(0.5);
  requests->Add(-7);  // dropped: counters never go down

  GaugeFamily* routes = *registry.AddGaugeFamily(
      "contour_ingressroute_total", "Total number of IngressRoutes.\nPer namespace \\ vhost.",
      {"vhost", "namespace"});
  routes->WithLabelValues({"b.example.com", "default"}).Set(2);
  routes->WithLabelValues({"a \"quoted\"\nline\\", "default"}).Set(-1.5);
  routes->WithLabelValues({"a.example.com", "kube-system"}).Set(1e6);

  // Observations older than ten minutes leave the quantiles but stay in _sum and _count.
  Summary* rebuild = *registry.AddSummary("contour_dagrebuild_seconds", "Rebuild time.");
  rebuild->Observe(100);
  rebuild->Observe(200);
  clock.Advance(absl::Minutes(10));
  for (int i = 1; i <= 10; ++i) rebuild->Observe(0.25 * i);

  ASSERT_TRUE(
      registry.AddCollectedGauge("contour_xds_streams", "Open xDS streams.", [] { return 3.0; })
          .ok());
  ASSERT_TRUE(registry
                  .AddCollectedCounterFamily(
                      "contour_xds_pushes_total", "Pushes by type.", {"type"},
                      [] {
                        return std::vector<LabeledValue>{{{"listener"}, 4}, {{"cluster"}, 7}};
                      })
                  .ok());
  // A labelled family nobody has used yet is left out, as client_golang leaves it out.
  ASSERT_TRUE(registry.AddCounterFamily("contour_unused_total", "Unused.", {"x"}).ok());

  const std::string want =
      "# HELP contour_dagrebuild_seconds Rebuild time.\n"
      "# TYPE contour_dagrebuild_seconds summary\n"
      "contour_dagrebuild_seconds{quantile=\"0.5\"} 1.25\n"
      "contour_dagrebuild_seconds{quantile=\"0.9\"} 2.25\n"
      "contour_dagrebuild_seconds{quantile=\"0.99\"} 2.5\n"
      "contour_dagrebuild_seconds_sum 313.75\n"
      "contour_dagrebuild_seconds_count 12\n"
      "# HELP contour_ingressroute_total Total number of IngressRoutes.\\nPer namespace \\\\ "
      "vhost.\n"
      "# TYPE contour_ingressroute_total gauge\n"
      "contour_ingressroute_total{namespace=\"default\",vhost=\"a \\\"quoted\\\"\\nline\\\\\"} "
      "-1.5\n"
      "contour_ingressroute_total{namespace=\"default\",vhost=\"b.example.com\"} 2\n"
      "contour_ingressroute_total{namespace=\"kube-system\",vhost=\"a.example.com\"} 1e+06\n"
      "# HELP contour_requests_total Requests served.\n"
      "# TYPE contour_requests_total counter\n"
      "contour_requests_total 3.5\n"
      "# HELP contour_xds_pushes_total Pushes by type.\n"
      "# TYPE contour_xds_pushes_total counter\n"
      "contour_xds_pushes_total{type=\"cluster\"} 7\n"
      "contour_xds_pushes_total{type=\"listener\"} 4\n"
      "# HELP contour_xds_streams Open xDS streams.\n"
      "# TYPE contour_xds_streams gauge\n"
      "contour_xds_streams 3\n";
  const std::string got = registry.Render();
  EXPECT_EQ(got, want);
  EXPECT_EQ(registry.Render(), got);  // byte-identical when nothing changed

  // The strict parser reads it back, escapes undone.
  ParsedMetrics parsed = MustParse(got);
  EXPECT_EQ(parsed.Value("contour_ingressroute_total",
                         {{"namespace", "default"}, {"vhost", "a \"quoted\"\nline\\"}}),
            -1.5);
  ASSERT_NE(parsed.Family("contour_ingressroute_total"), nullptr);
  EXPECT_EQ(parsed.Family("contour_ingressroute_total")->help,
            "Total number of IngressRoutes.\nPer namespace \\ vhost.");
  EXPECT_EQ(parsed.Value("contour_dagrebuild_seconds_count"), 12);
}

TEST(Registry, SummaryWindowAgesOutAndIsBounded) {
  FakeClock clock;
  Registry registry({.clock = clock.AsClock()});
  SummaryFamily* latency =
      *registry.AddSummaryFamily("latency_seconds", "Latency.", {"op"},
                                 SummaryOptions{.quantiles = {1, 0, 0.5},  // sorted on the way in
                                                .max_age = absl::Minutes(10),
                                                .max_samples = 3});
  Summary& get = latency->WithLabelValues({"get"});
  for (int i = 1; i <= 5; ++i) get.Observe(i);  // the window keeps 3, 4, 5

  ParsedMetrics parsed = MustParse(registry.Render());
  EXPECT_EQ(parsed.Value("latency_seconds", {{"op", "get"}, {"quantile", "0"}}), 3);
  EXPECT_EQ(parsed.Value("latency_seconds", {{"op", "get"}, {"quantile", "0.5"}}), 4);
  EXPECT_EQ(parsed.Value("latency_seconds", {{"op", "get"}, {"quantile", "1"}}), 5);
  EXPECT_EQ(parsed.Value("latency_seconds_sum", {{"op", "get"}}), 15);
  EXPECT_EQ(parsed.Value("latency_seconds_count", {{"op", "get"}}), 5);

  // Just inside the window, then just out of it: quantiles of nothing are NaN.
  clock.Advance(absl::Minutes(10) - absl::Nanoseconds(1));
  parsed = MustParse(registry.Render());
  EXPECT_EQ(parsed.Value("latency_seconds", {{"op", "get"}, {"quantile", "0.5"}}), 4);
  clock.Advance(absl::Nanoseconds(1));
  parsed = MustParse(registry.Render());
  std::optional<double> median =
      parsed.Value("latency_seconds", {{"op", "get"}, {"quantile", "0.5"}});
  ASSERT_TRUE(median.has_value());
  EXPECT_TRUE(std::isnan(*median));
  EXPECT_EQ(parsed.Value("latency_seconds_count", {{"op", "get"}}), 5);
}

TEST(Registry, ReplaceAllDeletesVanishedLabelSets) {
  Registry registry;
  GaugeFamily* family = *registry.AddGaugeFamily("g", "G.", {"ns"});
  ASSERT_TRUE(family->ReplaceAll({{{"a"}, 1}, {{"b"}, 2}, {{"c"}, 3}}).ok());
  Gauge* b = &family->WithLabelValues({"b"});

  ASSERT_TRUE(family->ReplaceAll({{{"b"}, 5}, {{"d"}, 4}, {{"d"}, 6}}).ok());
  EXPECT_EQ(registry.Render(),
            "# HELP g G.\n"
            "# TYPE g gauge\n"
            "g{ns=\"b\"} 5\n"
            "g{ns=\"d\"} 6\n");
  EXPECT_EQ(&family->WithLabelValues({"b"}), b);  // a kept label set keeps its series
  EXPECT_EQ(b->Value(), 5);

  // A wrong number of label values changes nothing.
  EXPECT_EQ(family->ReplaceAll({{{"x", "y"}, 1}}).code(), absl::StatusCode::kInvalidArgument);
  EXPECT_TRUE(registry.Render().find("g{ns=\"d\"} 6\n") != std::string::npos);

  EXPECT_TRUE(family->Remove({"d"}));
  EXPECT_FALSE(family->Remove({"d"}));
  ASSERT_TRUE(family->ReplaceAll({}).ok());
  EXPECT_EQ(registry.Render(), "");
}

TEST(Registry, GetChecksArity) {
  Registry registry;
  CounterFamily* family = *registry.AddCounterFamily("c_total", "C.", {"a", "b"});
  EXPECT_EQ(family->Get({"x"}).status().code(), absl::StatusCode::kInvalidArgument);
  absl::StatusOr<Counter*> counter = family->Get({"x", "y"});
  ASSERT_TRUE(counter.ok());
  EXPECT_EQ(*counter, &family->WithLabelValues({"x", "y"}));
}

TEST(RegistryDeathTest, WithLabelValuesAbortsOnWrongArity) {
  Registry registry;
  CounterFamily* family = *registry.AddCounterFamily("c_total", "C.", {"a"});
  EXPECT_DEATH(family->WithLabelValues({}), "has 1 labels, got 0 values");
}

struct RegistrationCase {
  std::string name;
  std::string metric;
  std::string help;
  std::vector<std::string> labels;
  bool summary;
  absl::StatusCode want;
};

TEST(Registry, RegistrationErrors) {
  const RegistrationCase cases[] = {
      {"ok", "a_b:c", "H.", {"x", "_y"}, false, absl::StatusCode::kOk},
      {"empty name", "", "H.", {}, false, absl::StatusCode::kInvalidArgument},
      {"leading digit", "1abc", "H.", {}, false, absl::StatusCode::kInvalidArgument},
      {"dash", "a-b", "H.", {}, false, absl::StatusCode::kInvalidArgument},
      {"empty help", "h", "", {}, false, absl::StatusCode::kInvalidArgument},
      {"bad label", "l1", "H.", {"1x"}, false, absl::StatusCode::kInvalidArgument},
      {"colon in label", "l2", "H.", {"a:b"}, false, absl::StatusCode::kInvalidArgument},
      {"reserved label", "l3", "H.", {"__name"}, false, absl::StatusCode::kInvalidArgument},
      {"repeated label", "l4", "H.", {"a", "a"}, false, absl::StatusCode::kInvalidArgument},
      {"quantile on summary", "s1", "H.", {"quantile"}, true, absl::StatusCode::kInvalidArgument},
      {"quantile on gauge", "g1", "H.", {"quantile"}, false, absl::StatusCode::kOk},
      {"taken", "taken", "H.", {}, false, absl::StatusCode::kAlreadyExists},
      {"a summary's _sum", "sum_me_sum", "H.", {}, false, absl::StatusCode::kAlreadyExists},
      {"a summary's _count", "sum_me_count", "H.", {}, false, absl::StatusCode::kAlreadyExists},
      {"summary over a gauge's name", "over", "H.", {}, true, absl::StatusCode::kAlreadyExists},
  };
  Registry registry;
  ASSERT_TRUE(registry.AddGauge("taken", "T.").ok());
  ASSERT_TRUE(registry.AddSummary("sum_me", "S.").ok());
  ASSERT_TRUE(registry.AddGauge("over_count", "O.").ok());
  for (const RegistrationCase& c : cases) {
    absl::Status status = c.summary ? registry.AddSummaryFamily(c.metric, c.help, c.labels).status()
                                    : registry.AddGaugeFamily(c.metric, c.help, c.labels).status();
    EXPECT_EQ(status.code(), c.want) << c.name << ": " << status;
  }
  EXPECT_EQ(registry.AddSummary("q", "Q.", {.quantiles = {1.5}}).status().code(),
            absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(registry.AddSummary("q", "Q.", {.max_samples = 0}).status().code(),
            absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(registry.AddCollectedGauge("taken", "T.", [] { return 1.0; }).code(),
            absl::StatusCode::kAlreadyExists);
  EXPECT_EQ(registry.AddCollectedGauge("nofn", "N.", nullptr).code(),
            absl::StatusCode::kInvalidArgument);
}

TEST(Registry, CollectCallbackRunsWithoutTheLock) {
  Registry registry;
  int calls = 0;
  // The callback registers a family: were the Registry's lock held, this would deadlock.
  ASSERT_TRUE(registry
                  .AddCollectedGauge("calls", "Calls.",
                                     [&] {
                                       if (calls++ == 0) {
                                         EXPECT_TRUE(registry.AddGauge("added", "Added.").ok());
                                       }
                                       return static_cast<double>(calls);
                                     })
                  .ok());
  EXPECT_EQ(registry.Render(), "# HELP calls Calls.\n# TYPE calls gauge\ncalls 1\n");
  EXPECT_EQ(registry.Render(),
            "# HELP added Added.\n# TYPE added gauge\nadded 0\n"
            "# HELP calls Calls.\n# TYPE calls gauge\ncalls 2\n");
}

TEST(Registry, CollectedFamilyDropsBadSeries) {
  Registry registry;
  ASSERT_TRUE(
      registry
          .AddCollectedGaugeFamily(
              "c", "C.", {"a"},
              [] {
                return std::vector<LabeledValue>{{{"x"}, 1}, {{"x", "extra"}, 2}, {{"x"}, 3}};
              })
          .ok());
  EXPECT_EQ(registry.Render(), "# HELP c C.\n# TYPE c gauge\nc{a=\"x\"} 1\n");
}

TEST(Registry, UnregisterRemovesOnlyCollectedFamilies) {
  Registry registry;
  int calls = 0;
  ASSERT_TRUE(registry.AddCollectedCounter("c_total", "C.", [&] { return ++calls; }).ok());
  ASSERT_TRUE(registry.AddGauge("g", "G.").ok());
  EXPECT_FALSE(registry.Unregister("g"));
  EXPECT_FALSE(registry.Unregister("missing"));
  EXPECT_NE(registry.Render().find("c_total 1\n"), std::string::npos);
  EXPECT_TRUE(registry.Unregister("c_total"));
  EXPECT_EQ(registry.Render(), "# HELP g G.\n# TYPE g gauge\ng 0\n");
  EXPECT_EQ(calls, 1);
  // The name is free again.
  EXPECT_TRUE(registry.AddCollectedCounter("c_total", "C.", [] { return 9.0; }).ok());
}

TEST(Registry, UnregisterWaitsForARunningCallback) {
  Registry registry;
  absl::Notification entered, release;
  std::atomic<bool> callback_done{false};
  ASSERT_TRUE(registry
                  .AddCollectedGauge("slow", "Slow.",
                                     [&] {
                                       entered.Notify();
                                       release.WaitForNotification();
                                       callback_done = true;
                                       return 1.0;
                                     })
                  .ok());
  std::thread render([&] { registry.Render(); });
  entered.WaitForNotification();
  std::atomic<bool> saw_done{false};
  std::thread unregister([&] {
    EXPECT_TRUE(registry.Unregister("slow"));
    saw_done = callback_done.load();  // Unregister returned: the callback must have finished
  });
  release.Notify();
  unregister.join();
  render.join();
  EXPECT_TRUE(saw_done);
}

TEST(Registry, ConcurrentUpdatesAddUp) {
  Registry registry;
  Counter* total = *registry.AddCounter("total", "T.");
  CounterFamily* by_thread = *registry.AddCounterFamily("by_thread_total", "B.", {"thread"});
  Gauge* gauge = *registry.AddGauge("gauge", "G.");
  Summary* summary = *registry.AddSummary("summary", "S.");
  constexpr int kThreads = 4;
  constexpr int kIncrements = 50000;
  std::vector<std::thread> threads;
  std::atomic<bool> done{false};
  std::thread scraper([&] {
    while (!done) ASSERT_TRUE(ParsePrometheusText(registry.Render()).ok());
  });
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < kIncrements; ++i) {
        total->Inc();
        by_thread->WithLabelValues({std::to_string(t % 2)}).Add(2);
        gauge->Add(1);
        summary->Observe(1);
      }
    });
  }
  for (std::thread& t : threads) t.join();
  done = true;
  scraper.join();

  ParsedMetrics parsed = MustParse(registry.Render());
  EXPECT_EQ(parsed.Value("total"), kThreads * kIncrements);
  EXPECT_EQ(parsed.Value("by_thread_total", {{"thread", "0"}}), kThreads / 2 * kIncrements * 2);
  EXPECT_EQ(parsed.Value("by_thread_total", {{"thread", "1"}}), kThreads / 2 * kIncrements * 2);
  EXPECT_EQ(parsed.Value("gauge"), kThreads * kIncrements);
  EXPECT_EQ(parsed.Value("summary_count"), kThreads * kIncrements);
  EXPECT_EQ(parsed.Value("summary_sum"), kThreads * kIncrements);
}

TEST(Registry, CounterKeepsIntegersExact) {
  Counter counter;
  counter.Add(uint64_t{1} << 60);
  counter.Inc();
  EXPECT_EQ(counter.Value(), static_cast<double>((uint64_t{1} << 60) + 1));
  counter.Add(0.5);
  counter.Add(std::nan(""));
  EXPECT_EQ(counter.Value(), static_cast<double>((uint64_t{1} << 60) + 1) + 0.5);
}

TEST(ProcessMetrics, ReadFromProc) {
  Registry registry;
  ASSERT_TRUE(AddProcessMetrics(registry).ok());
  ParsedMetrics parsed = MustParse(registry.Render());
  const std::vector<std::pair<std::string, std::string>> want_types = {
      {"process_cpu_seconds_total", "counter"},
      {"process_max_fds", "gauge"},
      {"process_open_fds", "gauge"},
      {"process_resident_memory_bytes", "gauge"},
      {"process_start_time_seconds", "gauge"},
      {"process_virtual_memory_bytes", "gauge"},
      {"process_virtual_memory_max_bytes", "gauge"},
  };
  EXPECT_EQ(parsed.FamilyTypes(), want_types);
  EXPECT_GE(parsed.Value("process_cpu_seconds_total").value_or(-1), 0);
  EXPECT_GE(parsed.Value("process_open_fds").value_or(0), 3);  // stdin, stdout, stderr at least
  EXPECT_GE(parsed.Value("process_max_fds").value_or(0), parsed.Value("process_open_fds"));
  EXPECT_GT(parsed.Value("process_resident_memory_bytes").value_or(0), 1 << 20);
  EXPECT_GE(parsed.Value("process_virtual_memory_bytes").value_or(0),
            parsed.Value("process_resident_memory_bytes").value_or(0));
  const double now = absl::ToUnixSeconds(absl::Now());
  const double start = parsed.Value("process_start_time_seconds").value_or(0);
  EXPECT_LE(start, now + 5);
  EXPECT_GT(start, now - 24 * 3600);  // this test program started less than a day ago
  EXPECT_EQ(AddProcessMetrics(registry).code(), absl::StatusCode::kAlreadyExists);
}

}  // namespace
}  // namespace contour::metrics
