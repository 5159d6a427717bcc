// Turns one reflector's view of one kind into ObjectSink calls: decodes the JSON, sends only
// what changed (by resourceVersion), applies a relist as one batch with deletions for whatever
// the list lacks, and logs objects that fail to decode (the cache keeps their last good
// version).
//
// Secrets are watched as metadata only (PartialObjectMetadata): their payloads never cross the
// wire unless wanted. When a Secret the cache has asked for (SecretInterest) is new or changed,
// the forwarder asks for it to be fetched whole (FetchRequester); the fetched copy comes back
// through Offer, where a Secret that can never matter (a service-account token, or neither
// kubernetes.io/tls nor carrying ca.crt) is dropped before it is decoded. An API server that
// ignores the metadata-only request and sends whole Secrets costs bandwidth, nothing else: the
// payload is dropped unread.
//
// The sink waits for an answer to every Secret it asks for (SecretSupplier::AnswersEveryKey): a
// fetched Secret that is dropped, or one that the server does not have, is answered with a
// deletion, which the sink ignores when it never held that Secret.
#ifndef CONTOUR_SERVER_OBJECT_FORWARDER_H_
#define CONTOUR_SERVER_OBJECT_FORWARDER_H_

#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/synchronization/mutex.h"
#include "controller/object_sink.h"
#include "dag/cache.h"
#include "k8s/reflector.h"
#include "nlohmann/json.hpp"

namespace contour::server {

// The Secrets the cache has asked for (SecretSupplier). Thread-safe.
class SecretInterest {
 public:
  void Add(const std::vector<dag::ObjectKey>& keys);
  bool Contains(const dag::ObjectKey& key) const;

 private:
  mutable absl::Mutex mu_;
  std::set<dag::ObjectKey> keys_ ABSL_GUARDED_BY(mu_);
};

struct ForwarderStats {
  uint64_t upserts = 0;
  uint64_t deletes = 0;
  uint64_t unchanged = 0;  // listed again at the same resourceVersion: not sent
  uint64_t decode_errors = 0;
  uint64_t secrets_irrelevant = 0;  // fetched, then dropped for their type, never decoded
  uint64_t secrets_unwanted = 0;    // known by name only, never fetched
  uint64_t secrets_absent = 0;      // asked for, not on the server: answered with a deletion

  ForwarderStats& operator+=(const ForwarderStats& other) {
    upserts += other.upserts;
    deletes += other.deletes;
    unchanged += other.unchanged;
    decode_errors += other.decode_errors;
    secrets_irrelevant += other.secrets_irrelevant;
    secrets_unwanted += other.secrets_unwanted;
    secrets_absent += other.secrets_absent;
    return *this;
  }
};

// Asked (under the forwarder's lock: it must only queue) to fetch a Secret whole and Offer it.
using FetchRequester = std::function<void(const dag::ObjectKey& key)>;

class ObjectForwarder : public k8s::ReflectorHandler {
 public:
  // `kind` is k8s::KindOf's name. For Secrets `interest` and `fetch` are required (metadata
  // mode); for other kinds they are ignored. `sink` and `interest` must outlive the forwarder.
  ObjectForwarder(std::string kind, controller::ObjectSink& sink,
                  const SecretInterest* interest = nullptr, FetchRequester fetch = nullptr);

  void OnListBegin() override;
  void OnListItem(nlohmann::json object) override;
  void OnListEnd(bool complete) override;
  void OnWatchEvent(k8s::WatchEventType type, nlohmann::json object) override;

  // A Secret fetched whole on request: sent unless the watch has already seen a newer version,
  // or has seen it deleted after this copy (a copy of a Secret the watch has not seen yet is
  // sent). One dropped for its type or for its deletion, or undecodable with nothing sent
  // before, is answered with a deletion.
  void Offer(nlohmann::json object);
  // Metadata mode, for a Secret asked for once this forwarder's list is complete: when the watch
  // has never seen it, answers with a deletion and returns true; false when it is worth a fetch.
  bool AnswerIfUnknown(const dag::ObjectKey& key);
  // Metadata mode: a Secret asked for that the server does not have (a fetch found nothing, or a
  // complete list lacked it) is answered with a deletion. A copy the sink had is gone with it.
  void Absent(const dag::ObjectKey& key);

  // A complete list has been applied.
  bool synced() const;
  bool WaitForSynced(absl::Duration timeout) const;
  ForwarderStats stats() const;

 private:
  struct Seen {
    std::string resource_version;
    std::optional<k8s::Object> object;  // to send; none when nothing is to be sent
  };
  // Key and resourceVersion; the decoded object unless in metadata mode (then a wanted Secret
  // not yet sent at this version is asked to be fetched).
  std::optional<std::pair<dag::ObjectKey, Seen>> Read(const nlohmann::json& object)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  std::optional<k8s::Object> Decode(const nlohmann::json& object)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  // Sends a deletion if the sink may hold the object, and forgets it; `version` is the
  // deletion's resourceVersion.
  void Forget(const dag::ObjectKey& key, const std::string& version)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  // Metadata mode: a wanted Secret the watch or a list saw deleted (at `version`, or at some
  // version when empty), so that a copy fetched before the deletion is not sent after it.
  void RememberDeleted(const dag::ObjectKey& key, const std::string& version)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  // A deletion that answers a request: the sink does not get the Secret (or loses it).
  void AnswerAbsent(const dag::ObjectKey& key) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  bool metadata_mode() const { return fetch_ != nullptr; }

  const std::string kind_;
  controller::ObjectSink& sink_;
  const SecretInterest* interest_;
  const FetchRequester fetch_;

  mutable absl::Mutex mu_;
  struct Known {
    std::string resource_version;  // the latest the watch has seen
    std::string sent_version;      // what the sink has; empty: nothing
    std::string fetched_version;   // metadata mode: the version last fetched and judged
  };
  // The objects the server has, by key.
  std::map<dag::ObjectKey, Known> known_ ABSL_GUARDED_BY(mu_);
  // A list in progress.
  std::map<dag::ObjectKey, Seen> listed_ ABSL_GUARDED_BY(mu_);
  // Metadata mode: wanted Secrets deleted and not seen since → the deletion's resourceVersion
  // (empty when a relist found them gone). Bounded by the Secrets ever wanted.
  std::map<dag::ObjectKey, std::string> deleted_ ABSL_GUARDED_BY(mu_);
  bool synced_ ABSL_GUARDED_BY(mu_) = false;
  ForwarderStats stats_ ABSL_GUARDED_BY(mu_);
};

}  // namespace contour::server

#endif  // CONTOUR_SERVER_OBJECT_FORWARDER_H_
