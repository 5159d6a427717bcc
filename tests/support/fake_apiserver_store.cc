#include "tests/support/fake_apiserver_store.h"

#include <unistd.h>

#include <algorithm>
#include <iterator>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"
#include "tests/support/fake_apiserver_resources.h"

namespace contour::testing::fake_apiserver_internal {
namespace {

bool IsSelectorNameChar(char c) {
  return absl::ascii_isalnum(static_cast<unsigned char>(c)) || c == '-' || c == '_' || c == '.' ||
         c == '/';
}

// Splits `text` at commas outside parentheses.
std::vector<absl::string_view> SplitTopLevel(absl::string_view text) {
  std::vector<absl::string_view> parts;
  int depth = 0;
  size_t start = 0;
  for (size_t i = 0; i < text.size(); ++i) {
    if (text[i] == '(') ++depth;
    if (text[i] == ')') --depth;
    if (text[i] == ',' && depth == 0) {
      parts.push_back(text.substr(start, i - start));
      start = i + 1;
    }
  }
  parts.push_back(text.substr(start));
  return parts;
}

bool ValidValue(absl::string_view value) {
  return std::all_of(value.begin(), value.end(), IsSelectorNameChar);
}

}  // namespace

std::string StoreKey(absl::string_view namespace_, absl::string_view name) {
  return namespace_.empty() ? std::string(name) : absl::StrCat(namespace_, "/", name);
}

std::string StoredObject::WithTypeMeta(absl::string_view api_version,
                                       absl::string_view kind) const {
  // apiVersion and kind sort before every other top-level field, so the text stays in the
  // order nlohmann::json writes it.
  std::string out;
  out.reserve(body.size() + api_version.size() + kind.size() + 32);
  absl::StrAppend(&out, "{\"apiVersion\":\"", api_version, "\",\"kind\":\"", kind, "\"");
  if (body.size() > 2) {
    out.push_back(',');
    out.append(body, 1, std::string::npos);
  } else {
    out.push_back('}');
  }
  return out;
}

nlohmann::json StoredObject::Parse() const {
  return nlohmann::json::parse(body, nullptr, /*allow_exceptions=*/false);
}

// ---------------------------------------------------------------------------------------------
// Selectors

absl::StatusOr<LabelSelector> LabelSelector::Parse(absl::string_view text) {
  LabelSelector out;
  if (absl::StripAsciiWhitespace(text).empty()) return out;
  for (absl::string_view part : SplitTopLevel(text)) {
    absl::string_view rest = absl::StripAsciiWhitespace(part);
    auto bad = [&]() {
      return BadRequestError(absl::StrCat("unable to parse requirement: \"", part, "\""));
    };
    Requirement req;
    if (absl::ConsumePrefix(&rest, "!")) {
      rest = absl::StripAsciiWhitespace(rest);
      if (rest.empty() || !ValidValue(rest)) return bad();
      out.requirements_.push_back({std::string(rest), Op::kDoesNotExist, {}});
      continue;
    }
    size_t key_end = 0;
    while (key_end < rest.size() && IsSelectorNameChar(rest[key_end])) ++key_end;
    if (key_end == 0) return bad();
    req.key = std::string(rest.substr(0, key_end));
    rest = absl::StripLeadingAsciiWhitespace(rest.substr(key_end));
    if (rest.empty()) {
      req.op = Op::kExists;
    } else if (absl::ConsumePrefix(&rest, "!=")) {
      req.op = Op::kNotEquals;
    } else if (absl::ConsumePrefix(&rest, "==") || absl::ConsumePrefix(&rest, "=")) {
      req.op = Op::kEquals;
    } else if (absl::StartsWith(rest, "in") || absl::StartsWith(rest, "notin")) {
      req.op = absl::ConsumePrefix(&rest, "notin") ? Op::kNotIn : Op::kIn;
      if (req.op == Op::kIn) absl::ConsumePrefix(&rest, "in");
      rest = absl::StripAsciiWhitespace(rest);
      if (!absl::ConsumePrefix(&rest, "(") || !absl::ConsumeSuffix(&rest, ")")) return bad();
      for (absl::string_view value : SplitTopLevel(rest)) {
        value = absl::StripAsciiWhitespace(value);
        if (!ValidValue(value)) return bad();
        req.values.push_back(std::string(value));
      }
      out.requirements_.push_back(std::move(req));
      continue;
    } else {
      return bad();
    }
    if (req.op == Op::kEquals || req.op == Op::kNotEquals) {
      rest = absl::StripAsciiWhitespace(rest);
      if (!ValidValue(rest)) return bad();
      req.values.push_back(std::string(rest));
    }
    out.requirements_.push_back(std::move(req));
  }
  return out;
}

bool LabelSelector::Matches(const std::vector<std::pair<std::string, std::string>>& labels) const {
  for (const Requirement& req : requirements_) {
    auto it = std::lower_bound(
        labels.begin(), labels.end(), req.key,
        [](const auto& label, const std::string& key) { return label.first < key; });
    const std::string* value = it != labels.end() && it->first == req.key ? &it->second : nullptr;
    auto in_values = [&]() {
      return value != nullptr &&
             std::find(req.values.begin(), req.values.end(), *value) != req.values.end();
    };
    bool ok = false;
    switch (req.op) {
      case Op::kExists:
        ok = value != nullptr;
        break;
      case Op::kDoesNotExist:
        ok = value == nullptr;
        break;
      case Op::kEquals:
      case Op::kIn:
        ok = in_values();
        break;
      case Op::kNotEquals:
      case Op::kNotIn:
        ok = !in_values();
        break;  // absent keys match, as in Kubernetes
    }
    if (!ok) return false;
  }
  return true;
}

absl::StatusOr<FieldSelector> FieldSelector::Parse(absl::string_view text, bool allow_type) {
  FieldSelector out;
  if (absl::StripAsciiWhitespace(text).empty()) return out;
  for (absl::string_view part : absl::StrSplit(text, ',')) {
    part = absl::StripAsciiWhitespace(part);
    Requirement req;
    size_t op = part.find_first_of("!=");
    if (op == absl::string_view::npos || op == 0) {
      return BadRequestError(absl::StrCat("invalid selector: '", text, "'"));
    }
    absl::string_view value;
    if (absl::StartsWith(part.substr(op), "!=")) {
      req.equals = false;
      value = part.substr(op + 2);
    } else if (absl::StartsWith(part.substr(op), "==")) {
      req.equals = true;
      value = part.substr(op + 2);
    } else if (part[op] == '=') {
      req.equals = true;
      value = part.substr(op + 1);
    } else {
      return BadRequestError(absl::StrCat("invalid selector: '", text, "'"));
    }
    req.field = std::string(absl::StripAsciiWhitespace(part.substr(0, op)));
    req.value = std::string(absl::StripAsciiWhitespace(value));
    if (req.field != "metadata.name" && req.field != "metadata.namespace" &&
        !(allow_type && req.field == "type")) {
      return BadRequestError(absl::StrCat("field label not supported: ", req.field));
    }
    out.requirements_.push_back(std::move(req));
  }
  return out;
}

bool FieldSelector::Matches(const StoredObject& object) const {
  for (const Requirement& req : requirements_) {
    const std::string& actual = req.field == "metadata.name"        ? object.name
                                : req.field == "metadata.namespace" ? object.namespace_
                                                                    : object.type;
    if ((actual == req.value) != req.equals) return false;
  }
  return true;
}

bool ObjectFilter::Matches(const StoredObject& object) const {
  if (!namespace_.empty() && object.namespace_ != namespace_) return false;
  return labels.Matches(object.labels) && fields.Matches(object);
}

// ---------------------------------------------------------------------------------------------
// ObjectStore

void ObjectStore::Wake(int fd) {
  uint64_t one = 1;
  [[maybe_unused]] ssize_t ignored = write(fd, &one, sizeof(one));
}

uint64_t ObjectStore::resource_version() const {
  absl::MutexLock lock(&mu_);
  return resource_version_;
}

uint64_t ObjectStore::compacted() const {
  absl::MutexLock lock(&mu_);
  return compacted_;
}

std::shared_ptr<const StoredObject> ObjectStore::Latest(absl::string_view storage,
                                                        absl::string_view key) const {
  absl::MutexLock lock(&mu_);
  auto collection = collections_.find(storage);
  if (collection == collections_.end()) return nullptr;
  auto entry = collection->second.find(key);
  if (entry == collection->second.end() || entry->second.versions.empty()) return nullptr;
  const auto& latest = entry->second.versions.back();
  return latest->deleted ? nullptr : latest;
}

absl::StatusOr<ObjectStore::Page> ObjectStore::List(absl::string_view storage,
                                                    const ObjectFilter& filter,
                                                    absl::string_view start, uint64_t at,
                                                    size_t limit) const {
  absl::MutexLock lock(&mu_);
  if (at != 0 && at < compacted_) {
    return ExpiredError(absl::StrCat("too old resource version: ", at, " (", compacted_, ")"));
  }
  Page page;
  page.resource_version = at != 0 ? at : resource_version_;
  auto collection = collections_.find(storage);
  if (collection == collections_.end()) return page;
  // A namespace's keys are one contiguous range ("ns/...").
  std::string prefix = filter.namespace_.empty() ? "" : absl::StrCat(filter.namespace_, "/");
  absl::string_view from = std::max(start, absl::string_view(prefix));
  for (auto it = collection->second.lower_bound(from); it != collection->second.end(); ++it) {
    if (!absl::StartsWith(it->first, prefix)) break;
    const auto& versions = it->second.versions;
    // The version as of the snapshot: the last one not newer than it.
    auto version = std::find_if(versions.rbegin(), versions.rend(), [&](const auto& v) {
      return v->resource_version <= page.resource_version;
    });
    if (version == versions.rend() || (*version)->deleted || !filter.Matches(**version)) continue;
    if (limit != 0 && page.items.size() == limit) {
      // There is more: the next page starts just after the last item returned.
      page.next_key = absl::StrCat(page.items.back()->key, absl::string_view("\0", 1));
      break;
    }
    page.items.push_back(*version);
  }
  return page;
}

absl::StatusOr<std::shared_ptr<const StoredObject>> ObjectStore::Commit(
    absl::string_view storage, absl::string_view key, uint64_t expected_resource_version,
    nlohmann::json object, bool deletion, nlohmann::json* committed) {
  auto stored = std::make_shared<StoredObject>();
  stored->storage = std::string(storage);
  stored->key = std::string(key);
  stored->deleted = deletion;
  object.erase("apiVersion");
  object.erase("kind");
  const nlohmann::json& metadata = object["metadata"];
  if (metadata.contains("namespace") && metadata["namespace"].is_string()) {
    stored->namespace_ = metadata["namespace"].get<std::string>();
  }
  if (metadata.contains("name") && metadata["name"].is_string()) {
    stored->name = metadata["name"].get<std::string>();
  }
  if (metadata.contains("labels") && metadata["labels"].is_object()) {
    for (const auto& [label, value] : metadata["labels"].items()) {
      if (value.is_string()) stored->labels.emplace_back(label, value.get<std::string>());
    }
    std::sort(stored->labels.begin(), stored->labels.end());
  }
  if (object.contains("type") && object["type"].is_string()) {
    stored->type = object["type"].get<std::string>();
  }

  absl::MutexLock lock(&mu_);
  Collection& collection = collections_[storage];
  auto [slot, inserted] = collection.try_emplace(std::string(key));
  Entry& entry = slot->second;
  std::shared_ptr<const StoredObject> previous;
  if (!entry.versions.empty() && !entry.versions.back()->deleted) previous = entry.versions.back();
  uint64_t current = previous != nullptr ? previous->resource_version : 0;
  if (current != expected_resource_version || (deletion && previous == nullptr)) {
    if (inserted) collection.erase(slot);
    return absl::AbortedError("changed since read");
  }
  stored->resource_version = ++resource_version_;
  object["metadata"]["resourceVersion"] = absl::StrCat(stored->resource_version);
  // Invalid UTF-8 (only possible through the direct API) is replaced rather than thrown.
  stored->body = DumpJson(object);
  stored->metadata_only =
      absl::StrCat(R"({"kind":"PartialObjectMetadata","apiVersion":"meta.k8s.io/v1","metadata":)",
                   DumpJson(object.value("metadata", nlohmann::json::object())), "}");
  if (committed != nullptr) *committed = std::move(object);
  std::shared_ptr<const StoredObject> result = stored;
  entry.versions.push_back(result);
  history_.push_back({result, previous});
  for (auto& [id, watcher] : watchers_) {
    if (watcher.storage != storage) continue;
    watcher.queue.push_back({result, previous, 0});
    Wake(watcher.wake_fd);
  }
  return result;
}

absl::StatusOr<uint64_t> ObjectStore::StartWatch(absl::string_view storage,
                                                 std::optional<uint64_t> from, bool bookmarks,
                                                 int wake_fd, std::vector<WatchItem>* replay) {
  absl::MutexLock lock(&mu_);
  if (from.has_value()) {
    if (*from < compacted_) {
      return ExpiredError(absl::StrCat("too old resource version: ", *from, " (", compacted_, ")"));
    }
    auto first = std::partition_point(history_.begin(), history_.end(), [&](const auto& event) {
      return event.object->resource_version <= *from;
    });
    for (auto it = first; it != history_.end(); ++it) {
      if (it->object->storage == storage) replay->push_back({it->object, it->previous, 0});
    }
  } else if (auto collection = collections_.find(storage); collection != collections_.end()) {
    for (const auto& [key, entry] : collection->second) {
      if (!entry.versions.empty() && !entry.versions.back()->deleted) {
        replay->push_back({entry.versions.back(), nullptr, 0});
      }
    }
  }
  uint64_t id = next_watch_id_++;
  watchers_.emplace(id, Watcher{std::string(storage), wake_fd, bookmarks, {}});
  return id;
}

ObjectStore::WatchBatch ObjectStore::TakeWatchItems(uint64_t id, bool take, bool bookmark) {
  absl::MutexLock lock(&mu_);
  WatchBatch batch;
  auto it = watchers_.find(id);
  if (it == watchers_.end()) {
    batch.end = true;
    return batch;
  }
  Watcher& watcher = it->second;
  batch.cut = watcher.cut;
  batch.mid_event = watcher.mid_event;
  batch.end = watcher.end;
  if (take) {
    batch.items.assign(std::make_move_iterator(watcher.queue.begin()),
                       std::make_move_iterator(watcher.queue.end()));
    watcher.queue.clear();
    // Every change up to now is in the batch, so a bookmark after it tells the truth.
    if (bookmark && watcher.bookmarks) batch.items.push_back({nullptr, nullptr, resource_version_});
  }
  return batch;
}

void ObjectStore::StopWatch(uint64_t id) {
  absl::MutexLock lock(&mu_);
  watchers_.erase(id);
}

size_t ObjectStore::open_watches() const {
  absl::MutexLock lock(&mu_);
  return watchers_.size();
}

bool ObjectStore::WaitForOpenWatches(size_t n, absl::Duration timeout) const {
  absl::MutexLock lock(&mu_);
  auto done = [this, n]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) { return watchers_.size() == n; };
  return mu_.AwaitWithTimeout(absl::Condition(&done), timeout);
}

void ObjectStore::SendBookmarks() {
  absl::MutexLock lock(&mu_);
  for (auto& [id, watcher] : watchers_) {
    if (!watcher.bookmarks) continue;
    watcher.queue.push_back({nullptr, nullptr, resource_version_});
    Wake(watcher.wake_fd);
  }
}

void ObjectStore::CutWatches(bool mid_event, absl::Duration timeout) {
  absl::MutexLock lock(&mu_);
  std::vector<uint64_t> ids;
  for (auto& [id, watcher] : watchers_) {
    watcher.cut = true;
    watcher.mid_event = mid_event;
    ids.push_back(id);
    Wake(watcher.wake_fd);
  }
  auto gone = [&]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
    return std::none_of(ids.begin(), ids.end(),
                        [&](uint64_t id) { return watchers_.contains(id); });
  };
  mu_.AwaitWithTimeout(absl::Condition(&gone), timeout);
}

void ObjectStore::EndWatches(const std::vector<std::string>& storages) {
  absl::MutexLock lock(&mu_);
  for (auto& [id, watcher] : watchers_) {
    if (std::find(storages.begin(), storages.end(), watcher.storage) == storages.end()) continue;
    watcher.end = true;
    Wake(watcher.wake_fd);
  }
}

void ObjectStore::Compact() {
  absl::MutexLock lock(&mu_);
  compacted_ = resource_version_;
  while (!history_.empty() && history_.front().object->resource_version <= compacted_) {
    history_.pop_front();
  }
  // Keep, per key, only the newest version (snapshots at or after the compaction need no more);
  // a key whose newest version is a deletion is gone.
  for (auto& [storage, collection] : collections_) {
    for (auto it = collection.begin(); it != collection.end();) {
      auto& versions = it->second.versions;
      versions.erase(versions.begin(), versions.end() - 1);
      if (versions.back()->deleted) {
        it = collection.erase(it);
      } else {
        ++it;
      }
    }
  }
}

void ObjectStore::Reset() {
  absl::MutexLock lock(&mu_);
  // The reset takes a resourceVersion of its own: a watch from the last one before it must
  // expire too, since the deletions it would need are not in any history.
  compacted_ = ++resource_version_;
  history_.clear();
  collections_.clear();
}

}  // namespace contour::testing::fake_apiserver_internal
