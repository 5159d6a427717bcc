#include "server/kubernetes_source.h"

#include <set>
#include <utility>

#include "absl/strings/str_cat.h"
#include "common/stop_wait.h"
#include "nlohmann/json.hpp"
#include "spdlog/spdlog.h"

namespace contour::server {
namespace {

// Newest first (field-anchors: v1.20 serves all three).
constexpr const char* kIngressVersions[] = {"networking.k8s.io/v1", "networking.k8s.io/v1beta1",
                                            "extensions/v1beta1"};

// Secrets that are never TLS material and are often large or numerous: not even sent.
constexpr char kSecretFieldSelector[] =
    "type!=kubernetes.io/service-account-token,type!=helm.sh/release.v1";

constexpr int kFetchAttempts = 3;

}  // namespace

KubernetesSource::KubernetesSource(k8s::ApiClient& client, controller::ObjectSink& sink,
                                   KubernetesSourceOptions options)
    : client_(client), sink_(sink), options_(std::move(options)) {}

KubernetesSource::~KubernetesSource() { Stop(); }

void KubernetesSource::Start() {
  if (thread_.joinable()) return;
  thread_ = std::jthread([this](std::stop_token stop) { Run(stop); });
}

void KubernetesSource::Stop() {
  thread_.request_stop();
  if (thread_.joinable()) thread_.join();
  // Run has returned: nothing adds to watched_ any more.
  std::vector<Watched*> watched;
  {
    absl::MutexLock lock(&mu_);
    for (auto& entry : watched_) watched.push_back(entry.get());
  }
  for (Watched* entry : watched) entry->thread.request_stop();
  for (Watched* entry : watched) {
    if (entry->thread.joinable()) entry->thread.join();
  }
}

void KubernetesSource::SupplySecrets(const std::vector<dag::ObjectKey>& keys) {
  interest_.Add(keys);
  absl::MutexLock lock(&mu_);
  // Before the Secrets are listed too: Run answers these once the lists are complete (the list
  // also asks for the wanted Secrets it sees, but one it read before this call it would miss).
  supply_queue_.insert(supply_queue_.end(), keys.begin(), keys.end());
}

bool KubernetesSource::synced() const {
  absl::MutexLock lock(&mu_);
  return synced_;
}

std::string KubernetesSource::ingress_api_version() const {
  absl::MutexLock lock(&mu_);
  return ingress_api_version_;
}

KubernetesSourceStats KubernetesSource::stats() const {
  KubernetesSourceStats stats;
  std::vector<const Watched*> watched;
  {
    // Not held below: a forwarder calls into the source under its own lock.
    absl::MutexLock lock(&mu_);
    stats.secret_fetches = secret_fetches_;
    for (const auto& entry : watched_) watched.push_back(entry.get());
  }
  for (const Watched* entry : watched) {
    stats.reflectors += entry->reflector->stats();
    stats.forwarded += entry->forwarder->stats();
  }
  return stats;
}

absl::StatusOr<std::string> KubernetesSource::DiscoverIngressVersion() {
  for (const char* version : kIngressVersions) {
    absl::StatusOr<k8s::HttpResponse> response =
        client_.Request("GET", absl::StrCat("/apis/", version));
    if (!response.ok()) return response.status();
    if (response->status == 404) continue;
    if (response->status != 200) {
      return absl::UnavailableError(absl::StrCat("discovery of ", version, ": HTTP ",
                                                 response->status, " ",
                                                 k8s::StatusMessage(response->body)));
    }
    nlohmann::json list = nlohmann::json::parse(response->body, nullptr, false);
    const nlohmann::json resources =
        list.is_object() ? list.value("resources", nlohmann::json()) : nlohmann::json();
    if (!resources.is_array()) continue;
    for (const nlohmann::json& resource : resources) {
      if (resource.is_object() && resource.value("name", "") == "ingresses") return version;
    }
  }
  // None is served: watch Contour v0.15's version, which will say it is not served.
  return std::string("extensions/v1beta1");
}

KubernetesSource::Watched& KubernetesSource::Watch(k8s::ResourceSpec spec) {
  auto entry = std::make_unique<Watched>();
  if (spec.kind == "Secret") {
    spec.metadata_only = true;
    // Called under the forwarder's lock: only queue.
    entry->forwarder = std::make_unique<ObjectForwarder>(spec.kind, sink_, &interest_,
                                                         [this](const dag::ObjectKey& key) {
                                                           absl::MutexLock lock(&mu_);
                                                           supply_queue_.push_back(key);
                                                         });
  } else {
    entry->forwarder = std::make_unique<ObjectForwarder>(spec.kind, sink_);
  }
  entry->reflector = std::make_unique<k8s::Reflector>(client_, std::move(spec), *entry->forwarder,
                                                      options_.reflector);
  Watched& watched = *entry;
  {
    absl::MutexLock lock(&mu_);
    watched_.push_back(std::move(entry));
  }
  k8s::Reflector* reflector = watched.reflector.get();
  watched.thread = std::jthread([reflector](std::stop_token stop) { reflector->Run(stop); });
  return watched;
}

ObjectForwarder* KubernetesSource::SecretForwarderFor(const std::string& namespace_) const {
  absl::MutexLock lock(&mu_);
  const std::vector<std::string>& namespaces = options_.secret_namespaces;
  if (namespaces.empty()) return secret_forwarders_.empty() ? nullptr : secret_forwarders_[0];
  for (size_t i = 0; i < secret_forwarders_.size() && i < namespaces.size(); ++i) {
    if (namespaces[i] == namespace_) return secret_forwarders_[i];
  }
  return nullptr;
}

bool KubernetesSource::WaitForSynced(std::stop_token stop) {
  std::vector<ObjectForwarder*> forwarders;
  {
    absl::MutexLock lock(&mu_);
    for (auto& entry : watched_) forwarders.push_back(entry->forwarder.get());
  }
  for (ObjectForwarder* forwarder : forwarders) {
    while (!forwarder->WaitForSynced(absl::Milliseconds(100))) {
      if (stop.stop_requested()) return false;
    }
  }
  return !stop.stop_requested();
}

void KubernetesSource::Run(std::stop_token stop) {
  // Discovery, retried until it answers.
  Backoff backoff(options_.reflector.backoff);
  std::string ingress_version;
  for (;;) {
    absl::StatusOr<std::string> discovered = DiscoverIngressVersion();
    if (discovered.ok()) {
      ingress_version = *std::move(discovered);
      break;
    }
    spdlog::warn("asking the API server which Ingress versions it serves: {}; retrying",
                 std::string(discovered.status().message()));
    if (!WaitFor(stop, backoff.Next())) return;
  }
  {
    absl::MutexLock lock(&mu_);
    ingress_api_version_ = ingress_version;
  }
  spdlog::info("watching Ingress in {}", ingress_version);

  Watch({"v1", "Service", "services"});
  Watch({"v1", "Endpoints", "endpoints"});
  Watch({ingress_version, "Ingress", "ingresses"});
  Watch({"contour.heptio.com/v1beta1", "IngressRoute", "ingressroutes"});
  Watch({"contour.heptio.com/v1beta1", "TLSCertificateDelegation", "tlscertificatedelegations"});
  if (!WaitForSynced(stop)) return;
  // The cache has them all now; once it has applied them it has asked for the Secrets they
  // reference, so the Secret list can keep exactly those.
  while (!sink_.Flush(absl::Milliseconds(100))) {
    if (stop.stop_requested()) return;
  }

  std::vector<std::string> namespaces = options_.secret_namespaces;
  if (namespaces.empty()) namespaces.push_back("");
  for (const std::string& namespace_ : namespaces) {
    ObjectForwarder* forwarder =
        Watch({"v1", "Secret", "secrets", namespace_, kSecretFieldSelector}).forwarder.get();
    absl::MutexLock lock(&mu_);
    secret_forwarders_.push_back(forwarder);
  }
  if (!WaitForSynced(stop)) return;
  // The Secrets wanted so far, whole, before the first build: it must not serve their hosts
  // without TLS. One that the complete lists lack does not exist: answered without a request.
  std::set<dag::ObjectKey> asked;
  {
    absl::MutexLock lock(&mu_);
    asked.insert(supply_queue_.begin(), supply_queue_.end());
    supply_queue_.clear();
  }
  std::vector<dag::ObjectKey> wanted;
  for (const dag::ObjectKey& key : asked) {
    ObjectForwarder* forwarder = SecretForwarderFor(key.first);
    if (forwarder == nullptr || !forwarder->AnswerIfUnknown(key)) wanted.push_back(key);
  }
  FetchSecrets(stop, wanted);
  if (stop.stop_requested()) return;
  {
    absl::MutexLock lock(&mu_);
    synced_ = true;
  }
  sink_.Synced(kSourceName);
  spdlog::info("every watched kind is listed");

  // Secrets asked for from now on.
  bool stopping = false;
  std::stop_callback wake(stop, [this, &stopping] {
    absl::MutexLock lock(&mu_);
    stopping = true;
  });
  for (;;) {
    std::vector<dag::ObjectKey> keys;
    {
      absl::MutexLock lock(&mu_);
      auto ready = [this, &stopping]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
        return stopping || !supply_queue_.empty();
      };
      mu_.Await(absl::Condition(&ready));
      if (stopping) return;
      keys.swap(supply_queue_);
    }
    FetchSecrets(stop, keys);
  }
}

void KubernetesSource::FetchSecrets(std::stop_token stop,
                                    const std::vector<dag::ObjectKey>& requested) {
  auto forwarder_for = [this](const std::string& namespace_) {
    return SecretForwarderFor(namespace_);
  };
  std::set<dag::ObjectKey> keys(requested.begin(), requested.end());
  std::erase_if(keys, [&](const dag::ObjectKey& key) {
    if (forwarder_for(key.first) != nullptr) return false;
    // Not watched there: never supplied. Said at once, so that no build waits for it.
    sink_.Delete("Secret", key.first, key.second);
    return true;
  });
  if (keys.empty()) return;

  if (keys.size() > options_.secret_list_threshold) {
    // Many at once (say a new namespace full of TLS Ingresses): one list beats a GET each.
    // Whatever the list misses (it failed part-way) is fetched one by one below.
    ListSecrets(keys, forwarder_for);
    if (keys.empty() || stop.stop_requested()) return;
  }

  std::vector<dag::ObjectKey> failed;
  for (const dag::ObjectKey& key : keys) {
    const std::string path = absl::StrCat("/api/v1/namespaces/", k8s::QueryEscape(key.first),
                                          "/secrets/", k8s::QueryEscape(key.second));
    Backoff backoff(options_.reflector.backoff);
    for (int attempt = 1; attempt <= kFetchAttempts; ++attempt) {
      absl::StatusOr<k8s::HttpResponse> response = client_.Request("GET", path);
      if (response.ok() && response->status == 200) {
        nlohmann::json object = nlohmann::json::parse(response->body, nullptr, false);
        {
          absl::MutexLock lock(&mu_);  // counted first: the sink may look as soon as it is sent
          secret_fetches_++;
        }
        if (object.is_object()) {
          object["apiVersion"] = "v1";
          object["kind"] = "Secret";
          forwarder_for(key.first)->Offer(std::move(object));
        }
        break;
      }
      // Not there (yet): said at once; the watch sends it when it appears, for it is wanted now.
      if (response.ok() && response->status == 404) {
        forwarder_for(key.first)->Absent(key);
        break;
      }
      const std::string why = response.ok() ? absl::StrCat("HTTP ", response->status)
                                            : std::string(response.status().message());
      spdlog::warn("fetching Secret {}/{}: {}{}", key.first, key.second, why,
                   attempt < kFetchAttempts ? "; retrying" : "; trying again later");
      if (attempt == kFetchAttempts) failed.push_back(key);
      if (attempt == kFetchAttempts || !WaitFor(stop, backoff.Next())) break;
    }
    if (stop.stop_requested()) return;
  }
  if (failed.empty() || !WaitFor(stop, options_.reflector.backoff.max)) return;
  absl::MutexLock lock(&mu_);
  supply_queue_.insert(supply_queue_.end(), failed.begin(), failed.end());
}

void KubernetesSource::ListSecrets(
    std::set<dag::ObjectKey>& keys,
    const std::function<ObjectForwarder*(const std::string&)>& forwarder_for) {
  std::vector<std::string> namespaces = options_.secret_namespaces;
  if (namespaces.empty()) namespaces.push_back("");
  bool complete = true;
  for (const std::string& namespace_ : namespaces) {
    k8s::ResourceSpec spec{"v1", "Secret", "secrets", namespace_, kSecretFieldSelector};
    std::string continue_token;
    do {
      std::string path =
          absl::StrCat(spec.CollectionPath(),
                       "?limit=100&fieldSelector=", k8s::QueryEscape(kSecretFieldSelector));
      if (!continue_token.empty()) {
        absl::StrAppend(&path, "&continue=", k8s::QueryEscape(continue_token));
      }
      absl::StatusOr<k8s::HttpResponse> response = client_.Request("GET", path);
      nlohmann::json list;
      if (response.ok() && response->status == 200) {
        list = nlohmann::json::parse(response->body, nullptr, false);
      }
      if (!list.is_object() || !list.contains("items") || !list["items"].is_array()) {
        complete = false;
        break;
      }
      for (nlohmann::json& item : list["items"]) {
        if (!item.is_object()) continue;
        const nlohmann::json& metadata = item.value("metadata", nlohmann::json::object());
        dag::ObjectKey key{metadata.value("namespace", ""), metadata.value("name", "")};
        if (keys.erase(key) == 0) continue;
        item["apiVersion"] = "v1";
        item["kind"] = "Secret";
        {
          absl::MutexLock lock(&mu_);  // counted first: the sink may look as soon as it is sent
          secret_fetches_++;
        }
        forwarder_for(key.first)->Offer(std::move(item));
      }
      continue_token = list.value("metadata", nlohmann::json::object()).value("continue", "");
    } while (!continue_token.empty());
  }
  // What complete lists did not have does not exist (yet): said at once; the watch sends it when
  // it appears.
  if (!complete) return;
  for (const dag::ObjectKey& key : keys) forwarder_for(key.first)->Absent(key);
  keys.clear();
}

}  // namespace contour::server
