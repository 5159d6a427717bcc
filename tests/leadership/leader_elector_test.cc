// client-go's election algorithm, step by step on fake clocks and an in-memory lock: nothing here
// waits for real time. The lock store behaves as the API server does for one object (a new
// resourceVersion for each write that changes it, 409 for a write at an old one), and records
// as a ConfigMap lock does (in whole seconds).
#include "leadership/leader_elector.h"

#include <algorithm>
#include <functional>
#include <memory>
#include <random>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "gtest/gtest.h"

namespace contour::leadership {
namespace {

constexpr absl::Duration kMs = absl::Milliseconds(1);

struct FakeStore {
  bool exists = false;
  LeaderElectionRecord record;
  std::string raw;
  uint64_t version = 0;

  // A write by anyone: a new version only when something changed, as on the server.
  void Put(const LeaderElectionRecord& next) {
    const std::string next_raw = EncodeConfigMapRecord(next);
    if (!exists || next_raw != raw) ++version;
    exists = true;
    record = next;
    raw = next_raw;
  }
  LockState State() const { return {record, raw, absl::StrCat(version)}; }
};

class FakeLock final : public Lock {
 public:
  FakeLock(FakeStore& store, std::string identity)
      : store_(store), identity_(std::move(identity)) {}

  absl::StatusOr<std::optional<LockState>> Get(absl::Duration timeout) override {
    ++gets;
    if (absl::Status status = Begin("get", timeout); !status.ok()) return status;
    if (!store_.exists) return std::nullopt;
    return store_.State();
  }
  absl::StatusOr<LockState> Create(const LeaderElectionRecord& record,
                                   absl::Duration timeout) override {
    ++creates;
    if (absl::Status status = Begin("create", timeout); !status.ok()) return status;
    if (store_.exists) return absl::AlreadyExistsError("exists");
    store_.Put(record);
    return store_.State();
  }
  absl::StatusOr<LockState> Update(const LeaderElectionRecord& record,
                                   std::string_view resource_version,
                                   absl::Duration timeout) override {
    ++updates;
    if (absl::Status status = Begin("update", timeout); !status.ok()) return status;
    if (!store_.exists) return absl::NotFoundError("gone");
    if (resource_version != absl::StrCat(store_.version)) return absl::AbortedError("conflict");
    store_.Put(record);
    return store_.State();
  }
  std::string Describe() const override { return "fake lock"; }
  const std::string& identity() const override { return identity_; }

  // While down every call fails, as against an unreachable server.
  bool down = false;
  // Runs first in every call (with "get", "create" or "update"): to move a clock as a slow call
  // would, or to write before us; an error is the call's.
  std::function<absl::Status(std::string_view call, absl::Duration timeout)> before;
  std::vector<absl::Duration> timeouts;
  int gets = 0, creates = 0, updates = 0;

 private:
  absl::Status Begin(std::string_view call, absl::Duration timeout) {
    timeouts.push_back(timeout);
    if (timeout <= absl::ZeroDuration()) return absl::DeadlineExceededError("no time left");
    if (before) {
      if (absl::Status status = before(call, timeout); !status.ok()) return status;
    }
    if (down) return absl::UnavailableError("down");
    return absl::OkStatus();
  }

  FakeStore& store_;
  const std::string identity_;
};

ElectorConfig Config(absl::Duration lease = absl::Seconds(15),
                     absl::Duration renew = absl::Seconds(10),
                     absl::Duration retry = absl::Seconds(2)) {
  ElectorConfig config;
  config.lease_duration = lease;
  config.renew_deadline = renew;
  config.retry_period = retry;
  config.seed = 1;
  return config;
}

// One candidate: its lock, its elector and what its callbacks saw.
struct Member {
  Member(FakeStore& store, Clock& clock, const std::string& identity,
         ElectorConfig config = Config())
      : lock(store, identity) {
    LeaderCallbacks callbacks;
    callbacks.on_started_leading = [this] {
      events.push_back("started");
      if (on_started) on_started();
    };
    callbacks.on_stopped_leading = [this] {
      events.push_back("stopped");
      if (on_stopped) on_stopped();
    };
    callbacks.on_new_leader = [this](const std::string& leader) {
      events.push_back("leader " + leader);
    };
    absl::StatusOr<std::unique_ptr<LeaderElector>> made =
        LeaderElector::Create(lock, clock, config, std::move(callbacks));
    EXPECT_TRUE(made.ok()) << made.status();
    if (made.ok()) elector = *std::move(made);
  }

  FakeLock lock;
  std::unique_ptr<LeaderElector> elector;
  std::vector<std::string> events;
  std::function<void()> on_started;
  std::function<void()> on_stopped;
};

LeaderElectionRecord Held(const std::string& holder, int lease_seconds, absl::Time renew,
                          int transitions = 3) {
  return {holder, lease_seconds, renew - absl::Minutes(5), renew, transitions};
}

TEST(ElectorConfigTest, ClientGosRules) {
  struct Case {
    const char* name;
    ElectorConfig config;
    bool ok;
  };
  const Case cases[] = {
      {"defaults", ElectorConfig{}, true},
      {"short, for tests", Config(absl::Seconds(2), absl::Milliseconds(1500), 300 * kMs), true},
      {"lease equals renew deadline", Config(absl::Seconds(10), absl::Seconds(10)), false},
      {"lease below renew deadline", Config(absl::Seconds(5), absl::Seconds(10)), false},
      {"renew deadline equals 1.2 x retry",
       Config(absl::Seconds(15), absl::Milliseconds(2400), absl::Seconds(2)), false},
      {"renew deadline just above 1.2 x retry",
       Config(absl::Seconds(15), absl::Milliseconds(2401), absl::Seconds(2)), true},
      {"zero retry", Config(absl::Seconds(15), absl::Seconds(10), absl::ZeroDuration()), false},
      {"negative renew", Config(absl::Seconds(15), -absl::Seconds(1)), false},
      {"lease recorded as 2 s, not above 2.2 s",
       Config(absl::Milliseconds(2500), absl::Milliseconds(2200), absl::Seconds(1)), false},
      {"lease under a second", Config(absl::Milliseconds(900), absl::Milliseconds(500), 100 * kMs),
       false},
  };
  for (const Case& c : cases) {
    EXPECT_EQ(ValidateElectorConfig(c.config).ok(), c.ok) << c.name;
    FakeStore store;
    FakeClock clock;
    FakeLock lock(store, "a");
    EXPECT_EQ(LeaderElector::Create(lock, clock, c.config, {}).ok(), c.ok) << c.name;
  }
  FakeStore store;
  FakeClock clock;
  FakeLock nameless(store, "");
  EXPECT_FALSE(LeaderElector::Create(nameless, clock, Config(), {}).ok());
}

TEST(LeaderElectorTest, AcquiresAnAbsentLockByCreatingIt) {
  FakeStore store;
  FakeClock clock;
  Member a(store, clock, "a");
  EXPECT_TRUE(a.elector->TryAcquireOrRenew(absl::Seconds(5)));
  EXPECT_EQ(store.record, (LeaderElectionRecord{"a", 15, clock.Now(), clock.Now(), 0}));
  EXPECT_EQ(a.lock.creates, 1);
  EXPECT_EQ(a.elector->leader(), "a");
  EXPECT_FALSE(a.elector->IsLeader());  // only Tick starts leading
  EXPECT_TRUE(a.events.empty());
}

TEST(LeaderElectorTest, RenewsOverItsOwnRecordKeepingAcquireTime) {
  FakeStore store;
  FakeClock clock;
  Member a(store, clock, "a");
  const absl::Time acquired = clock.Now();
  ASSERT_TRUE(a.elector->TryAcquireOrRenew(absl::Seconds(5)));
  const int gets = a.lock.gets;
  for (int i = 1; i <= 3; ++i) {
    clock.Advance(absl::Seconds(2));
    EXPECT_TRUE(a.elector->TryAcquireOrRenew(absl::Seconds(5)));
    EXPECT_EQ(store.record, (LeaderElectionRecord{"a", 15, acquired, clock.Now(), 0}));
  }
  // The fast path: a holder writes over what it wrote, without reading first.
  EXPECT_EQ(a.lock.gets, gets);
  EXPECT_EQ(a.lock.updates, 3);
}

TEST(LeaderElectorTest, TakesAnObjectWithoutRecordAtOnce) {
  // A ConfigMap that exists without the annotation (Contour's holds contour.yaml).
  FakeStore store;
  store.exists = true;
  store.version = 7;
  FakeClock clock;
  Member a(store, clock, "a");
  EXPECT_TRUE(a.elector->TryAcquireOrRenew(absl::Seconds(5)));
  EXPECT_EQ(store.record, (LeaderElectionRecord{"a", 15, clock.Now(), clock.Now(), 1}));
}

// A candidate takes a held record only after a full lease of its own observed time, the lease
// the holder wrote, whatever the record's timestamps say.
TEST(LeaderElectorTest, TakesOverOnlyAfterAFullObservedLease) {
  struct Case {
    const char* name;
    std::string holder;
    int lease_seconds;                  // in the holder's record
    absl::Duration renewed_before_now;  // the record's renewTime, relative to the candidate
    absl::Duration wait;                // how long the candidate must watch it unchanged
  };
  const Case cases[] = {
      {"expired-looking record", "b", 15, absl::Hours(1), absl::Seconds(15)},
      {"renewTime in the future", "b", 15, -absl::Hours(1), absl::Seconds(15)},
      {"just renewed", "b", 15, absl::ZeroDuration(), absl::Seconds(15)},
      {"holder's longer lease (k8s#114872)", "b", 60, absl::Hours(1), absl::Seconds(60)},
      {"holder's shorter lease", "b", 5, absl::Hours(1), absl::Seconds(5)},
      {"released", "", 1, absl::ZeroDuration(), absl::ZeroDuration()},
      {"nobody, long lease", "", 60, absl::ZeroDuration(), absl::ZeroDuration()},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.name);
    FakeStore store;
    FakeClock clock;
    store.Put(Held(c.holder, c.lease_seconds, clock.Now() - c.renewed_before_now));
    const LeaderElectionRecord before = store.record;
    Member a(store, clock, "a");  // configured with a 15 s lease
    if (c.wait > absl::ZeroDuration()) {
      EXPECT_FALSE(a.elector->TryAcquireOrRenew(absl::Seconds(5)));
      EXPECT_EQ(a.elector->leader(), c.holder);
      clock.Advance(c.wait - kMs);
      EXPECT_FALSE(a.elector->TryAcquireOrRenew(absl::Seconds(5)));
      EXPECT_EQ(store.record, before);
      clock.Advance(kMs);
    }
    EXPECT_TRUE(a.elector->TryAcquireOrRenew(absl::Seconds(5)));
    EXPECT_EQ(store.record, (LeaderElectionRecord{"a", 15, clock.Now(), clock.Now(),
                                                  before.leader_transitions + 1}));
    EXPECT_EQ(a.elector->leader(), "a");
  }
}

TEST(LeaderElectorTest, AChangedRecordRestartsTheWait) {
  FakeStore store;
  FakeClock clock;
  store.Put(Held("b", 15, clock.Now()));
  Member a(store, clock, "a");
  EXPECT_FALSE(a.elector->TryAcquireOrRenew(absl::Seconds(5)));

  clock.Advance(absl::Seconds(10));
  store.Put(Held("b", 15, clock.Now()));  // b renews
  EXPECT_FALSE(a.elector->TryAcquireOrRenew(absl::Seconds(5)));

  // A change elsewhere in the object (a new resourceVersion, the same record) is no renewal.
  clock.Advance(absl::Seconds(5));
  ++store.version;
  EXPECT_FALSE(a.elector->TryAcquireOrRenew(absl::Seconds(5)));

  clock.Advance(absl::Seconds(10) - kMs);  // 15 s after the renewal was seen, less 1 ms
  EXPECT_FALSE(a.elector->TryAcquireOrRenew(absl::Seconds(5)));
  clock.Advance(kMs);
  EXPECT_TRUE(a.elector->TryAcquireOrRenew(absl::Seconds(5)));
  EXPECT_EQ(store.record.holder_identity, "a");
  EXPECT_EQ(store.record.leader_transitions, 4);
}

TEST(LeaderElectorTest, AConflictOnTheWriteLoses) {
  FakeStore store;
  FakeClock clock;
  store.Put(Held("b", 15, clock.Now()));
  Member a(store, clock, "a");
  EXPECT_FALSE(a.elector->TryAcquireOrRenew(absl::Seconds(5)));
  clock.Advance(absl::Seconds(15));
  // b renews between a's read and a's write.
  a.lock.before = [&](std::string_view call, absl::Duration) {
    if (call == "update") store.Put(Held("b", 15, clock.Now()));
    return absl::OkStatus();
  };
  EXPECT_FALSE(a.elector->TryAcquireOrRenew(absl::Seconds(5)));
  a.lock.before = nullptr;
  EXPECT_EQ(store.record.holder_identity, "b");
  EXPECT_EQ(a.elector->stats().conflicts, 1u);
  // And the renewal it lost to restarts its wait.
  clock.Advance(absl::Seconds(1));
  EXPECT_FALSE(a.elector->TryAcquireOrRenew(absl::Seconds(5)));
  EXPECT_EQ(a.elector->leader(), "b");
}

TEST(LeaderElectorTest, ARacingCreateLoses) {
  FakeStore store;
  FakeClock clock;
  Member a(store, clock, "a");
  a.lock.before = [&](std::string_view call, absl::Duration) {
    if (call == "create") store.Put(Held("b", 15, clock.Now(), 0));
    return absl::OkStatus();
  };
  EXPECT_FALSE(a.elector->TryAcquireOrRenew(absl::Seconds(5)));
  EXPECT_EQ(store.record.holder_identity, "b");
  EXPECT_EQ(a.elector->stats().conflicts, 1u);
}

TEST(LeaderElectorTest, TickStartsLeadingAndReportsLeaders) {
  FakeStore store;
  FakeClock clock;
  store.Put(Held("b", 15, clock.Now()));
  Member a(store, clock, "a");
  a.elector->Tick();
  EXPECT_EQ(a.events, (std::vector<std::string>{"leader b"}));
  EXPECT_FALSE(a.elector->IsLeader());
  clock.Advance(absl::Seconds(15));
  EXPECT_EQ(a.elector->Tick(), absl::Seconds(2));  // a leader renews every retry period
  EXPECT_EQ(a.events, (std::vector<std::string>{"leader b", "leader a", "started"}));
  EXPECT_TRUE(a.elector->IsLeader());
  EXPECT_TRUE(a.elector->WaitForLeading(true, absl::ZeroDuration()));
  clock.Advance(absl::Seconds(2));
  EXPECT_EQ(a.elector->Tick(), absl::Seconds(2));
  const ElectorStats stats = a.elector->stats();
  EXPECT_EQ(stats.started_leading, 1u);
  EXPECT_EQ(stats.renewals, 1u);
  EXPECT_EQ(stats.leader_changes, 2u);
  EXPECT_EQ(stats.last_renew_latency, absl::ZeroDuration());
}

TEST(LeaderElectorTest, CandidatesRetryWithClientGosJitter) {
  FakeStore store;
  FakeClock clock;
  store.Put(Held("b", 3600, clock.Now()));
  Member a(store, clock, "a");
  absl::Duration low = absl::InfiniteDuration(), high = absl::ZeroDuration();
  for (int i = 0; i < 200; ++i) {
    const absl::Duration wait = a.elector->Tick();
    low = std::min(low, wait);
    high = std::max(high, wait);
    clock.Advance(wait);
  }
  // retry_period × [1, 2.2), spread over the range.
  EXPECT_GE(low, absl::Seconds(2));
  EXPECT_LT(high, absl::Milliseconds(4400));
  EXPECT_LT(low, absl::Milliseconds(2200));
  EXPECT_GT(high, absl::Milliseconds(4200));
}

// Drives members that share a store, each on its own fake clock (their wall clocks may differ),
// Tick by Tick in the order their waits say; time passes for all alike. After every step it
// checks that no two live members lead at once.
class Simulation {
 public:
  explicit Simulation(FakeStore& store) : store_(store) {}

  Member& Add(const std::string& identity, ElectorConfig config = Config(),
              absl::Duration wall_skew = absl::ZeroDuration()) {
    auto node = std::make_unique<Node>();
    node->clock.Advance(now_);
    node->clock.JumpWall(wall_skew);
    node->member = std::make_unique<Member>(store_, node->clock, identity, config);
    node->next = now_;
    Member& member = *node->member;
    member.on_started = [this, &member] { started_.emplace_back(now_, &member); };
    member.on_stopped = [this, &member] { stopped_.emplace_back(now_, &member); };
    nodes_.push_back(std::move(node));
    return member;
  }
  // The member stops ticking and acting (a crash: nothing released).
  void Kill(const Member& member) {
    for (auto& node : nodes_) {
      if (node->member.get() == &member) node->alive = false;
    }
  }
  FakeClock& ClockOf(const Member& member) {
    for (auto& node : nodes_) {
      if (node->member.get() == &member) return node->clock;
    }
    ADD_FAILURE() << "no such member";
    return nodes_.front()->clock;
  }

  // One Tick of the member due first.
  void Step() {
    Node* due = nullptr;
    for (auto& node : nodes_) {
      if (node->alive && (due == nullptr || node->next < due->next)) due = node.get();
    }
    ASSERT_NE(due, nullptr);
    AdvanceTo(due->next);
    due->next = now_ + due->member->elector->Tick();
    int leaders = 0;
    for (auto& node : nodes_) leaders += node->alive && node->member->elector->IsLeader();
    ASSERT_LE(leaders, 1) << "two leaders at " << now_;
    max_leaders_ = std::max(max_leaders_, leaders);
  }
  void RunUntil(absl::Duration end) {
    while (!::testing::Test::HasFatalFailure()) {
      absl::Duration next = absl::InfiniteDuration();
      for (auto& node : nodes_) {
        if (node->alive) next = std::min(next, node->next);
      }
      if (next > end) break;
      Step();
    }
    AdvanceTo(end);
  }
  Member* Leader() const {
    for (auto& node : nodes_) {
      if (node->alive && node->member->elector->IsLeader()) return node->member.get();
    }
    return nullptr;
  }

  absl::Duration now() const { return now_; }
  // When each member started and stopped leading, in order.
  const std::vector<std::pair<absl::Duration, const Member*>>& started() const { return started_; }
  const std::vector<std::pair<absl::Duration, const Member*>>& stopped() const { return stopped_; }

 private:
  struct Node {
    FakeClock clock;
    std::unique_ptr<Member> member;
    absl::Duration next;
    bool alive = true;
  };
  void AdvanceTo(absl::Duration t) {
    if (t <= now_) return;
    for (auto& node : nodes_) node->clock.Advance(t - now_);
    now_ = t;
  }

  FakeStore& store_;
  std::vector<std::unique_ptr<Node>> nodes_;
  absl::Duration now_;
  int max_leaders_ = 0;
  std::vector<std::pair<absl::Duration, const Member*>> started_;
  std::vector<std::pair<absl::Duration, const Member*>> stopped_;
};

TEST(LeaderElectorTest, GivesUpAtTheRenewDeadlineBeforeAnyoneCanTakeOver) {
  FakeStore store;
  Simulation sim(store);
  Member& a = sim.Add("a");
  Member& b = sim.Add("b");
  sim.Step();  // a takes the lock at 0
  sim.Step();  // b sees it at 0
  ASSERT_EQ(sim.Leader(), &a);
  a.lock.down = true;  // a can no longer reach the server; b can
  sim.RunUntil(absl::Seconds(30));
  ASSERT_EQ(sim.stopped().size(), 1u);
  EXPECT_EQ(sim.stopped()[0], std::make_pair(absl::Seconds(10), static_cast<const Member*>(&a)));
  ASSERT_EQ(sim.started().size(), 2u);
  EXPECT_EQ(sim.started()[1].second, &b);
  EXPECT_GE(sim.started()[1].first, absl::Seconds(15));
  EXPECT_LT(sim.started()[1].first, absl::Seconds(15) + absl::Milliseconds(4400));
  EXPECT_EQ(a.events, (std::vector<std::string>{"leader a", "started", "stopped"}));
  EXPECT_EQ(store.record.holder_identity, "b");
  EXPECT_EQ(store.record.leader_transitions, 1);
}

TEST(LeaderElectorTest, ASlowServerCannotCarryALeaderPastItsDeadline) {
  FakeStore store;
  FakeClock clock;
  Member a(store, clock, "a");
  const absl::Time start = clock.MonotonicNow();
  absl::Duration wait = a.elector->Tick();
  ASSERT_TRUE(a.elector->IsLeader());
  // Every call now hangs until its timeout.
  a.lock.before = [&](std::string_view, absl::Duration timeout) {
    clock.Advance(timeout);
    return absl::DeadlineExceededError("timed out");
  };
  while (a.elector->IsLeader()) {
    clock.Advance(wait);
    ASSERT_LE(clock.MonotonicNow() - start, absl::Seconds(10));
    wait = a.elector->Tick();
  }
  EXPECT_EQ(clock.MonotonicNow() - start, absl::Seconds(10));
  for (absl::Duration timeout : a.lock.timeouts) {
    EXPECT_LE(timeout, a.elector->call_timeout());
  }
  EXPECT_EQ(a.elector->call_timeout(), absl::Seconds(5));
}

TEST(LeaderElectorTest, TheLastWaitEndsAtTheDeadline) {
  FakeStore store;
  FakeClock clock;
  Member a(store, clock, "a");
  const absl::Time start = clock.MonotonicNow();
  clock.Advance(a.elector->Tick());
  // A slow renewal: it starts at 2 s and answers at 2.7 s, so the retries fall at x.7 s.
  a.lock.before = [&](std::string_view, absl::Duration) {
    clock.Advance(absl::Milliseconds(700));
    return absl::OkStatus();
  };
  clock.Advance(a.elector->Tick());
  a.lock.before = nullptr;
  a.lock.down = true;
  absl::Time stopped = absl::InfiniteFuture();
  a.on_stopped = [&] { stopped = clock.MonotonicNow(); };
  while (a.elector->IsLeader()) clock.Advance(a.elector->Tick());
  // 10 s after the start of the last renewal, not at the next retry after that.
  EXPECT_EQ(stopped - start, absl::Seconds(12));
}

TEST(LeaderElectorTest, NothingIsReportedBeforeARecordIsSeen) {
  FakeStore store;
  FakeClock clock;
  Member a(store, clock, "a");
  a.lock.down = true;
  a.elector->Tick();
  EXPECT_TRUE(a.events.empty());
  EXPECT_EQ(a.elector->stats().errors, 1u);
}

TEST(LeaderElectorTest, StopsAtOnceWhenAnotherHoldsTheLock) {
  FakeStore store;
  FakeClock clock;
  Member a(store, clock, "a");
  a.elector->Tick();
  ASSERT_TRUE(a.elector->IsLeader());
  clock.Advance(absl::Seconds(2));
  store.Put(Held("b", 15, clock.Now()));  // say, an operator edited the record
  a.elector->Tick();
  EXPECT_FALSE(a.elector->IsLeader());
  EXPECT_EQ(a.events, (std::vector<std::string>{"leader a", "started", "leader b", "stopped"}));
  EXPECT_EQ(a.elector->stats().conflicts, 1u);
  EXPECT_EQ(store.record.holder_identity, "b");
}

TEST(LeaderElectorTest, RenewalsOthersCannotSeeDoNotExtendTheDeadline) {
  // Records are compared in whole seconds (the ConfigMap lock's, and Go clients compare Lease
  // records that way too): renewals within the second of the last one are invisible.
  FakeStore store;
  Simulation sim(store);
  const ElectorConfig config = Config(absl::Seconds(2), absl::Milliseconds(1500), 300 * kMs);
  Member& a = sim.Add("a", config);
  Member& b = sim.Add("b", config);
  // Both wall clocks at hh:mm:ss.100.
  sim.ClockOf(a).JumpWall(absl::Milliseconds(100));
  sim.ClockOf(b).JumpWall(absl::Milliseconds(100));
  sim.Step();  // a takes it at 0 (wall .100)
  sim.Step();  // b sees it at 0
  const uint64_t version = store.version;
  // a renews at 0.3 and 0.6 (wall .400, .700): the same record, in seconds.
  sim.RunUntil(absl::Milliseconds(650));
  EXPECT_EQ(a.elector->stats().renewals, 2u);
  EXPECT_EQ(store.version, version);
  a.lock.down = true;
  sim.RunUntil(absl::Seconds(5));
  ASSERT_FALSE(sim.stopped().empty());
  // From the write at 0 that others saw, not from the renewal at 0.6.
  EXPECT_EQ(sim.stopped()[0],
            std::make_pair(absl::Milliseconds(1500), static_cast<const Member*>(&a)));
  EXPECT_EQ(sim.Leader(), &b);
}

TEST(LeaderElectorTest, WallClockJumpsChangeNothing) {
  FakeStore store;
  Simulation sim(store);
  Member& a = sim.Add("a");
  Member& b = sim.Add("b", Config(), absl::Hours(3));  // skewed from the start
  sim.RunUntil(absl::Seconds(20));
  ASSERT_EQ(sim.Leader(), &a);
  const absl::Time renewed_before_jump = store.record.renew_time;
  // The candidate's clock leaps ahead (its view of renewTime says the lease ran out long ago);
  // the leader's steps back (it writes renewTimes older than before).
  sim.ClockOf(b).JumpWall(absl::Hours(24));
  sim.ClockOf(a).JumpWall(-absl::Hours(1));
  sim.RunUntil(absl::Seconds(120));
  EXPECT_EQ(sim.Leader(), &a);
  EXPECT_EQ(sim.started().size(), 1u);
  EXPECT_EQ(b.elector->stats().started_leading, 0u);
  // The record shows the leader's stepped clock: renewTime went back, and that counted as a
  // renewal for b all the same.
  EXPECT_LT(store.record.renew_time, renewed_before_jump);

  // A leader whose wall clock leaps still gives up exactly at its deadline.
  a.lock.down = true;
  const absl::Duration cut = sim.now();
  sim.ClockOf(a).JumpWall(absl::Hours(48));
  sim.RunUntil(cut + absl::Seconds(40));
  ASSERT_EQ(sim.stopped().size(), 1u);
  EXPECT_LE(sim.stopped()[0].first, cut + absl::Seconds(10));
  EXPECT_EQ(sim.Leader(), &b);
}

TEST(LeaderElectorTest, LeaveStopsLeadingThenReleases) {
  FakeStore store;
  FakeClock clock;
  Member a(store, clock, "a");
  Member b(store, clock, "b");
  a.elector->Tick();
  b.elector->Tick();
  ASSERT_TRUE(a.elector->IsLeader());
  clock.Advance(absl::Seconds(3));
  std::string holder_when_stopped;
  a.on_stopped = [&] { holder_when_stopped = store.record.holder_identity; };
  a.elector->Leave();
  EXPECT_FALSE(a.elector->IsLeader());
  // The guarded work stopped before the lock was let go.
  EXPECT_EQ(holder_when_stopped, "a");
  EXPECT_EQ(store.record, (LeaderElectionRecord{"", 1, clock.Now(), clock.Now(), 0}));
  EXPECT_EQ(a.elector->stats().releases, 1u);
  // b takes it at its next attempt, not a lease later.
  EXPECT_TRUE(b.elector->TryAcquireOrRenew(absl::Seconds(5)));
  EXPECT_EQ(store.record.holder_identity, "b");
  EXPECT_EQ(store.record.leader_transitions, 1);
}

TEST(LeaderElectorTest, LeaveWithoutReleaseKeepsTheRecord) {
  FakeStore store;
  FakeClock clock;
  ElectorConfig config = Config();
  config.release_on_cancel = false;
  Member a(store, clock, "a", config);
  a.elector->Tick();
  const LeaderElectionRecord held = store.record;
  a.elector->Leave();
  EXPECT_FALSE(a.elector->IsLeader());
  EXPECT_EQ(a.events.back(), "stopped");
  EXPECT_EQ(store.record, held);
}

TEST(LeaderElectorTest, LeaveLeavesOthersRecordsAlone) {
  FakeStore store;
  FakeClock clock;
  store.Put(Held("b", 15, clock.Now()));
  Member a(store, clock, "a");
  a.elector->Tick();
  const uint64_t version = store.version;
  a.elector->Leave();
  EXPECT_EQ(store.version, version);
  EXPECT_EQ(a.lock.updates, 0);
  EXPECT_EQ(std::count(a.events.begin(), a.events.end(), "stopped"), 0);
}

TEST(LeaderElectorTest, ReleaseRetriesAConflict) {
  FakeStore store;
  FakeClock clock;
  Member a(store, clock, "a");
  a.elector->Tick();
  clock.Advance(absl::Seconds(2));
  // A renewal of a's, sent before the stop and applied late, lands first.
  bool raced = false;
  a.lock.before = [&](std::string_view call, absl::Duration) {
    if (call == "update" && !raced) {
      raced = true;
      store.Put(Held("a", 15, clock.Now() + absl::Seconds(1), 0));
    }
    return absl::OkStatus();
  };
  EXPECT_TRUE(a.elector->Release(absl::Seconds(5)));
  EXPECT_EQ(store.record.holder_identity, "");
  EXPECT_EQ(a.elector->stats().conflicts, 1u);
}

TEST(LeaderElectorTest, EveryCallIsBoundedBelowTheRenewDeadline) {
  FakeStore store;
  Simulation sim(store);
  std::vector<Member*> members = {&sim.Add("a"), &sim.Add("b"), &sim.Add("c")};
  std::mt19937_64 random(3);
  for (int round = 0; round < 40; ++round) {
    for (Member* member : members) member->lock.down = random() % 3 == 0;
    sim.RunUntil(sim.now() + absl::Seconds(7));
  }
  for (Member* member : members) {
    ASSERT_FALSE(member->lock.timeouts.empty());
    for (absl::Duration timeout : member->lock.timeouts) {
      EXPECT_LE(timeout, absl::Seconds(5));
      EXPECT_LT(timeout, absl::Seconds(10));
    }
  }
}

// Many elections with partitions, crashes, graceful stops and clock steps, all seeded: never
// two leaders at once, and once the faults end someone leads within a lease and a few retries.
TEST(LeaderElectorTest, RandomizedFaultsNeverMakeTwoLeaders) {
  for (uint64_t seed = 1; seed <= 20; ++seed) {
    SCOPED_TRACE(absl::StrCat("seed ", seed));
    FakeStore store;
    Simulation sim(store);
    std::mt19937_64 random(seed);
    const auto uniform = [&](int n) { return static_cast<int>(random() % n); };
    std::vector<Member*> live;
    int next_id = 0;
    const auto add = [&] {
      ElectorConfig config = Config();
      config.seed = random() | 1;
      live.push_back(
          &sim.Add(absl::StrCat("m", next_id++), config, absl::Seconds(uniform(7200) - 3600)));
    };
    for (int i = 0; i < 3; ++i) add();
    int crashes = 0, leaves = 0;
    for (int round = 0; round < 150 && !HasFatalFailure(); ++round) {
      switch (uniform(8)) {
        case 0: {  // the leader crashes; a new replica comes up
          Member* leader = sim.Leader();
          if (leader == nullptr) break;
          sim.Kill(*leader);
          std::erase(live, leader);
          ++crashes;
          add();
          break;
        }
        case 1: {  // the leader is stopped gracefully; a new replica comes up
          Member* leader = sim.Leader();
          if (leader == nullptr) break;
          leader->elector->Leave();
          sim.Kill(*leader);
          std::erase(live, leader);
          ++leaves;
          add();
          break;
        }
        case 2:
          sim.ClockOf(*live[uniform(live.size())]).JumpWall(absl::Seconds(uniform(7200) - 3600));
          break;
        default:
          for (Member* member : live) member->lock.down = uniform(4) == 0;
      }
      sim.RunUntil(sim.now() + absl::Milliseconds(500 + uniform(12000)));
    }
    for (Member* member : live) member->lock.down = false;
    // A crashed leader's record must first run out: a lease, plus a jittered retry or two.
    sim.RunUntil(sim.now() + absl::Seconds(15) + 3 * absl::Milliseconds(4400));
    EXPECT_NE(sim.Leader(), nullptr);
    EXPECT_GE(sim.started().size(), 5u);
    EXPECT_GT(crashes + leaves, 0);
  }
}

}  // namespace
}  // namespace contour::leadership
