// The ConfigMap and Lease locks against the fake API server, over the real client: what they
// store, optimistic concurrency (409 on a stale resourceVersion), the object's other fields
// kept, and errors that are errors rather than crashes.
#include "leadership/lock.h"

#include <memory>
#include <string>

#include "gtest/gtest.h"
#include "tests/support/client_for_fake.h"

namespace contour::leadership {
namespace {

using testing::FakeApiServer;

constexpr absl::Duration kTimeout = absl::Seconds(10);

absl::Time At(int hour, int minute, int second, absl::Duration fraction = absl::ZeroDuration()) {
  return absl::FromCivil(absl::CivilSecond(2019, 6, 12, hour, minute, second),
                         absl::UTCTimeZone()) +
         fraction;
}

LeaderElectionRecord Record(const std::string& holder, absl::Time renew, int transitions = 0) {
  return {holder, 15, At(10, 0, 0), renew, transitions};
}

enum class Kind { kConfigMap, kLease };

struct KindInfo {
  const char* api_version;
  const char* kind;
};
KindInfo Info(Kind kind) {
  return kind == Kind::kConfigMap ? KindInfo{"v1", "ConfigMap"}
                                  : KindInfo{"coordination.k8s.io/v1", "Lease"};
}

class LockTest : public ::testing::TestWithParam<Kind> {
 protected:
  void SetUp() override {
    testing::FakeAndClient made = testing::StartFakeWithClient();
    ASSERT_NE(made.client, nullptr);
    server_ = std::move(made.server);
    client_ = std::move(made.client);
    lock_ = MakeLock("contour-a");
  }

  std::unique_ptr<Lock> MakeLock(const std::string& identity) {
    return GetParam() == Kind::kConfigMap
               ? MakeConfigMapLock(*client_, "heptio-contour", "contour", identity)
               : MakeLeaseLock(*client_, "heptio-contour", "contour", identity);
  }

  std::optional<nlohmann::json> Stored() const {
    const KindInfo info = Info(GetParam());
    return server_->Get(info.api_version, info.kind, "heptio-contour", "contour");
  }

  // The record as the server holds it, read without our decoder where possible.
  LeaderElectionRecord StoredRecord() const {
    std::optional<nlohmann::json> object = Stored();
    EXPECT_TRUE(object.has_value());
    if (!object.has_value()) return {};
    absl::StatusOr<LeaderElectionRecord> record =
        GetParam() == Kind::kConfigMap
            ? DecodeConfigMapRecord(
                  (*object)["metadata"]["annotations"][kLeaderAnnotation].get<std::string>())
            : DecodeLeaseSpec((*object)["spec"]);
    EXPECT_TRUE(record.ok()) << record.status();
    return record.ok() ? *record : LeaderElectionRecord{};
  }

  std::unique_ptr<FakeApiServer> server_;
  std::unique_ptr<k8s::CurlApiClient> client_;
  std::unique_ptr<Lock> lock_;
};

TEST_P(LockTest, DescribesItself) {
  EXPECT_EQ(lock_->Describe(), GetParam() == Kind::kConfigMap ? "configmaps heptio-contour/contour"
                                                              : "leases heptio-contour/contour");
  EXPECT_EQ(lock_->identity(), "contour-a");
}

TEST_P(LockTest, CreateGetUpdateWithOptimisticConcurrency) {
  absl::StatusOr<std::optional<LockState>> absent = lock_->Get(kTimeout);
  ASSERT_TRUE(absent.ok()) << absent.status();
  EXPECT_FALSE(absent->has_value());

  absl::StatusOr<LockState> created = lock_->Create(Record("contour-a", At(10, 0, 0)), kTimeout);
  ASSERT_TRUE(created.ok()) << created.status();
  EXPECT_EQ(created->record.holder_identity, "contour-a");
  EXPECT_EQ(created->resource_version,
            (*Stored())["metadata"]["resourceVersion"].get<std::string>());
  EXPECT_EQ(StoredRecord().holder_identity, "contour-a");

  // Another candidate racing to create it loses.
  std::unique_ptr<Lock> other = MakeLock("contour-b");
  absl::StatusOr<LockState> again = other->Create(Record("contour-b", At(10, 0, 0)), kTimeout);
  EXPECT_EQ(again.status().code(), absl::StatusCode::kAlreadyExists) << again.status();

  absl::StatusOr<std::optional<LockState>> got = other->Get(kTimeout);
  ASSERT_TRUE(got.ok()) << got.status();
  ASSERT_TRUE(got->has_value());
  EXPECT_EQ((*got)->record, created->record);
  EXPECT_EQ((*got)->raw_record, created->raw_record);
  EXPECT_EQ((*got)->resource_version, created->resource_version);

  // The holder renews; the other's write at the version it read is now refused.
  absl::StatusOr<LockState> renewed =
      lock_->Update(Record("contour-a", At(10, 0, 2)), created->resource_version, kTimeout);
  ASSERT_TRUE(renewed.ok()) << renewed.status();
  EXPECT_NE(renewed->resource_version, created->resource_version);
  EXPECT_NE(renewed->raw_record, created->raw_record);
  EXPECT_EQ(StoredRecord().renew_time, At(10, 0, 2));

  absl::StatusOr<LockState> stale =
      other->Update(Record("contour-b", At(10, 0, 3), 1), (*got)->resource_version, kTimeout);
  EXPECT_EQ(stale.status().code(), absl::StatusCode::kAborted) << stale.status();
  EXPECT_EQ(StoredRecord().holder_identity, "contour-a");

  // Read again, it wins.
  got = other->Get(kTimeout);
  ASSERT_TRUE(got.ok() && got->has_value());
  absl::StatusOr<LockState> taken =
      other->Update(Record("contour-b", At(10, 0, 3), 1), (*got)->resource_version, kTimeout);
  ASSERT_TRUE(taken.ok()) << taken.status();
  EXPECT_EQ(StoredRecord(), Record("contour-b", At(10, 0, 3), 1));
}

TEST_P(LockTest, UpdatesWithAPutCarryingTheResourceVersion) {
  absl::StatusOr<LockState> created = lock_->Create(Record("contour-a", At(10, 0, 0)), kTimeout);
  ASSERT_TRUE(created.ok()) << created.status();
  server_->ClearRequests();
  ASSERT_TRUE(
      lock_->Update(Record("contour-a", At(10, 0, 2)), created->resource_version, kTimeout).ok());
  std::vector<FakeApiServer::RequestRecord> requests = server_->Requests();
  ASSERT_EQ(requests.size(), 1u);
  EXPECT_EQ(requests[0].method, "PUT");
  EXPECT_EQ(requests[0].path, GetParam() == Kind::kConfigMap
                                  ? "/api/v1/namespaces/heptio-contour/configmaps/contour"
                                  : "/apis/coordination.k8s.io/v1/namespaces/heptio-contour/"
                                    "leases/contour");
  const nlohmann::json body = nlohmann::json::parse(requests[0].body);
  EXPECT_EQ(body["metadata"]["resourceVersion"], created->resource_version);
}

TEST_P(LockTest, StoresClientGosFormat) {
  const LeaderElectionRecord record{"contour-a", 15, At(10, 0, 0, absl::Microseconds(123456)),
                                    At(10, 0, 4, absl::Microseconds(654321)), 2};
  ASSERT_TRUE(lock_->Create(record, kTimeout).ok());
  std::optional<nlohmann::json> object = Stored();
  ASSERT_TRUE(object.has_value());
  if (GetParam() == Kind::kConfigMap) {
    EXPECT_EQ((*object)["metadata"]["annotations"][kLeaderAnnotation],
              R"({"holderIdentity":"contour-a","leaseDurationSeconds":15,)"
              R"("acquireTime":"2019-06-12T10:00:00Z","renewTime":"2019-06-12T10:00:04Z",)"
              R"("leaderTransitions":2})");
  } else {
    EXPECT_EQ((*object)["spec"], nlohmann::json::parse(R"({
        "holderIdentity": "contour-a",
        "leaseDurationSeconds": 15,
        "acquireTime": "2019-06-12T10:00:00.123456Z",
        "renewTime": "2019-06-12T10:00:04.654321Z",
        "leaseTransitions": 2})"));
  }
}

TEST_P(LockTest, KeepsTheObjectsOtherFields) {
  const KindInfo info = Info(GetParam());
  nlohmann::json object = {{"apiVersion", info.api_version},
                           {"kind", info.kind},
                           {"metadata",
                            {{"namespace", "heptio-contour"},
                             {"name", "contour"},
                             {"labels", {{"app", "contour"}}},
                             {"annotations", {{"example.com/note", "keep me"}}}}}};
  // Contour v0.15's lock is the ConfigMap that also carries contour.yaml.
  if (GetParam() == Kind::kConfigMap) object["data"] = {{"contour.yaml", "incluster: true\n"}};
  ASSERT_TRUE(server_->Create(object).ok());

  // An object without a record: the zero record, to be taken.
  absl::StatusOr<std::optional<LockState>> got = lock_->Get(kTimeout);
  ASSERT_TRUE(got.ok()) << got.status();
  ASSERT_TRUE(got->has_value());
  EXPECT_EQ((*got)->record, LeaderElectionRecord{});
  if (GetParam() == Kind::kConfigMap) EXPECT_EQ((*got)->raw_record, "");

  absl::StatusOr<LockState> written =
      lock_->Update(Record("contour-a", At(10, 0, 0), 1), (*got)->resource_version, kTimeout);
  ASSERT_TRUE(written.ok()) << written.status();
  // And the next write keeps them too.
  ASSERT_TRUE(
      lock_->Update(Record("contour-a", At(10, 0, 2), 1), written->resource_version, kTimeout)
          .ok());
  std::optional<nlohmann::json> stored = Stored();
  ASSERT_TRUE(stored.has_value());
  EXPECT_EQ((*stored)["metadata"]["labels"]["app"], "contour");
  EXPECT_EQ((*stored)["metadata"]["annotations"]["example.com/note"], "keep me");
  if (GetParam() == Kind::kConfigMap) {
    EXPECT_EQ((*stored)["data"]["contour.yaml"], "incluster: true\n");
  }
  EXPECT_EQ(StoredRecord(), Record("contour-a", At(10, 0, 2), 1));
}

TEST_P(LockTest, SomeoneElsesChangeToTheObjectIsAConflict) {
  absl::StatusOr<LockState> created = lock_->Create(Record("contour-a", At(10, 0, 0)), kTimeout);
  ASSERT_TRUE(created.ok()) << created.status();
  nlohmann::json object = *Stored();
  object["metadata"]["labels"] = {{"touched", "yes"}};
  ASSERT_TRUE(server_->Update(object).ok());
  absl::StatusOr<LockState> stale =
      lock_->Update(Record("contour-a", At(10, 0, 2)), created->resource_version, kTimeout);
  EXPECT_EQ(stale.status().code(), absl::StatusCode::kAborted) << stale.status();
}

TEST_P(LockTest, UpdateOfAVanishedObjectIsNotFound) {
  absl::StatusOr<LockState> created = lock_->Create(Record("contour-a", At(10, 0, 0)), kTimeout);
  ASSERT_TRUE(created.ok()) << created.status();
  const KindInfo info = Info(GetParam());
  ASSERT_TRUE(server_->Delete(info.api_version, info.kind, "heptio-contour", "contour").ok());
  absl::StatusOr<LockState> gone =
      lock_->Update(Record("contour-a", At(10, 0, 2)), created->resource_version, kTimeout);
  EXPECT_EQ(gone.status().code(), absl::StatusCode::kNotFound) << gone.status();
}

TEST_P(LockTest, UpdateBeforeReadingIsRefused) {
  absl::StatusOr<LockState> written =
      lock_->Update(Record("contour-a", At(10, 0, 0)), "1", kTimeout);
  EXPECT_EQ(written.status().code(), absl::StatusCode::kFailedPrecondition) << written.status();
  EXPECT_TRUE(server_->Requests().empty());
}

TEST_P(LockTest, ServerErrorsAndTimeoutsAreErrors) {
  server_->FailRequests(500, 1, "contour");
  absl::StatusOr<std::optional<LockState>> failed = lock_->Get(kTimeout);
  EXPECT_EQ(failed.status().code(), absl::StatusCode::kUnavailable) << failed.status();

  server_->FailRequests(429, 1, "contour");
  absl::StatusOr<LockState> throttled = lock_->Create(Record("contour-a", At(10, 0, 0)), kTimeout);
  EXPECT_EQ(throttled.status().code(), absl::StatusCode::kUnavailable) << throttled.status();

  // No time: no request at all.
  server_->ClearRequests();
  absl::StatusOr<std::optional<LockState>> late = lock_->Get(absl::ZeroDuration());
  EXPECT_EQ(late.status().code(), absl::StatusCode::kDeadlineExceeded) << late.status();
  EXPECT_TRUE(server_->Requests().empty());

  // A stalled server: the call ends at its timeout.
  server_->SetStalled(true);
  absl::StatusOr<std::optional<LockState>> stalled = lock_->Get(absl::Milliseconds(300));
  server_->SetStalled(false);
  EXPECT_EQ(stalled.status().code(), absl::StatusCode::kDeadlineExceeded) << stalled.status();

  // And then it works again.
  absl::StatusOr<std::optional<LockState>> got = lock_->Get(kTimeout);
  EXPECT_TRUE(got.ok()) << got.status();
}

TEST_P(LockTest, GarbageRecordIsAnError) {
  const KindInfo info = Info(GetParam());
  nlohmann::json object = {{"apiVersion", info.api_version},
                           {"kind", info.kind},
                           {"metadata", {{"namespace", "heptio-contour"}, {"name", "contour"}}}};
  if (GetParam() == Kind::kConfigMap) {
    object["metadata"]["annotations"] = {{kLeaderAnnotation, "{not json"}};
  } else {
    object["spec"] = {{"holderIdentity", "x"}, {"renewTime", "not a time"}};
  }
  ASSERT_TRUE(server_->Create(object).ok());
  absl::StatusOr<std::optional<LockState>> got = lock_->Get(kTimeout);
  EXPECT_EQ(got.status().code(), absl::StatusCode::kInvalidArgument) << got.status();
}

INSTANTIATE_TEST_SUITE_P(Kinds, LockTest, ::testing::Values(Kind::kConfigMap, Kind::kLease),
                         [](const ::testing::TestParamInfo<Kind>& info) {
                           return info.param == Kind::kConfigMap ? "ConfigMap" : "Lease";
                         });

}  // namespace
}  // namespace contour::leadership
