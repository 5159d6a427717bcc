// The ingress class filter (Contour's getIngressClassAnnotation and KubernetesCache.Insert).
#ifndef CONTOUR_DAG_INGRESS_CLASS_H_
#define CONTOUR_DAG_INGRESS_CLASS_H_

#include <string>

#include "k8s/objects.h"

namespace contour::dag {

inline constexpr char kDefaultIngressClass[] = "contour";

// contour.heptio.com/ingress.class if present (even empty), else kubernetes.io/ingress.class,
// else (Ingress only, beyond v0.15) spec.ingressClassName; "" when none is set.
std::string IngressClassOf(const k8s::Ingress& ingress);
std::string IngressClassOf(const k8s::IngressRoute& route);

// An empty class is always accepted; otherwise it must equal `configured`, or "contour" when
// `configured` is empty.
bool IngressClassAccepted(const std::string& object_class, const std::string& configured);

}  // namespace contour::dag

#endif  // CONTOUR_DAG_INGRESS_CLASS_H_
