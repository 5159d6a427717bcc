#include "translate/translate.h"

#include "translate/cluster.h"
#include "translate/listener.h"
#include "translate/route.h"
#include "translate/secret.h"

namespace contour::translate {

Resources Translate(const dag::Dag& dag, const TranslateConfig& config) {
  Resources resources;
  resources.listeners = Listeners(dag, config);
  resources.routes = RouteConfigurations(dag);
  resources.clusters = Clusters(dag, config.config_source);
  resources.secrets = Secrets(dag);
  return resources;
}

}  // namespace contour::translate
