#include "k8s/status_writer.h"

#include <set>

#include "absl/strings/str_cat.h"
#include "k8s/api_client.h"
#include "nlohmann/json.hpp"
#include "spdlog/spdlog.h"

namespace contour::k8s {

StatusWriter::StatusWriter(ApiClient& client, StatusWriterOptions options)
    : client_(client),
      options_(options),
      limiter_(options.qps, options.burst, absl::Now()),
      backoff_(options.backoff),
      status_subresource_(options.status_subresource) {}

StatusWriter::~StatusWriter() { Stop(); }

void StatusWriter::Start() {
  absl::MutexLock lock(&mu_);
  if (started_ || stop_) return;
  started_ = true;
  thread_ = std::thread([this] { Run(); });
}

void StatusWriter::Stop() {
  {
    absl::MutexLock lock(&mu_);
    stop_ = true;
    ++changes_;
  }
  if (thread_.joinable()) thread_.join();
}

void StatusWriter::SetWriting(bool allowed) {
  absl::MutexLock lock(&mu_);
  writing_ = allowed;
  ++changes_;
}

void StatusWriter::Update(std::vector<StatusEntry> entries) {
  absl::MutexLock lock(&mu_);
  ++changes_;
  std::set<Key> present;
  for (StatusEntry& entry : entries) {
    Key key{entry.namespace_, entry.name};
    present.insert(key);
    if (entry.desired == entry.observed) {
      pending_.erase(key);
      written_.erase(key);
      continue;
    }
    if (auto it = written_.find(key); it != written_.end()) {
      // Written already; the build has not seen the object change yet.
      if (it->second.desired == entry.desired && it->second.observed == entry.observed) continue;
      written_.erase(it);
    }
    if (in_flight_ == key && in_flight_desired_ == entry.desired) continue;
    auto [it, inserted] = pending_.try_emplace(key);
    if (!inserted && it->second.entry.desired == entry.desired) {
      it->second.entry.observed = entry.observed;  // keep its attempts and retry time
      continue;
    }
    it->second = Pending{std::move(entry)};
  }
  std::erase_if(pending_, [&](const auto& item) { return !present.contains(item.first); });
  std::erase_if(written_, [&](const auto& item) { return !present.contains(item.first); });
}

StatusWriterStats StatusWriter::stats() const {
  absl::MutexLock lock(&mu_);
  return stats_;
}

bool StatusWriter::WaitForIdle(absl::Duration timeout) const {
  absl::MutexLock lock(&mu_);
  auto idle = [this]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
    return stop_ || !writing_ || (pending_.empty() && !in_flight_.has_value());
  };
  return mu_.AwaitWithTimeout(absl::Condition(&idle), timeout);
}

void StatusWriter::Run() {
  for (;;) {
    Pending job;
    {
      absl::MutexLock lock(&mu_);
      for (;;) {
        if (stop_) return;
        const uint64_t seen = changes_;
        auto changed = [this, seen]()
                           ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) { return changes_ != seen; };
        if (!writing_ || pending_.empty()) {
          mu_.Await(absl::Condition(&changed));
          continue;
        }
        auto next = pending_.begin();
        for (auto it = pending_.begin(); it != pending_.end(); ++it) {
          if (it->second.not_before < next->second.not_before) next = it;
        }
        if (next->second.not_before > absl::Now()) {
          mu_.AwaitWithDeadline(absl::Condition(&changed), next->second.not_before);
          continue;
        }
        job = std::move(next->second);
        in_flight_ = next->first;
        in_flight_desired_ = job.entry.desired;
        pending_.erase(next);
        break;
      }
    }

    // The rate limit, waited out without the lock; a stop ends the wait.
    for (absl::Duration wait = limiter_.TryTake(absl::Now()); wait > absl::ZeroDuration();
         wait = limiter_.TryTake(absl::Now())) {
      absl::MutexLock lock(&mu_);
      stats_.throttled++;
      auto stopping = [this]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) { return stop_; };
      if (mu_.AwaitWithTimeout(absl::Condition(&stopping), wait)) return;
    }

    bool retry = false;
    const absl::Status written = Write(job.entry, retry);
    const Key key{job.entry.namespace_, job.entry.name};
    absl::MutexLock lock(&mu_);
    in_flight_.reset();
    if (written.ok()) {
      backoff_.Reset();
      stats_.writes++;
      written_[key] = Written{job.entry.desired, job.entry.observed};
      continue;
    }
    if (!retry) {
      if (absl::IsNotFound(written)) {
        stats_.gone++;
      } else {
        spdlog::error("{}", std::string(written.message()));
        stats_.abandoned++;
      }
      continue;
    }
    if (pending_.contains(key)) continue;  // a newer build wants something else: that goes next
    if (++job.attempts >= options_.max_attempts) {
      spdlog::error("{} (gave up after {} attempts; the next build will try again)",
                    std::string(written.message()), job.attempts);
      stats_.abandoned++;
      continue;
    }
    stats_.retries++;
    spdlog::warn("{}; retrying", std::string(written.message()));
    job.not_before = absl::Now() + backoff_.Next();
    pending_.emplace(key, std::move(job));
  }
}

bool StatusWriter::StatusSubresource() {
  if (status_subresource_.has_value()) return *status_subresource_;
  absl::StatusOr<HttpResponse> response =
      client_.Request("GET", "/apis/contour.heptio.com/v1beta1");
  if (!response.ok() || response->status != 200) return false;  // asked again next time
  const nlohmann::json list = nlohmann::json::parse(response->body, nullptr, false);
  bool found = false;
  if (list.is_object() && list.contains("resources") && list["resources"].is_array()) {
    for (const nlohmann::json& resource : list["resources"]) {
      found =
          found || (resource.is_object() && resource.value("name", "") == "ingressroutes/status");
    }
  }
  status_subresource_ = found;
  spdlog::info("IngressRoute status is written {}",
               found ? "to the status subresource" : "on the object (no status subresource)");
  return found;
}

absl::Status StatusWriter::Write(const StatusEntry& entry, bool& retry) {
  std::string path =
      absl::StrCat("/apis/contour.heptio.com/v1beta1/namespaces/", QueryEscape(entry.namespace_),
                   "/ingressroutes/", QueryEscape(entry.name));
  if (StatusSubresource()) path += "/status";
  const nlohmann::json patch = {{"status",
                                 {{"currentStatus", entry.desired.current_status},
                                  {"description", entry.desired.description}}}};
  RequestOptions request;
  request.timeout = options_.request_timeout;
  request.content_type = "application/merge-patch+json";
  const std::string object = absl::StrCat("IngressRoute ", entry.namespace_, "/", entry.name);
  absl::StatusOr<HttpResponse> response = client_.Request("PATCH", path, patch.dump(), request);
  if (!response.ok()) {
    retry = true;
    return absl::UnavailableError(absl::StrCat("writing the status of ", object, ": ",
                                               std::string(response.status().message())));
  }
  const int code = response->status;
  if (code >= 200 && code < 300) return absl::OkStatus();
  std::string text = absl::StrCat("writing the status of ", object, ": HTTP ", code);
  if (std::string message = StatusMessage(response->body); !message.empty()) {
    absl::StrAppend(&text, ": ", message);
  }
  if (code == 404) return absl::NotFoundError(text);
  retry = code == 409 || code == 429 || code >= 500;
  return absl::UnavailableError(text);
}

}  // namespace contour::k8s
