// Two electors competing through the fake API server over the real client, in real time with
// short durations (lease 2 s, renew deadline 1.5 s, retry 0.3 s). Nothing sleeps: the tests wait
// on conditions with generous deadlines. The callbacks record who leads, so that two leaders at
// once would be seen whatever the timing.
#include <algorithm>
#include <map>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "absl/synchronization/mutex.h"
#include "gtest/gtest.h"
#include "leadership/clock.h"
#include "leadership/leader_elector.h"
#include "leadership/lock.h"
#include "tests/support/client_for_fake.h"

namespace contour::leadership {
namespace {

using testing::FakeApiServer;

constexpr absl::Duration kDeadline = absl::Seconds(30);

enum class Kind { kConfigMap, kLease };

// Who leads, as the callbacks tell it.
class Leaders {
 public:
  LeaderCallbacks CallbacksFor(const std::string& identity) {
    LeaderCallbacks callbacks;
    callbacks.on_started_leading = [this, identity] {
      absl::MutexLock lock(&mu_);
      if (!leading_.empty()) overlap_ = true;
      leading_.push_back(identity);
      started_.push_back(identity);
    };
    callbacks.on_stopped_leading = [this, identity] {
      absl::MutexLock lock(&mu_);
      std::erase(leading_, identity);
    };
    return callbacks;
  }

  // Waits until exactly one leads; returns it ("" on timeout).
  std::string AwaitOne() {
    absl::MutexLock lock(&mu_);
    auto one = [this]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) { return leading_.size() == 1; };
    if (!mu_.AwaitWithTimeout(absl::Condition(&one), kDeadline)) return "";
    return leading_.front();
  }
  bool AwaitNone() {
    absl::MutexLock lock(&mu_);
    auto none = [this]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) { return leading_.empty(); };
    return mu_.AwaitWithTimeout(absl::Condition(&none), kDeadline);
  }
  // Waits until `identity` has started leading `times` times in all.
  bool AwaitStarted(const std::string& identity, int times = 1) {
    absl::MutexLock lock(&mu_);
    auto started = [&]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
      return std::count(started_.begin(), started_.end(), identity) >= times;
    };
    return mu_.AwaitWithTimeout(absl::Condition(&started), kDeadline);
  }
  bool overlap() const {
    absl::MutexLock lock(&mu_);
    return overlap_;
  }

 private:
  mutable absl::Mutex mu_;
  std::vector<std::string> leading_ ABSL_GUARDED_BY(mu_);
  std::vector<std::string> started_ ABSL_GUARDED_BY(mu_);
  bool overlap_ ABSL_GUARDED_BY(mu_) = false;
};

class ElectionTest : public ::testing::TestWithParam<Kind> {
 protected:
  struct Candidate {
    std::unique_ptr<k8s::CurlApiClient> client;
    std::unique_ptr<Lock> lock;
    std::unique_ptr<LeaderElector> elector;
    std::jthread thread;
  };

  void SetUp() override {
    testing::FakeAndClient made = testing::StartFakeWithClient();
    ASSERT_NE(made.client, nullptr);
    server_ = std::move(made.server);
  }
  void TearDown() override {
    // Stop the electors before the server goes.
    for (auto& [identity, candidate] : candidates_) Stop(identity);
  }

  void Start(const std::string& identity, bool release_on_cancel = true) {
    Candidate& candidate = candidates_[identity];
    k8s::RestConfig config;
    config.server = server_->url();
    absl::StatusOr<std::unique_ptr<k8s::CurlApiClient>> client = k8s::CurlApiClient::Create(config);
    ASSERT_TRUE(client.ok()) << client.status();
    candidate.client = *std::move(client);
    candidate.lock =
        GetParam() == Kind::kConfigMap
            ? MakeConfigMapLock(*candidate.client, "heptio-contour", "contour", identity)
            : MakeLeaseLock(*candidate.client, "heptio-contour", "contour", identity);
    ElectorConfig elector_config;
    elector_config.lease_duration = absl::Seconds(2);
    elector_config.renew_deadline = absl::Milliseconds(1500);
    elector_config.retry_period = absl::Milliseconds(300);
    elector_config.release_on_cancel = release_on_cancel;
    absl::StatusOr<std::unique_ptr<LeaderElector>> elector = LeaderElector::Create(
        *candidate.lock, clock_, elector_config, leaders_.CallbacksFor(identity));
    ASSERT_TRUE(elector.ok()) << elector.status();
    candidate.elector = *std::move(elector);
    LeaderElector* running = candidate.elector.get();
    candidate.thread = std::jthread([running](std::stop_token stop) { running->Run(stop); });
  }

  // Stops the candidate's loop and waits for it (Run releases on the way out, if told to).
  void Stop(const std::string& identity) {
    Candidate& candidate = candidates_[identity];
    if (candidate.thread.joinable()) {
      candidate.thread.request_stop();
      candidate.thread.join();
    }
  }

  LeaderElectionRecord StoredRecord() const {
    std::optional<nlohmann::json> object =
        GetParam() == Kind::kConfigMap
            ? server_->Get("v1", "ConfigMap", "heptio-contour", "contour")
            : server_->Get("coordination.k8s.io/v1", "Lease", "heptio-contour", "contour");
    EXPECT_TRUE(object.has_value());
    if (!object.has_value()) return {};
    absl::StatusOr<LeaderElectionRecord> record = RecordIn(*object);
    EXPECT_TRUE(record.ok()) << record.status();
    return record.ok() ? *record : LeaderElectionRecord{};
  }

  absl::StatusOr<LeaderElectionRecord> RecordIn(const nlohmann::json& object) const {
    if (GetParam() == Kind::kConfigMap) {
      const nlohmann::json& annotations = object["metadata"]["annotations"];
      if (!annotations.is_object() || !annotations.contains(kLeaderAnnotation)) {
        return absl::NotFoundError("no record");
      }
      return DecodeConfigMapRecord(annotations[kLeaderAnnotation].get<std::string>());
    }
    return DecodeLeaseSpec(object.contains("spec") ? object["spec"] : nlohmann::json());
  }

  // Whether some write carried a released record (no holder, a one-second lease).
  bool SawRelease() const {
    for (const FakeApiServer::RequestRecord& request : server_->Requests()) {
      if (request.method != "PUT") continue;
      const nlohmann::json body = nlohmann::json::parse(request.body, nullptr, false);
      if (!body.is_object()) continue;
      absl::StatusOr<LeaderElectionRecord> record = RecordIn(body);
      if (record.ok() && record->holder_identity.empty() && record->lease_duration_seconds == 1) {
        return true;
      }
    }
    return false;
  }

  std::unique_ptr<FakeApiServer> server_;
  RealClock clock_;
  Leaders leaders_;
  std::map<std::string, Candidate> candidates_;
};

TEST_P(ElectionTest, OneLeadsAndAGracefulStopHandsOver) {
  Start("contour-a");
  Start("contour-b");
  const std::string first = leaders_.AwaitOne();
  ASSERT_FALSE(first.empty()) << "nobody became leader";
  const std::string second = first == "contour-a" ? "contour-b" : "contour-a";
  EXPECT_TRUE(candidates_[first].elector->IsLeader());
  EXPECT_FALSE(candidates_[second].elector->IsLeader());
  EXPECT_EQ(StoredRecord().holder_identity, first);

  Stop(first);
  EXPECT_FALSE(candidates_[first].elector->IsLeader());
  EXPECT_TRUE(SawRelease());
  ASSERT_TRUE(leaders_.AwaitStarted(second)) << "the other did not take over";
  EXPECT_EQ(leaders_.AwaitOne(), second);
  const LeaderElectionRecord record = StoredRecord();
  EXPECT_EQ(record.holder_identity, second);
  EXPECT_EQ(record.leader_transitions, 1);  // created by the first, taken by the second
  EXPECT_EQ(candidates_[second].elector->leader(), second);
  EXPECT_FALSE(leaders_.overlap());
}

TEST_P(ElectionTest, ALeaderThatVanishesIsReplacedAfterItsLease) {
  Start("contour-a", /*release_on_cancel=*/false);
  ASSERT_EQ(leaders_.AwaitOne(), "contour-a");
  Start("contour-b");
  Stop("contour-a");  // as if killed: the record stays
  EXPECT_FALSE(SawRelease());
  ASSERT_TRUE(leaders_.AwaitStarted("contour-b"));
  EXPECT_EQ(StoredRecord().holder_identity, "contour-b");
  EXPECT_FALSE(leaders_.overlap());
}

TEST_P(ElectionTest, AStalledServerDeposesTheLeaderWhichComesBackAfter) {
  Start("contour-a");
  Start("contour-b");
  const std::string first = leaders_.AwaitOne();
  ASSERT_FALSE(first.empty());
  server_->SetStalled(true);
  // Every call hangs until its timeout; the leader must stop by its renew deadline.
  EXPECT_TRUE(leaders_.AwaitNone()) << "the leader kept leading without renewing";
  server_->SetStalled(false);
  EXPECT_FALSE(leaders_.AwaitOne().empty()) << "nobody leads after the server recovered";
  EXPECT_FALSE(leaders_.overlap());
  EXPECT_GE(candidates_[first].elector->stats().stopped_leading, 1u);
}

INSTANTIATE_TEST_SUITE_P(Kinds, ElectionTest, ::testing::Values(Kind::kConfigMap, Kind::kLease),
                         [](const ::testing::TestParamInfo<Kind>& info) {
                           return info.param == Kind::kConfigMap ? "ConfigMap" : "Lease";
                         });

}  // namespace
}  // namespace contour::leadership
