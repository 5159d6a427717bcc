// The leader election record, in client-go's two encodings, so that a Go client and ours can
// share one lock:
//  - a ConfigMap lock keeps it as JSON in the annotation control-plane.alpha.kubernetes.io/leader,
//    written byte for byte as Go's json.Marshal writes resourcelock.LeaderElectionRecord (field
//    order, no spaces, metav1.Time as RFC 3339 in whole seconds, UTC, "Z"; a zero time as null);
//  - a coordination.k8s.io/v1 Lease keeps it in its spec (holderIdentity, leaseDurationSeconds,
//    acquireTime, renewTime as metav1.MicroTime with 6 fractional digits, leaseTransitions).
// Decoding follows encoding/json: unknown fields are ignored, missing or null fields are zero,
// keys match case-insensitively when there is no exact match; anything else that is not what
// the field holds is an error (never a crash). Times may carry any fraction and any offset.
#ifndef CONTOUR_LEADERSHIP_ELECTION_RECORD_H_
#define CONTOUR_LEADERSHIP_ELECTION_RECORD_H_

#include <ostream>
#include <string>
#include <string_view>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "nlohmann/json.hpp"

namespace contour::leadership {

inline constexpr char kLeaderAnnotation[] = "control-plane.alpha.kubernetes.io/leader";

// Go's zero time.Time ("no time": JSON null) is represented as absl::InfinitePast().
inline constexpr absl::Time kNoTime = absl::InfinitePast();

struct LeaderElectionRecord {
  // Empty: nobody holds the lock (a holder that stepped down), anyone may take it at once.
  std::string holder_identity;
  // How long others must wait without seeing the record change before taking over. The
  // holder's value is the one that counts, not the reader's own setting (k8s#114872).
  int lease_duration_seconds = 0;
  absl::Time acquire_time = kNoTime;
  absl::Time renew_time = kNoTime;
  int leader_transitions = 0;

  friend bool operator==(const LeaderElectionRecord&, const LeaderElectionRecord&) = default;
};
// As EncodeLeaseSpec writes it: for logs and test failures.
std::ostream& operator<<(std::ostream& out, const LeaderElectionRecord& record);

// metav1.Time: "2019-06-12T10:00:04Z" (the fraction is cut, as Go's Format cuts it).
std::string FormatRfc3339(absl::Time time);
// metav1.MicroTime: "2019-06-12T10:00:04.123456Z".
std::string FormatRfc3339Micro(absl::Time time);
// RFC 3339: "YYYY-MM-DDTHH:MM:SS", an optional fraction of any length, then "Z" or "+hh:mm".
// Go's zero time (0001-01-01T00:00:00Z) is kNoTime.
absl::StatusOr<absl::Time> ParseRfc3339(std::string_view text);

// The ConfigMap annotation's value.
std::string EncodeConfigMapRecord(const LeaderElectionRecord& record);
// An annotation that is JSON null is the zero record, as for encoding/json.
absl::StatusOr<LeaderElectionRecord> DecodeConfigMapRecord(std::string_view text);

// The Lease's spec as JSON text, fields in Go's order (zero times as null, as client-go sends
// them; the server drops them).
std::string EncodeLeaseSpec(const LeaderElectionRecord& record);
// From a Lease's spec (null or absent: the zero record).
absl::StatusOr<LeaderElectionRecord> DecodeLeaseSpec(const nlohmann::json& spec);

// A JSON string literal exactly as encoding/json writes it: <, >, & and U+2028/U+2029 escaped
// as \u003c.., invalid UTF-8 as \ufffd.
void AppendGoJsonString(std::string* out, std::string_view text);

}  // namespace contour::leadership

#endif  // CONTOUR_LEADERSHIP_ELECTION_RECORD_H_
