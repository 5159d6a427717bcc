// The name rules the API server enforces on metadata (k8s.io/apimachinery validation).
#ifndef CONTOUR_K8S_NAMES_H_
#define CONTOUR_K8S_NAMES_H_

#include <cstddef>
#include <string_view>

namespace contour::k8s {

constexpr size_t kMaxDns1123SubdomainLength = 253;
constexpr size_t kMaxDns1123LabelLength = 63;

// [a-z0-9]([-a-z0-9]*[a-z0-9])?, at most 63 characters (namespaces).
bool IsDns1123Label(std::string_view name);

// Labels joined by '.', at most 253 characters (most object names).
bool IsDns1123Subdomain(std::string_view name);

}  // namespace contour::k8s

#endif  // CONTOUR_K8S_NAMES_H_
