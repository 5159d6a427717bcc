// The leader election record in client-go's encodings, checked against records that Go clients
// wrote (copied from clusters: kubectl output and API server audit logs).
#include "leadership/election_record.h"

#include <string>

#include "gtest/gtest.h"

namespace contour::leadership {
namespace {

absl::Time At(int year, int month, int day, int hour, int minute, int second,
              absl::Duration fraction = absl::ZeroDuration()) {
  return absl::FromCivil(absl::CivilSecond(year, month, day, hour, minute, second),
                         absl::UTCTimeZone()) +
         fraction;
}

// An Endpoints lock's annotation written by kube-controller-manager (the ConfigMap lock wrote
// the same LeaderElectionRecord the same way).
constexpr char kGoConfigMapRecord[] =
    R"({"holderIdentity":"k8s-master_904e0225-871d-4ff2-becc-62b58a20e3c7",)"
    R"("leaseDurationSeconds":15,"acquireTime":"2021-07-16T21:03:58Z",)"
    R"("renewTime":"2021-07-17T10:35:50Z","leaderTransitions":24})";

// A Lease spec as the API server received it from client-go (an audit log's requestObject).
constexpr char kGoLeaseSpec[] =
    R"({"holderIdentity":"akri_2aebdcf5-bf34-444f-b3dd-117873b0cdef","leaseDurationSeconds":15,)"
    R"("acquireTime":"2020-12-22T21:55:56.000000Z","renewTime":"2020-12-22T22:01:51.937572Z",)"
    R"("leaseTransitions":54})";

TEST(ElectionRecordTest, ConfigMapRecordIsClientGosByteForByte) {
  LeaderElectionRecord record;
  record.holder_identity = "k8s-master_904e0225-871d-4ff2-becc-62b58a20e3c7";
  record.lease_duration_seconds = 15;
  record.acquire_time = At(2021, 7, 16, 21, 3, 58);
  // A fraction is cut, as Go's Format cuts it.
  record.renew_time = At(2021, 7, 17, 10, 35, 50, absl::Milliseconds(999));
  record.leader_transitions = 24;
  EXPECT_EQ(EncodeConfigMapRecord(record), kGoConfigMapRecord);

  absl::StatusOr<LeaderElectionRecord> decoded = DecodeConfigMapRecord(kGoConfigMapRecord);
  ASSERT_TRUE(decoded.ok()) << decoded.status();
  EXPECT_EQ(decoded->holder_identity, record.holder_identity);
  EXPECT_EQ(decoded->lease_duration_seconds, 15);
  EXPECT_EQ(decoded->acquire_time, record.acquire_time);
  EXPECT_EQ(decoded->renew_time, At(2021, 7, 17, 10, 35, 50));
  EXPECT_EQ(decoded->leader_transitions, 24);
  EXPECT_EQ(EncodeConfigMapRecord(*decoded), kGoConfigMapRecord);
}

TEST(ElectionRecordTest, ReleasedRecordAsClientGoWritesIt) {
  // tryRelease: no holder, leaseDurationSeconds 1, both times now.
  LeaderElectionRecord record;
  record.lease_duration_seconds = 1;
  record.acquire_time = record.renew_time = At(2019, 6, 12, 10, 0, 7);
  record.leader_transitions = 3;
  EXPECT_EQ(EncodeConfigMapRecord(record),
            R"({"holderIdentity":"","leaseDurationSeconds":1,"acquireTime":"2019-06-12T10:00:07Z",)"
            R"("renewTime":"2019-06-12T10:00:07Z","leaderTransitions":3})");
}

TEST(ElectionRecordTest, ZeroRecordEncodesTimesAsNull) {
  EXPECT_EQ(EncodeConfigMapRecord({}),
            R"({"holderIdentity":"","leaseDurationSeconds":0,"acquireTime":null,)"
            R"("renewTime":null,"leaderTransitions":0})");
  absl::StatusOr<LeaderElectionRecord> decoded = DecodeConfigMapRecord(EncodeConfigMapRecord({}));
  ASSERT_TRUE(decoded.ok()) << decoded.status();
  EXPECT_EQ(*decoded, LeaderElectionRecord{});
}

TEST(ElectionRecordTest, LeaseSpecIsClientGosByteForByte) {
  LeaderElectionRecord record;
  record.holder_identity = "akri_2aebdcf5-bf34-444f-b3dd-117873b0cdef";
  record.lease_duration_seconds = 15;
  record.acquire_time = At(2020, 12, 22, 21, 55, 56);
  // Below a microsecond is cut.
  record.renew_time = At(2020, 12, 22, 22, 1, 51, absl::Nanoseconds(937572999));
  record.leader_transitions = 54;
  EXPECT_EQ(EncodeLeaseSpec(record), kGoLeaseSpec);

  absl::StatusOr<LeaderElectionRecord> decoded =
      DecodeLeaseSpec(nlohmann::json::parse(kGoLeaseSpec));
  ASSERT_TRUE(decoded.ok()) << decoded.status();
  EXPECT_EQ(decoded->holder_identity, record.holder_identity);
  EXPECT_EQ(decoded->renew_time, At(2020, 12, 22, 22, 1, 51, absl::Microseconds(937572)));
  EXPECT_EQ(decoded->leader_transitions, 54);
  EXPECT_EQ(EncodeLeaseSpec(*decoded), kGoLeaseSpec);
}

TEST(ElectionRecordTest, LeaseSpecAsKubectlShowsIt) {
  // kubectl get lease -o json: fields sorted, no acquireTime on a lease nobody took yet.
  const nlohmann::json spec = nlohmann::json::parse(R"({
      "holderIdentity": "kind-worker",
      "leaseDurationSeconds": 3,
      "leaseTransitions": 0,
      "renewTime": "2024-07-25T19:16:23.654730Z"})");
  absl::StatusOr<LeaderElectionRecord> decoded = DecodeLeaseSpec(spec);
  ASSERT_TRUE(decoded.ok()) << decoded.status();
  EXPECT_EQ(decoded->holder_identity, "kind-worker");
  EXPECT_EQ(decoded->lease_duration_seconds, 3);
  EXPECT_EQ(decoded->acquire_time, kNoTime);
  EXPECT_EQ(decoded->renew_time, At(2024, 7, 25, 19, 16, 23, absl::Microseconds(654730)));

  absl::StatusOr<LeaderElectionRecord> empty = DecodeLeaseSpec(nlohmann::json());
  ASSERT_TRUE(empty.ok());
  EXPECT_EQ(*empty, LeaderElectionRecord{});
}

TEST(ElectionRecordTest, RoundTrips) {
  const LeaderElectionRecord records[] = {
      {},
      {"a", 15, At(2019, 6, 12, 10, 0, 0), At(2019, 6, 12, 10, 0, 4), 0},
      {"pod-with-\"quotes\"-and-<html>&", 60, At(1999, 12, 31, 23, 59, 59), kNoTime, 7},
      {"é-ü-😀", 1, kNoTime, At(2038, 1, 19, 3, 14, 8), 2147483647},
  };
  for (const LeaderElectionRecord& record : records) {
    SCOPED_TRACE(record.holder_identity);
    absl::StatusOr<LeaderElectionRecord> from_config_map =
        DecodeConfigMapRecord(EncodeConfigMapRecord(record));
    ASSERT_TRUE(from_config_map.ok()) << from_config_map.status();
    EXPECT_EQ(*from_config_map, record);
    absl::StatusOr<LeaderElectionRecord> from_lease =
        DecodeLeaseSpec(nlohmann::json::parse(EncodeLeaseSpec(record)));
    ASSERT_TRUE(from_lease.ok()) << from_lease.status();
    EXPECT_EQ(*from_lease, record);
  }
}

TEST(ElectionRecordTest, StringsAreEscapedAsEncodingJsonDoes) {
  struct Case {
    std::string in;
    std::string out;
  };
  const Case cases[] = {
      {"plain-pod_1", R"("plain-pod_1")"},
      {"a\"b\\c", R"("a\"b\\c")"},
      {"<>&", R"("\u003c\u003e\u0026")"},
      {"\n\r\t\b\f", R"("\n\r\t\b\f")"},
      {std::string("\x01\x1f", 2), R"("\u0001\u001f")"},
      {"\xe2\x80\xa8\xe2\x80\xa9", R"("\u2028\u2029")"},
      {"caf\xc3\xa9", "\"caf\xc3\xa9\""},
      {"bad\xff"
       "byte",
       R"("bad\ufffdbyte")"},
      {"\xc0\xaf", R"("\ufffd\ufffd")"},            // overlong
      {"\xed\xa0\x80", R"("\ufffd\ufffd\ufffd")"},  // a surrogate
      {"cut\xe2\x82", R"("cut\ufffd\ufffd")"},
  };
  for (const Case& c : cases) {
    std::string out;
    AppendGoJsonString(&out, c.in);
    EXPECT_EQ(out, c.out) << c.in;
  }
}

TEST(ElectionRecordTest, DecodesWhatEncodingJsonAccepts) {
  struct Case {
    const char* name;
    const char* json;
    LeaderElectionRecord want;
  };
  const Case cases[] = {
      {"fraction and offset",
       R"({"holderIdentity":"a","renewTime":"2019-06-12T12:00:04.5+02:00"})",
       {"a", 0, kNoTime, At(2019, 6, 12, 10, 0, 4, absl::Milliseconds(500)), 0}},
      {"negative offset",
       R"({"acquireTime":"2019-06-12T05:30:00-04:30"})",
       {"", 0, At(2019, 6, 12, 10, 0, 0), kNoTime, 0}},
      {"nanoseconds and beyond",
       R"({"acquireTime":"2019-06-12T10:00:00.1234567891234Z"})",
       {"", 0, At(2019, 6, 12, 10, 0, 0, absl::Nanoseconds(123456789)), kNoTime, 0}},
      {"nulls", R"({"holderIdentity":null,"leaseDurationSeconds":null,"acquireTime":null})", {}},
      {"unknown fields",
       R"({"holderIdentity":"a","strategy":"x","preferredHolder":"b"})",
       {"a", 0, kNoTime, kNoTime, 0}},
      {"keys in another case",
       R"({"HolderIdentity":"a","LEASEDURATIONSECONDS":15})",
       {"a", 15, kNoTime, kNoTime, 0}},
      {"exact key preferred",
       R"({"HOLDERIDENTITY":"b","holderIdentity":"a"})",
       {"a", 0, kNoTime, kNoTime, 0}},
      {"Go's zero time", R"({"renewTime":"0001-01-01T00:00:00Z"})", {}},
      {"JSON null", "null", {}},
      {"empty object", "{}", {}},
  };
  for (const Case& c : cases) {
    absl::StatusOr<LeaderElectionRecord> decoded = DecodeConfigMapRecord(c.json);
    ASSERT_TRUE(decoded.ok()) << c.name << ": " << decoded.status();
    EXPECT_EQ(*decoded, c.want) << c.name;
  }
}

TEST(ElectionRecordTest, GarbageIsAnErrorNotACrash) {
  const char* const cases[] = {
      "",
      "not json",
      R"({"holderIdentity":"a")",
      "[]",
      R"("a string")",
      "42",
      R"({"holderIdentity":42})",
      R"({"holderIdentity":["a"]})",
      R"({"leaseDurationSeconds":"15"})",
      R"({"leaseDurationSeconds":15.5})",
      R"({"leaseDurationSeconds":1e3})",
      R"({"leaseDurationSeconds":99999999999})",
      R"({"leaseDurationSeconds":true})",
      R"({"leaderTransitions":-99999999999})",
      R"({"renewTime":"yesterday"})",
      R"({"renewTime":""})",
      R"({"renewTime":12345})",
      R"({"renewTime":"2019-06-12 10:00:00Z"})",
      R"({"renewTime":"2019-06-12T10:00:00"})",
      R"({"renewTime":"2019-06-12T10:00:00Zjunk"})",
      R"({"renewTime":"2019-13-12T10:00:00Z"})",
      R"({"renewTime":"2019-02-30T10:00:00Z"})",
      R"({"renewTime":"2019-06-12T24:00:00Z"})",
      R"({"renewTime":"2019-06-12T10:60:00Z"})",
      R"({"renewTime":"2019-06-12T10:00:60Z"})",
      R"({"renewTime":"2019-06-12T10:00:00.Z"})",
      R"({"renewTime":"2019-06-12T10:00:00+0200"})",
      R"({"renewTime":"2019-06-12T10:00:00+24:00"})",
      R"({"renewTime":"2019-6-12T10:00:00Z"})",
      R"({"renewTime":"+2019-06-12T10:00:00Z"})",
  };
  for (const char* json : cases) {
    absl::StatusOr<LeaderElectionRecord> decoded = DecodeConfigMapRecord(json);
    EXPECT_FALSE(decoded.ok()) << json;
    EXPECT_EQ(decoded.status().code(), absl::StatusCode::kInvalidArgument) << json;
  }
  EXPECT_FALSE(DecodeLeaseSpec(nlohmann::json::parse(R"({"leaseTransitions":"3"})")).ok());
  EXPECT_FALSE(DecodeLeaseSpec(nlohmann::json::parse(R"(["a"])")).ok());
}

TEST(ElectionRecordTest, TimesFormatAsMetav1Does) {
  struct Case {
    absl::Time time;
    const char* seconds;
    const char* micros;
  };
  const Case cases[] = {
      {At(2019, 6, 12, 10, 0, 4), "2019-06-12T10:00:04Z", "2019-06-12T10:00:04.000000Z"},
      {At(2019, 6, 12, 10, 0, 4, absl::Nanoseconds(999999999)), "2019-06-12T10:00:04Z",
       "2019-06-12T10:00:04.999999Z"},
      {At(1969, 12, 31, 23, 59, 59, absl::Milliseconds(500)), "1969-12-31T23:59:59Z",
       "1969-12-31T23:59:59.500000Z"},
      {At(999, 1, 2, 3, 4, 5), "0999-01-02T03:04:05Z", "0999-01-02T03:04:05.000000Z"},
  };
  for (const Case& c : cases) {
    EXPECT_EQ(FormatRfc3339(c.time), c.seconds);
    EXPECT_EQ(FormatRfc3339Micro(c.time), c.micros);
    absl::StatusOr<absl::Time> parsed = ParseRfc3339(c.micros);
    ASSERT_TRUE(parsed.ok()) << parsed.status();
    EXPECT_EQ(FormatRfc3339Micro(*parsed), c.micros);
    EXPECT_LE(*parsed, c.time);
    EXPECT_LT(c.time - *parsed, absl::Microseconds(1));
  }
}

}  // namespace
}  // namespace contour::leadership
