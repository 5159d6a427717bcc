// The lock that candidates compete for, a seam: an object in the API server that holds the
// leader election record, written with optimistic concurrency (a PUT carrying the
// metadata.resourceVersion that was read; the server refuses it with 409 when someone wrote in
// between). Two real locks, as client-go's resourcelock: a ConfigMap (the record in an
// annotation; Contour v0.15's heptio-contour/contour) and a coordination.k8s.io/v1 Lease. Tests
// of the election use an in-memory fake.
#ifndef CONTOUR_LEADERSHIP_LOCK_H_
#define CONTOUR_LEADERSHIP_LOCK_H_

#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "k8s/api_client.h"
#include "leadership/election_record.h"

namespace contour::leadership {

struct LockState {
  LeaderElectionRecord record;
  // The record as stored (ConfigMap: the annotation's text, "" when absent; Lease: the spec's
  // fields in EncodeLeaseSpec's form). Only compared, to tell whether the record changed since
  // it was last seen: client-go's observedRawRecord.
  std::string raw_record;
  std::string resource_version;  // of the object, for the next Update
};

// Implementations need not be thread-safe: one elector calls one lock from one thread.
class Lock {
 public:
  virtual ~Lock() = default;

  // The record, or nullopt when the object does not exist. An object without a record (a
  // ConfigMap without the annotation) gives the zero record and an empty raw_record, so that a
  // candidate takes it at once, as client-go does.
  virtual absl::StatusOr<std::optional<LockState>> Get(absl::Duration timeout) = 0;
  // Creates the object with `record`; kAlreadyExists when it exists (409).
  virtual absl::StatusOr<LockState> Create(const LeaderElectionRecord& record,
                                           absl::Duration timeout) = 0;
  // Writes `record` into the object, provided it is still at `resource_version` (that of the
  // last Get, Create or Update of this lock, whose other fields are kept as they were then).
  // kAborted on 409: someone else wrote first. kNotFound when the object is gone.
  virtual absl::StatusOr<LockState> Update(const LeaderElectionRecord& record,
                                           std::string_view resource_version,
                                           absl::Duration timeout) = 0;

  // "configmaps heptio-contour/contour", "leases ns/name": for logs.
  virtual std::string Describe() const = 0;
  // Who competes through this lock.
  virtual const std::string& identity() const = 0;
};

// The record in the ConfigMap's annotation control-plane.alpha.kubernetes.io/leader; its data
// and other metadata are kept. Created (with only the annotation) when missing, as client-go
// does. `client` must outlive the lock.
std::unique_ptr<Lock> MakeConfigMapLock(k8s::ApiClient& client, std::string namespace_,
                                        std::string name, std::string identity);
// The record in a Lease's spec; its metadata is kept, its spec is replaced (client-go's
// LeaseLock writes the whole spec too).
std::unique_ptr<Lock> MakeLeaseLock(k8s::ApiClient& client, std::string namespace_,
                                    std::string name, std::string identity);

}  // namespace contour::leadership

#endif  // CONTOUR_LEADERSHIP_LOCK_H_
