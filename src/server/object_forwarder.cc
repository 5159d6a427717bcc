#include "server/object_forwarder.h"

#include <charconv>

#include "k8s/decode.h"
#include "spdlog/spdlog.h"

namespace contour::server {
namespace {

// A Secret the cache could use: kubernetes.io/tls, or any type but a service-account token
// that carries ca.crt (contour.md §3, v0.15.1+).
bool SecretMayMatter(const nlohmann::json& object) {
  const std::string type = object.value("type", "Opaque");
  if (type == "kubernetes.io/service-account-token") return false;
  if (type == "kubernetes.io/tls") return true;
  auto data = object.find("data");
  return data != object.end() && data->is_object() && data->contains("ca.crt");
}

// Newer by resourceVersion, when both are numbers (they are opaque to clients, but the only
// use here is to keep a fetched copy from overtaking the watch).
bool Older(const std::string& a, const std::string& b) {
  uint64_t x = 0;
  uint64_t y = 0;
  auto [pa, ea] = std::from_chars(a.data(), a.data() + a.size(), x);
  auto [pb, eb] = std::from_chars(b.data(), b.data() + b.size(), y);
  if (ea != std::errc() || eb != std::errc()) return false;
  return x < y;
}

}  // namespace

void SecretInterest::Add(const std::vector<dag::ObjectKey>& keys) {
  absl::MutexLock lock(&mu_);
  keys_.insert(keys.begin(), keys.end());
}

bool SecretInterest::Contains(const dag::ObjectKey& key) const {
  absl::MutexLock lock(&mu_);
  return keys_.contains(key);
}

ObjectForwarder::ObjectForwarder(std::string kind, controller::ObjectSink& sink,
                                 const SecretInterest* interest, FetchRequester fetch)
    : kind_(std::move(kind)),
      sink_(sink),
      interest_(interest),
      fetch_(kind_ == "Secret" ? std::move(fetch) : nullptr) {}

namespace {

dag::ObjectKey KeyOf(const nlohmann::json& object) {
  const nlohmann::json& metadata = object.value("metadata", nlohmann::json::object());
  return {metadata.value("namespace", ""), metadata.value("name", "")};
}

std::string VersionOf(const nlohmann::json& object) {
  return object.value("metadata", nlohmann::json::object()).value("resourceVersion", "");
}

}  // namespace

std::optional<k8s::Object> ObjectForwarder::Decode(const nlohmann::json& object) {
  absl::StatusOr<k8s::Object> decoded = k8s::DecodeObject(object);
  if (decoded.ok()) return *std::move(decoded);
  stats_.decode_errors++;
  // The message names the object and the field.
  spdlog::warn("{}; keeping its last good version", std::string(decoded.status().message()));
  return std::nullopt;
}

std::optional<std::pair<dag::ObjectKey, ObjectForwarder::Seen>> ObjectForwarder::Read(
    const nlohmann::json& object) {
  dag::ObjectKey key = KeyOf(object);
  if (key.second.empty()) return std::nullopt;
  Seen seen{VersionOf(object), std::nullopt};
  if (metadata_mode()) {
    auto known = known_.find(key);
    const bool judged =
        known != known_.end() && known->second.fetched_version == seen.resource_version;
    if (interest_ != nullptr && interest_->Contains(key)) {
      if (!judged) fetch_(key);
    } else {
      stats_.secrets_unwanted++;
    }
    return std::make_pair(std::move(key), std::move(seen));
  }
  seen.object = Decode(object);
  return std::make_pair(std::move(key), std::move(seen));
}

void ObjectForwarder::Forget(const dag::ObjectKey& key, const std::string& version) {
  RememberDeleted(key, version);
  auto it = known_.find(key);
  if (it == known_.end()) return;
  const bool sent = !it->second.sent_version.empty();
  known_.erase(it);
  if (!sent && metadata_mode()) return;  // the sink never had it
  stats_.deletes++;
  sink_.Delete(kind_, key.first, key.second);
}

void ObjectForwarder::RememberDeleted(const dag::ObjectKey& key, const std::string& version) {
  // Only a wanted Secret is ever fetched, so only its deletions can race a fetched copy.
  if (metadata_mode() && interest_ != nullptr && interest_->Contains(key)) {
    deleted_[key] = version;
  }
}

void ObjectForwarder::OnListBegin() {
  absl::MutexLock lock(&mu_);
  listed_.clear();
}

void ObjectForwarder::OnListItem(nlohmann::json object) {
  absl::MutexLock lock(&mu_);
  const dag::ObjectKey key = KeyOf(object);
  const std::string version = VersionOf(object);
  // Unchanged since it was sent: do not even decode it.
  if (auto it = known_.find(key);
      it != known_.end() && !version.empty() && it->second.sent_version == version) {
    stats_.unchanged++;
    listed_[key] = Seen{version, std::nullopt};
    return;
  }
  if (auto read = Read(object)) listed_[read->first] = std::move(read->second);
}

void ObjectForwarder::OnListEnd(bool complete) {
  absl::MutexLock lock(&mu_);
  if (!complete) {
    listed_.clear();
    return;
  }
  controller::ObjectChanges changes;
  std::map<dag::ObjectKey, Known> known;
  for (auto& [key, seen] : listed_) {
    auto old = known_.find(key);
    Known& entry = known[key];
    entry.resource_version = seen.resource_version;
    if (seen.object.has_value()) {
      changes.upserts.push_back(*std::move(seen.object));
      entry.sent_version = seen.resource_version;
    } else if (old != known_.end()) {
      // Unchanged, undecodable, or (metadata mode) not fetched yet: the sink keeps what it has.
      entry.sent_version = old->second.sent_version;
      entry.fetched_version = old->second.fetched_version;
    }
  }
  for (const auto& [key, entry] : known_) {
    if (listed_.contains(key)) continue;
    RememberDeleted(key, "");  // deleted at some version the list does not say
    if (metadata_mode() && entry.sent_version.empty()) continue;  // the sink never had it
    changes.deletes.push_back({kind_, key.first, key.second});
  }
  stats_.upserts += changes.upserts.size();
  stats_.deletes += changes.deletes.size();
  if (!deleted_.empty()) {  // metadata mode only; a relist of other kinds skips this
    for (const auto& [key, seen] : listed_) deleted_.erase(key);
  }
  known_ = std::move(known);
  listed_.clear();
  synced_ = true;
  // The sink only queues: calling it under the lock keeps the order of a concurrent Offer.
  sink_.Apply(std::move(changes));
}

void ObjectForwarder::OnWatchEvent(k8s::WatchEventType type, nlohmann::json object) {
  absl::MutexLock lock(&mu_);
  if (type == k8s::WatchEventType::kDeleted) {
    Forget(KeyOf(object), VersionOf(object));
    return;
  }
  std::optional<std::pair<dag::ObjectKey, Seen>> read = Read(object);
  if (!read.has_value()) return;
  deleted_.erase(read->first);
  Known& entry = known_[read->first];
  entry.resource_version = read->second.resource_version;
  if (read->second.object.has_value()) {
    entry.sent_version = read->second.resource_version;
    stats_.upserts++;
    sink_.Upsert(*std::move(read->second.object));
  }
}

void ObjectForwarder::Offer(nlohmann::json object) {
  absl::MutexLock lock(&mu_);
  const dag::ObjectKey key = KeyOf(object);
  const std::string version = VersionOf(object);
  if (key.second.empty()) return;
  auto it = known_.find(key);
  if (it == known_.end() && !listed_.contains(key)) {
    // The watch has not seen it yet (a Secret created just before what asked for it: sent, so
    // that the next build has it), or has seen it deleted since this copy was read: sending that
    // would keep a deleted Secret that nothing would ever delete again. A copy newer than the
    // deletion is of a Secret created again; the watch will see it too.
    auto gone = deleted_.find(key);
    if (gone != deleted_.end() && !Older(gone->second, version)) {
      AnswerAbsent(key);
      return;
    }
  }
  if (it != known_.end() && Older(version, it->second.resource_version)) {
    return;  // the watch has seen a newer version, and asked for that one
  }
  Known& entry = known_[key];
  entry.resource_version = version;
  entry.fetched_version = version;
  if (!SecretMayMatter(object)) {
    stats_.secrets_irrelevant++;
    // If it was TLS material it is not any more: as good as gone for the cache. If it never was,
    // the deletion answers the request (the cache never held it: no rebuild).
    entry.sent_version.clear();
    stats_.deletes++;
    sink_.Delete(kind_, key.first, key.second);
    return;
  }
  std::optional<k8s::Object> decoded = Decode(object);
  if (!decoded.has_value()) {
    // The sink keeps a good copy it has; with none, it hears that none is coming.
    if (entry.sent_version.empty()) {
      stats_.deletes++;
      sink_.Delete(kind_, key.first, key.second);
    }
    return;
  }
  entry.sent_version = version;
  stats_.upserts++;
  sink_.Upsert(*std::move(decoded));
}

bool ObjectForwarder::AnswerIfUnknown(const dag::ObjectKey& key) {
  absl::MutexLock lock(&mu_);
  if (known_.contains(key)) return false;
  // Under the lock, so that an ADDED event for it, which asks for a fetch, comes after.
  AnswerAbsent(key);
  return true;
}

void ObjectForwarder::Absent(const dag::ObjectKey& key) {
  absl::MutexLock lock(&mu_);
  if (auto it = known_.find(key); it != known_.end()) it->second.sent_version.clear();
  AnswerAbsent(key);
}

void ObjectForwarder::AnswerAbsent(const dag::ObjectKey& key) {
  stats_.secrets_absent++;
  stats_.deletes++;
  sink_.Delete(kind_, key.first, key.second);
}

bool ObjectForwarder::synced() const {
  absl::MutexLock lock(&mu_);
  return synced_;
}

bool ObjectForwarder::WaitForSynced(absl::Duration timeout) const {
  absl::MutexLock lock(&mu_);
  return mu_.AwaitWithTimeout(absl::Condition(&synced_), timeout);
}

ForwarderStats ObjectForwarder::stats() const {
  absl::MutexLock lock(&mu_);
  return stats_;
}

}  // namespace contour::server
