#include "dag/ingress_class.h"

#include <optional>

#include "dag/annotations.h"

namespace contour::dag {
namespace {

std::optional<std::string> AnnotatedClass(const k8s::ObjectMeta& metadata) {
  for (const char* key : {kAnnotationContourIngressClass, kAnnotationIngressClass}) {
    if (const std::string* value = FindAnnotation(metadata.annotations, key)) return *value;
  }
  return std::nullopt;
}

}  // namespace

std::string IngressClassOf(const k8s::Ingress& ingress) {
  if (std::optional<std::string> annotated = AnnotatedClass(ingress.metadata)) return *annotated;
  return ingress.ingress_class_name.value_or("");
}

std::string IngressClassOf(const k8s::IngressRoute& route) {
  return AnnotatedClass(route.metadata).value_or("");
}

bool IngressClassAccepted(const std::string& object_class, const std::string& configured) {
  if (object_class.empty()) return true;
  return object_class == (configured.empty() ? std::string(kDefaultIngressClass) : configured);
}

}  // namespace contour::dag
