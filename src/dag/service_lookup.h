// Service port lookup for the builder's processors (Contour's lookupHTTPService /
// lookupTCPService). Each resolved port becomes one shared dag::Service per build, so routes that
// use the same port point at the same node.
#ifndef CONTOUR_DAG_SERVICE_LOOKUP_H_
#define CONTOUR_DAG_SERVICE_LOOKUP_H_

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <tuple>

#include "dag/cache.h"
#include "dag/dag.h"
#include "k8s/objects.h"

namespace contour::dag {

class ServiceLookup {
 public:
  explicit ServiceLookup(const std::map<ObjectKey, std::shared_ptr<const k8s::Service>>& services);

  // The Service port named by `port` (number, or name; a string holding a number also matches
  // that number), as an HTTP upstream: protocol and circuit breakers from the Service's
  // annotations, external name for type ExternalName. Null when the Service or port is missing.
  std::shared_ptr<const Service> LookupHttp(const ObjectKey& service, const k8s::IntOrString& port);

  // The same port as a TCP upstream (tcpproxy): circuit breakers only, HTTP/1 protocol.
  std::shared_ptr<const Service> LookupTcp(const ObjectKey& service, const k8s::IntOrString& port);

 private:
  enum class Kind { kHttp, kTcp };
  std::shared_ptr<const Service> Lookup(const ObjectKey& service, const k8s::IntOrString& port,
                                        Kind kind);

  struct Entry {
    Kind kind;
    std::shared_ptr<const Service> service;
  };
  const std::map<ObjectKey, std::shared_ptr<const k8s::Service>>& services_;
  // (namespace, name, port number) → the node made for it. As in Contour, a numbered lookup
  // that finds the port already made for the other kind yields null (an HTTP route and a
  // tcpproxy cannot share one Service port), while a named lookup replaces it.
  std::map<std::tuple<std::string, std::string, int64_t>, Entry, std::less<>> made_;
};

}  // namespace contour::dag

#endif  // CONTOUR_DAG_SERVICE_LOOKUP_H_
