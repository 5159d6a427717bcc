#include "dag/service_lookup.h"

#include <charconv>
#include <string>
#include <tuple>

#include "dag/annotations.h"

namespace contour::dag {
namespace {

// intstr.IntOrString.IntValue(): a string is read as a number (0 when it is not one).
int64_t IntValue(const k8s::IntOrString& port) {
  if (!port.is_string) return port.int_value;
  int64_t value = 0;
  const std::string& s = port.string_value;
  auto [end, error] = std::from_chars(s.data(), s.data() + s.size(), value);
  return error == std::errc() && end == s.data() + s.size() ? value : 0;
}

// intstr.IntOrString.String().
std::string StringValue(const k8s::IntOrString& port) {
  return port.is_string ? port.string_value : std::to_string(port.int_value);
}

}  // namespace

ServiceLookup::ServiceLookup(
    const std::map<ObjectKey, std::shared_ptr<const k8s::Service>>& services)
    : services_(services) {}

std::shared_ptr<const Service> ServiceLookup::LookupHttp(const ObjectKey& service,
                                                         const k8s::IntOrString& port) {
  return Lookup(service, port, Kind::kHttp);
}

std::shared_ptr<const Service> ServiceLookup::LookupTcp(const ObjectKey& service,
                                                        const k8s::IntOrString& port) {
  return Lookup(service, port, Kind::kTcp);
}

std::shared_ptr<const Service> ServiceLookup::Lookup(const ObjectKey& key,
                                                     const k8s::IntOrString& port, Kind kind) {
  if (!port.is_string) {
    auto made = made_.find(std::tie(key.first, key.second, port.int_value));
    if (made != made_.end()) return made->second.kind == kind ? made->second.service : nullptr;
  }
  auto found = services_.find(key);
  if (found == services_.end()) return nullptr;
  const k8s::Service& source = *found->second;
  const int64_t number = IntValue(port);
  const std::string name = StringValue(port);
  for (const k8s::ServicePort& candidate : source.ports) {
    if (candidate.port != number && candidate.name != name) continue;
    Entry& entry = made_[{key.first, key.second, candidate.port}];
    if (entry.service != nullptr && entry.kind == kind) return entry.service;
    auto service = std::make_shared<Service>();
    service->namespace_ = source.metadata.namespace_;
    service->name = source.metadata.name;
    service->port_name = candidate.name;
    service->port = static_cast<int32_t>(candidate.port);
    service->circuit_breakers = CircuitBreakersFor(source.metadata.annotations);
    if (kind == Kind::kHttp) {
      service->protocol =
          UpstreamProtocolFor(source.metadata.annotations, candidate.name, candidate.port);
      if (source.type == "ExternalName") service->external_name = source.external_name;
    }
    entry = Entry{kind, service};
    return service;
  }
  return nullptr;
}

}  // namespace contour::dag
