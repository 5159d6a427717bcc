#include "k8s/reflector.h"

#include <algorithm>
#include <cctype>
#include <charconv>
#include <utility>

#include "absl/strings/str_cat.h"
#include "common/stop_wait.h"
#include "spdlog/spdlog.h"

namespace contour::k8s {
namespace {

// The server ends a watch at timeoutSeconds; the client gives it this long beyond that.
constexpr absl::Duration kWatchGrace = absl::Seconds(30);
constexpr char kMetadataListAccept[] =
    "application/json;as=PartialObjectMetadataList;g=meta.k8s.io;v=v1";
constexpr char kMetadataAccept[] = "application/json;as=PartialObjectMetadata;g=meta.k8s.io;v=v1";
// A watch that ends this soon having delivered nothing is treated as a failure (no hot loop).
constexpr absl::Duration kShortWatch = absl::Seconds(1);

// Retry-After in seconds ("" or a date: none).
absl::Duration ParseRetryAfter(std::string_view value) {
  int seconds = 0;
  auto [end, error] = std::from_chars(value.data(), value.data() + value.size(), seconds);
  if (error != std::errc() || end != value.data() + value.size() || seconds <= 0) {
    return absl::ZeroDuration();
  }
  return absl::Seconds(std::min(seconds, 600));
}

absl::Status HttpError(const ResourceSpec& spec, const std::string& what, const HttpResponse& r) {
  std::string message = StatusMessage(r.body);
  std::string text = absl::StrCat(what, " ", spec.Describe(), ": HTTP ", r.status,
                                  message.empty() ? "" : ": ", message);
  if (r.status == 410) return absl::OutOfRangeError(text);
  if (r.status == 404) return absl::NotFoundError(text);
  return absl::UnavailableError(text);
}

}  // namespace

std::string ResourceSpec::CollectionPath() const {
  std::string path = api_version == "v1" ? "/api/v1" : absl::StrCat("/apis/", api_version);
  if (!namespace_.empty()) absl::StrAppend(&path, "/namespaces/", namespace_);
  absl::StrAppend(&path, "/", resource);
  return path;
}

std::string ResourceSpec::Describe() const {
  std::string text = absl::StrCat(kind, " (", api_version, ")");
  if (!namespace_.empty()) absl::StrAppend(&text, " in namespace ", namespace_);
  return text;
}

Reflector::Reflector(ApiClient& client, ResourceSpec spec, ReflectorHandler& handler,
                     ReflectorOptions options)
    : client_(client),
      spec_(std::move(spec)),
      handler_(handler),
      options_(options),
      backoff_(options.backoff, options.seed),
      random_(options.seed != 0 ? options.seed + 1 : std::random_device()()) {}

ReflectorStats Reflector::stats() const {
  ReflectorStats stats;
  stats.lists = lists_.load();
  stats.relists_expired = relists_expired_.load();
  stats.watches = watches_.load();
  stats.watch_restarts = stats.watches > 0 ? stats.watches - 1 : 0;
  stats.events = events_.load();
  stats.bookmarks = bookmarks_.load();
  stats.errors = errors_.load();
  stats.bad_data = bad_data_.load();
  stats.not_served = not_served_.load();
  return stats;
}

void Reflector::Run(std::stop_token stop) {
  bool need_list = true;
  bool reported_not_served = false;
  std::string resource_version;
  while (!stop.stop_requested()) {
    absl::Duration retry_after = absl::ZeroDuration();
    if (need_list) {
      absl::StatusOr<std::string> listed = List(retry_after);
      if (stop.stop_requested()) return;
      if (listed.ok()) {
        if (reported_not_served) spdlog::info("{} is served now", spec_.Describe());
        reported_not_served = false;
        resource_version = *std::move(listed);
        need_list = false;
        backoff_.Reset();
      } else if (absl::IsNotFound(listed.status())) {
        // Not served: the handler saw an empty list (its objects are gone); look again later.
        if (!reported_not_served) {
          spdlog::warn("{} is not served by the API server (is its CRD installed?); retrying",
                       spec_.Describe());
        }
        reported_not_served = true;
        WaitFor(stop, backoff_.Next());
        continue;
      } else if (absl::IsOutOfRange(listed.status())) {
        relists_expired_++;
        continue;  // the continue token expired: list again from the start, at once
      } else {
        spdlog::warn("{}; retrying", std::string(listed.status().message()));
        WaitFor(stop, std::max(backoff_.Next(), retry_after));
        continue;
      }
    }

    uint64_t delivered = 0;
    const absl::Time started = absl::Now();
    absl::Status watched = Watch(stop, resource_version, delivered, retry_after);
    if (stop.stop_requested() || absl::IsCancelled(watched)) return;
    if (delivered > 0) backoff_.Reset();
    if (watched.ok()) {
      if (delivered == 0 && absl::Now() - started < kShortWatch) WaitFor(stop, backoff_.Next());
      continue;  // the server ended the watch: carry on from where it stopped
    }
    if (absl::IsOutOfRange(watched)) {
      // 410: the version is older than the server's history; only a list can catch up.
      spdlog::info("{}; relisting", std::string(watched.message()));
      relists_expired_++;
      need_list = true;
      continue;
    }
    if (absl::IsDataLoss(watched) || absl::IsNotFound(watched)) need_list = true;
    spdlog::warn("{}; {}", std::string(watched.message()),
                 need_list ? "relisting" : "watching again");
    WaitFor(stop, std::max(backoff_.Next(), retry_after));
  }
}

std::string Reflector::Query(const std::string& first) const {
  std::string query = absl::StrCat("?", first);
  if (!spec_.field_selector.empty()) {
    absl::StrAppend(&query, "&fieldSelector=", QueryEscape(spec_.field_selector));
  }
  if (!spec_.label_selector.empty()) {
    absl::StrAppend(&query, "&labelSelector=", QueryEscape(spec_.label_selector));
  }
  return query;
}

void Reflector::Complete(nlohmann::json& object) const {
  if (!object.contains("apiVersion")) object["apiVersion"] = spec_.api_version;
  if (!object.contains("kind")) object["kind"] = spec_.kind;
}

absl::StatusOr<std::string> Reflector::List(absl::Duration& retry_after) {
  RequestOptions request;
  request.timeout = options_.request_timeout;
  if (spec_.metadata_only) request.accept = kMetadataListAccept;
  std::string continue_token;
  handler_.OnListBegin();
  auto abandon = [&](absl::Status status) -> absl::StatusOr<std::string> {
    handler_.OnListEnd(false);
    errors_++;
    return status;
  };
  for (;;) {
    std::string path =
        spec_.CollectionPath() + Query(absl::StrCat("limit=", std::max(1, spec_.page_size)));
    if (!continue_token.empty()) absl::StrAppend(&path, "&continue=", QueryEscape(continue_token));
    absl::StatusOr<HttpResponse> response = client_.Request("GET", path, "", request);
    if (!response.ok()) {
      return abandon(absl::UnavailableError(absl::StrCat(
          "listing ", spec_.Describe(), ": ", std::string(response.status().message()))));
    }
    if (response->status == 404 && continue_token.empty()) {
      not_served_++;
      handler_.OnListEnd(true);
      return absl::NotFoundError(spec_.Describe());
    }
    if (response->status != 200) {
      retry_after = ParseRetryAfter(response->retry_after);
      return abandon(HttpError(spec_, "listing", *response));
    }
    nlohmann::json list =
        nlohmann::json::parse(response->body, nullptr, /*allow_exceptions=*/false);
    response->body = std::string();  // a page of Secrets can be large: keep one copy at a time
    if (!list.is_object() || !list.contains("items") ||
        !(list["items"].is_array() || list["items"].is_null())) {
      bad_data_++;
      return abandon(absl::DataLossError(
          absl::StrCat("listing ", spec_.Describe(), ": the response is not a list")));
    }
    if (list["items"].is_array()) {
      for (nlohmann::json& item : list["items"]) {
        if (!item.is_object()) continue;
        Complete(item);
        handler_.OnListItem(std::move(item));
      }
    }
    const nlohmann::json& metadata = list.value("metadata", nlohmann::json::object());
    continue_token = metadata.value("continue", "");
    if (continue_token.empty()) {
      std::string resource_version = metadata.value("resourceVersion", "");
      handler_.OnListEnd(true);
      lists_++;
      return resource_version;
    }
  }
}

absl::Duration Reflector::RandomWatchTimeout() {
  const double low = absl::ToDoubleSeconds(options_.min_watch_timeout);
  const double high = std::max(low, absl::ToDoubleSeconds(options_.max_watch_timeout));
  std::uniform_real_distribution<double> seconds(low, high);
  return absl::Seconds(std::max(1.0, std::floor(seconds(random_))));
}

absl::Status Reflector::Watch(std::stop_token stop, std::string& resource_version,
                              uint64_t& delivered, absl::Duration& retry_after) {
  const absl::Duration timeout = RandomWatchTimeout();
  const std::string path = spec_.CollectionPath() +
                           Query(absl::StrCat("watch=1&allowWatchBookmarks=true&resourceVersion=",
                                              QueryEscape(resource_version),
                                              "&timeoutSeconds=", absl::ToInt64Seconds(timeout)));
  watches_++;
  absl::Status line_error;
  RequestOptions request;
  request.timeout = timeout + kWatchGrace;
  if (spec_.metadata_only) request.accept = kMetadataAccept;
  absl::StatusOr<HttpResponse> response =
      client_.Stream(path, request, stop, [&](std::string_view line) {
        if (line.empty()) return true;
        line_error = OnWatchLine(line, resource_version);
        if (!line_error.ok()) return false;
        delivered++;
        return true;
      });
  if (!line_error.ok()) {
    if (!absl::IsOutOfRange(line_error)) errors_++;
    return line_error;
  }
  if (!response.ok()) {
    if (absl::IsCancelled(response.status())) return response.status();
    if (absl::IsDeadlineExceeded(response.status())) return absl::OkStatus();
    errors_++;
    return absl::UnavailableError(absl::StrCat("watching ", spec_.Describe(), ": ",
                                               std::string(response.status().message())));
  }
  if (response->status == 200) return absl::OkStatus();
  retry_after = ParseRetryAfter(response->retry_after);
  if (response->status != 410) errors_++;
  return HttpError(spec_, "watching", *response);
}

absl::Status Reflector::OnWatchLine(std::string_view line, std::string& resource_version) {
  nlohmann::json event = nlohmann::json::parse(line, nullptr, /*allow_exceptions=*/false);
  auto bad = [&](const std::string& why) {
    bad_data_++;
    return absl::DataLossError(absl::StrCat("watching ", spec_.Describe(), ": ", why));
  };
  if (!event.is_object()) return bad("a watch event is not valid JSON");
  const std::string type = event.value("type", "");
  auto object_it = event.find("object");
  if (object_it == event.end() || !object_it->is_object()) return bad("an event has no object");
  nlohmann::json& object = *object_it;
  if (type == "ERROR") {
    const int code = object.value("code", 0);
    std::string text = absl::StrCat("watching ", spec_.Describe(), ": the server said ",
                                    object.value("message", std::string("an error")));
    if (code == 410) return absl::OutOfRangeError(text);
    return absl::UnavailableError(text);
  }
  auto metadata = object.find("metadata");
  std::string version;
  if (metadata != object.end() && metadata->is_object()) {
    version = metadata->value("resourceVersion", "");
  }
  if (type == "BOOKMARK") {
    if (!version.empty()) resource_version = std::move(version);
    bookmarks_++;
    return absl::OkStatus();
  }
  WatchEventType event_type;
  if (type == "ADDED") {
    event_type = WatchEventType::kAdded;
  } else if (type == "MODIFIED") {
    event_type = WatchEventType::kModified;
  } else if (type == "DELETED") {
    event_type = WatchEventType::kDeleted;
  } else {
    return bad(absl::StrCat("unknown event type \"", type, "\""));
  }
  if (version.empty()) return bad("an event's object has no metadata.resourceVersion");
  resource_version = std::move(version);
  Complete(object);
  events_++;
  handler_.OnWatchEvent(event_type, std::move(object));
  return absl::OkStatus();
}

}  // namespace contour::k8s
