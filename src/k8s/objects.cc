#include "k8s/objects.h"

#include <type_traits>

namespace contour::k8s {

const char* KindOf(const Object& object) {
  return std::visit(
      [](const auto& o) -> const char* {
        using T = std::decay_t<decltype(o)>;
        if constexpr (std::is_same_v<T, Service>) return "Service";
        if constexpr (std::is_same_v<T, Endpoints>) return "Endpoints";
        if constexpr (std::is_same_v<T, Secret>) return "Secret";
        if constexpr (std::is_same_v<T, Ingress>) return "Ingress";
        if constexpr (std::is_same_v<T, IngressRoute>) return "IngressRoute";
        if constexpr (std::is_same_v<T, TLSCertificateDelegation>) {
          return "TLSCertificateDelegation";
        }
      },
      object);
}

const ObjectMeta& MetaOf(const Object& object) {
  return std::visit([](const auto& o) -> const ObjectMeta& { return o.metadata; }, object);
}

}  // namespace contour::k8s
