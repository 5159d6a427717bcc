// KubernetesCache relevance: Contour's cache_test.go rows (names kept), and the rows where this
// cache goes beyond Contour (marked "beyond_contour": unreferenced Services and Secrets cause no
// rebuild on insert, update or delete, and an unreferenced Secret is not kept).
#include "dag/cache.h"

#include <optional>
#include <ostream>
#include <string>
#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/dag/dag_test_objects.h"

namespace contour::dag {
namespace {

using namespace dagtest;  // NOLINT: test object constructors

enum class Op { kInsert, kUpdate, kRemove };

struct CacheCase {
  std::string name;
  std::vector<k8s::Object> pre;
  Op op;
  k8s::Object object;
  bool want;
  // Checked when set: the secrets held after the operation, and SecretsWanted().
  std::optional<std::vector<ObjectKey>> want_held = std::nullopt;
  std::optional<std::vector<ObjectKey>> want_wanted = std::nullopt;
  std::string ingress_class = "";
};

// gtest prints a failing row by its name rather than its bytes.
void PrintTo(const CacheCase& c, std::ostream* os) { *os << c.name; }

k8s::Ingress IngressWithTls(const std::string& namespace_, const std::string& secret_name) {
  k8s::Ingress ingress;
  ingress.metadata = Meta(namespace_, "www");
  ingress.tls.push_back(Tls({}, secret_name));
  return ingress;
}

k8s::Ingress IngressWithBackend(const std::string& namespace_, const std::string& service) {
  k8s::Ingress ingress;
  ingress.metadata = Meta(namespace_, "www");
  ingress.default_backend = Backend(service, PortNumber(80));
  return ingress;
}

k8s::Ingress IngressWithRule(const std::string& namespace_, const std::string& service) {
  k8s::Ingress ingress;
  ingress.metadata = Meta(namespace_, "www");
  ingress.rules.push_back(Rule("", {Path("/", Backend(service, PortNumber(80)))}));
  return ingress;
}

k8s::Ingress ClassedIngress(const std::string& name, Annotations annotations) {
  k8s::Ingress ingress;
  ingress.metadata = Meta("default", name, std::move(annotations));
  return ingress;
}

k8s::IngressRoute ClassedIngressRoute(const std::string& name, Annotations annotations) {
  k8s::IngressRoute route;
  route.metadata = Meta("default", name, std::move(annotations));
  return route;
}

k8s::IngressRoute RootWithTls(const std::string& namespace_, const std::string& secret_name) {
  k8s::IngressRoute route;
  route.metadata = Meta(namespace_, "simple");
  route.virtualhost = k8s::VirtualHost{"example.com", k8s::TLS{secret_name, "", false}};
  return route;
}

k8s::IngressRoute RouteToService(const std::string& service) {
  k8s::IngressRoute route;
  route.metadata = Meta("default", "kuard");
  k8s::IngressRouteRoute r;
  r.match = "/";
  r.services.push_back(k8s::IngressRouteService{.name = service, .port = 8080});
  route.routes.push_back(r);
  return route;
}

k8s::IngressRoute TcpProxyToService(const std::string& service) {
  k8s::IngressRoute route;
  route.metadata = Meta("default", "kuard");
  route.tcpproxy = k8s::TCPProxy{{k8s::IngressRouteService{.name = service, .port = 8080}}, {}};
  return route;
}

k8s::IngressRoute RouteValidatedBy(const std::string& ca_secret) {
  k8s::IngressRoute route = RouteToService("kuard");
  route.metadata.name = "example-com";
  route.virtualhost = k8s::VirtualHost{"example.com", std::nullopt};
  route.routes[0].services[0].validation = k8s::UpstreamValidation{ca_secret, "example.com"};
  return route;
}

k8s::Object WithResourceVersion(k8s::Object object, const std::string& version) {
  std::visit([&](auto& obj) { obj.metadata.resource_version = version; }, object);
  return object;
}

const ObjectKey kDefaultSecret{"default", "secret"};
const std::vector<ObjectKey> kNone{};

std::vector<CacheCase> Cases() {
  const k8s::Secret secret = TlsSecret("default", "secret");
  k8s::Secret ec_secret = MakeSecret("default", "secret", "kubernetes.io/tls",
                                     {{"tls.crt", Pem("ec.crt")}, {"tls.key", Pem("ec.key")}});
  k8s::Secret blank_ca = secret;
  blank_ca.data["ca.crt"] = "";
  const k8s::Secret invalid = MakeSecret("default", "secret", "kubernetes.io/tls",
                                         {{"tls.crt", "wrong"}, {"tls.key", "wronger"}});
  const k8s::Service service = MakeService("default", "service");
  const k8s::Service kuard = MakeService("default", "kuard", {Port("http", 8080)});
  k8s::IngressRoute status_changed = RouteToService("service");
  status_changed.status = {"valid", "valid IngressRoute"};
  k8s::Service kuard_changed = kuard;
  kuard_changed.ports[0].port = 9090;
  k8s::Ingress nginx_www = IngressWithTls("default", "secret");
  nginx_www.metadata.annotations["kubernetes.io/ingress.class"] = "nginx";

  return {
      // --- Insert: Contour's rows ---
      {"insert_secret", {}, Op::kInsert, secret, false, kNone, kNone},
      {"insert_secret_with_blank_ca_crt_beyond_contour", {}, Op::kInsert, blank_ca, false, kNone},
      {"insert_secret_referenced_by_ingress",
       {IngressWithTls("default", "secret")},
       Op::kInsert,
       secret,
       true,
       std::vector<ObjectKey>{kDefaultSecret},
       kNone},
      {"insert_secret_referenced_by_ingress_with_multiple_pem_blocks",
       {IngressWithTls("default", "secret")},
       Op::kInsert,
       ec_secret,
       true,
       std::vector<ObjectKey>{kDefaultSecret}},
      {"insert_secret_with_wrong_type_referenced_by_ingress",
       {IngressWithTls("default", "secret")},
       Op::kInsert,
       MakeSecret("default", "secret", "banana", {}),
       false,
       kNone,
       kNone},
      {"insert_secret_referenced_by_ingress_via_tls_delegation",
       {IngressWithTls("extra", "default/secret"),
        Delegation("default", "delegation", "secret", {"extra"})},
       Op::kInsert,
       secret,
       true,
       std::vector<ObjectKey>{kDefaultSecret}},
      {"insert_secret_referenced_by_ingress_via_wildcard_tls_delegation",
       {IngressWithTls("extra", "default/secret"),
        Delegation("default", "delegation", "secret", {"*"})},
       Op::kInsert,
       secret,
       true},
      {"insert_secret_referenced_by_ingressroute",
       {RootWithTls("default", "secret")},
       Op::kInsert,
       secret,
       true},
      {"insert_secret_referenced_by_ingressroute_via_tls_delegation",
       {RootWithTls("extra", "default/secret"),
        Delegation("default", "delegation", "secret", {"extra"})},
       Op::kInsert,
       secret,
       true},
      {"insert_secret_referenced_by_ingressroute_via_wildcard_tls_delegation",
       {RootWithTls("extra", "default/secret"),
        Delegation("default", "delegation", "secret", {"*"})},
       Op::kInsert,
       secret,
       true},
      {"insert_certificate_secret_beyond_contour",
       {},
       Op::kInsert,
       CaSecret("default", "ca"),
       false,
       kNone,
       kNone},
      {"insert_certificate_secret_referenced_by_ingressroute",
       {RouteValidatedBy("ca")},
       Op::kInsert,
       CaSecret("default", "ca"),
       true,
       std::vector<ObjectKey>{{"default", "ca"}},
       kNone},
      {"insert_ingress_empty_ingress_class",
       {},
       Op::kInsert,
       ClassedIngress("incorrect", {}),
       true},
      {"insert_ingress_incorrect_kubernetes_ingress_class",
       {},
       Op::kInsert,
       ClassedIngress("incorrect", {{"kubernetes.io/ingress.class", "nginx"}}),
       false},
      {"insert_ingress_incorrect_contour_ingress_class",
       {},
       Op::kInsert,
       ClassedIngress("incorrect", {{"contour.heptio.com/ingress.class", "nginx"}}),
       false},
      {"insert_ingress_explicit_kubernetes_ingress_class",
       {},
       Op::kInsert,
       ClassedIngress("incorrect", {{"kubernetes.io/ingress.class", "contour"}}),
       true},
      {"insert_ingress_explicit_contour_ingress_class",
       {},
       Op::kInsert,
       ClassedIngress("incorrect", {{"contour.heptio.com/ingress.class", "contour"}}),
       true},
      {"insert_ingressroute_empty_ingress_annotation",
       {},
       Op::kInsert,
       ClassedIngressRoute("kuard", {}),
       true},
      {"insert_ingressroute_incorrect_contour_ingress_class",
       {},
       Op::kInsert,
       ClassedIngressRoute("simple", {{"contour.heptio.com/ingress.class", "nginx"}}),
       false},
      {"insert_ingressroute_incorrect_kubernetes_ingress_class",
       {},
       Op::kInsert,
       ClassedIngressRoute("simple", {{"kubernetes.io/ingress.class", "nginx"}}),
       false},
      {"insert_ingressroute_explicit_contour_ingress_class",
       {},
       Op::kInsert,
       ClassedIngressRoute("kuard", {{"contour.heptio.com/ingress.class", "contour"}}),
       true},
      {"insert_ingressroute_explicit_kubernetes_ingress_class",
       {},
       Op::kInsert,
       ClassedIngressRoute("kuard", {{"kubernetes.io/ingress.class", "contour"}}),
       true},
      {"insert_tls_certificate_delegation",
       {},
       Op::kInsert,
       Delegation("default", "delegate", "secret", {}),
       true},
      {"insert_endpoints_is_not_the_caches_business",
       {},
       Op::kInsert,
       k8s::Endpoints{Meta("default", "service"), {}},
       false},
      {"insert_service", {}, Op::kInsert, service, false},
      {"insert_service_referenced_by_ingress_backend",
       {IngressWithBackend("default", "service")},
       Op::kInsert,
       service,
       true},
      {"insert_service_in_different_namespace",
       {IngressWithBackend("kube-system", "service")},
       Op::kInsert,
       service,
       false},
      {"insert_service_referenced_by_ingressroute",
       {RouteToService("service")},
       Op::kInsert,
       service,
       true},
      {"insert_service_referenced_by_ingressroute_tcpproxy",
       {TcpProxyToService("service")},
       Op::kInsert,
       service,
       true},

      // --- Insert: beyond Contour ---
      {"insert_service_referenced_by_ingress_rule",
       {IngressWithRule("default", "service")},
       Op::kInsert,
       service,
       true},
      // Referenced across namespaces without a permitting delegation: kept, so that the
      // builder can tell "not delegated" from "missing" (as v0.15.3, which keeps every secret).
      {"insert_secret_delegated_from_wrong_namespace",
       {IngressWithTls("extra", "default/secret"),
        Delegation("extra", "delegation", "secret", {"extra"})},
       Op::kInsert,
       secret,
       true,
       std::vector<ObjectKey>{{"default", "secret"}},
       kNone},
      {"insert_secret_wildcard_not_sole_target",
       {IngressWithTls("extra", "default/secret"),
        Delegation("default", "delegation", "secret", {"*", "other"})},
       Op::kInsert,
       secret,
       true,
       std::vector<ObjectKey>{{"default", "secret"}}},
      {"insert_secret_unreferenced_ca_on_tls_secret_referenced_elsewhere",
       {IngressWithTls("default", "other")},
       Op::kInsert,
       blank_ca,
       false,
       kNone,
       std::vector<ObjectKey>{{"default", "other"}}},
      {"insert_ingress_class_name_field_rejected",
       {},
       Op::kInsert,
       [] {
         k8s::Ingress ingress = ClassedIngress("www", {});
         ingress.ingress_class_name = "nginx";
         return ingress;
       }(),
       false},
      {"insert_ingress_configured_class",
       {},
       Op::kInsert,
       ClassedIngress("www", {{"kubernetes.io/ingress.class", "internal"}}),
       true,
       std::nullopt,
       std::nullopt,
       "internal"},
      {"insert_ingress_class_changed_away_removes_it",
       {IngressWithTls("default", "secret"), secret},
       Op::kInsert,
       nginx_www,
       true,
       kNone,
       kNone},
      {"insert_ingress_after_secret_wants_it_again",
       {secret},
       Op::kInsert,
       IngressWithTls("default", "secret"),
       true,
       kNone,
       std::vector<ObjectKey>{kDefaultSecret}},
      {"insert_delegation_makes_secret_wanted",
       {IngressWithTls("extra", "default/secret")},
       Op::kInsert,
       Delegation("default", "delegation", "secret", {"extra"}),
       true,
       kNone,
       std::vector<ObjectKey>{kDefaultSecret}},

      // --- Remove: Contour's rows ---
      {"remove_secret",
       {IngressWithTls("default", "secret"), secret},
       Op::kRemove,
       secret,
       true,
       kNone,
       std::vector<ObjectKey>{kDefaultSecret}},
      {"remove_unreferenced_secret_beyond_contour", {secret}, Op::kRemove, secret, false},
      {"remove_service_beyond_contour", {service}, Op::kRemove, service, false},
      {"remove_referenced_service",
       {IngressWithBackend("default", "service"), service},
       Op::kRemove,
       service,
       true},
      {"remove_ingress",
       {ClassedIngress("ingress", {})},
       Op::kRemove,
       ClassedIngress("ingress", {}),
       true},
      {"remove_ingress_incorrect_ingressclass",
       {ClassedIngress("ingress", {{"kubernetes.io/ingress.class", "nginx"}})},
       Op::kRemove,
       ClassedIngress("ingress", {{"kubernetes.io/ingress.class", "nginx"}}),
       false},
      {"remove_ingressroute",
       {ClassedIngressRoute("ingressroute", {})},
       Op::kRemove,
       ClassedIngressRoute("ingressroute", {}),
       true},
      {"remove_ingressroute_incorrect_ingressclass",
       {ClassedIngressRoute("ingressroute", {{"kubernetes.io/ingress.class", "nginx"}})},
       Op::kRemove,
       ClassedIngressRoute("ingressroute", {{"kubernetes.io/ingress.class", "nginx"}}),
       false},
      {"remove_unknown", {}, Op::kRemove, k8s::Endpoints{Meta("default", "service"), {}}, false},

      // --- Remove: beyond Contour ---
      {"remove_ingress_drops_its_secret",
       {IngressWithTls("default", "secret"), secret},
       Op::kRemove,
       IngressWithTls("default", "secret"),
       true,
       kNone,
       kNone},
      {"remove_delegation_keeps_referenced_secret",
       {IngressWithTls("extra", "default/secret"),
        Delegation("default", "delegation", "secret", {"extra"}), secret},
       Op::kRemove,
       Delegation("default", "delegation", "secret", {"extra"}),
       true,
       std::vector<ObjectKey>{{"default", "secret"}},
       kNone},
      {"remove_last_reference_drops_secret",
       {IngressWithTls("extra", "default/secret"),
        Delegation("default", "delegation", "secret", {"extra"}), secret},
       Op::kRemove,
       IngressWithTls("extra", "default/secret"),
       true,
       kNone,
       kNone},
      {"remove_delegation",
       {Delegation("default", "delegation", "secret", {"extra"})},
       Op::kRemove,
       Delegation("default", "delegation", "secret", {"extra"}),
       true},
      {"remove_missing_ingress", {}, Op::kRemove, ClassedIngress("ingress", {}), false},

      // --- Update (beyond Contour unless noted) ---
      {"update_ingress_resource_version_only",
       {IngressWithBackend("default", "service")},
       Op::kUpdate,
       WithResourceVersion(IngressWithBackend("default", "service"), "42"),
       false},
      {"update_ingress_changed",
       {IngressWithBackend("default", "service")},
       Op::kUpdate,
       IngressWithBackend("default", "other"),
       true},
      {"update_ingressroute_status_only",
       {RouteToService("service")},
       Op::kUpdate,
       status_changed,
       false},
      {"update_unreferenced_service", {kuard}, Op::kUpdate, kuard_changed, false},
      {"update_referenced_service",
       {IngressWithBackend("default", "kuard"), kuard},
       Op::kUpdate,
       kuard_changed,
       true},
      {"update_referenced_service_unchanged",
       {IngressWithBackend("default", "kuard"), kuard},
       Op::kUpdate,
       WithResourceVersion(kuard, "7"),
       false},
      {"update_unreferenced_secret", {secret}, Op::kUpdate, ec_secret, false, kNone},
      {"update_referenced_secret",
       {IngressWithTls("default", "secret"), secret},
       Op::kUpdate,
       ec_secret,
       true,
       std::vector<ObjectKey>{kDefaultSecret}},
      {"update_referenced_secret_to_invalid",
       {IngressWithTls("default", "secret"), secret},
       Op::kUpdate,
       invalid,
       true,
       kNone,
       kNone},
      {"update_ingress_class_to_other",
       {IngressWithTls("default", "secret")},
       Op::kUpdate,
       nginx_www,
       true,
       kNone,
       kNone},
      {"update_ingress_to_other_secret_drops_old",
       {IngressWithTls("default", "secret"), secret},
       Op::kUpdate,
       IngressWithTls("default", "secret-b"),
       true,
       kNone,
       std::vector<ObjectKey>{{"default", "secret-b"}}},
      {"update_delegation_narrowed_keeps_referenced_secret",
       {IngressWithTls("extra", "default/secret"),
        Delegation("default", "delegation", "secret", {"extra"}), secret},
       Op::kUpdate,
       Delegation("default", "delegation", "secret", {"other"}),
       true,
       std::vector<ObjectKey>{{"default", "secret"}},
       kNone},
  };
}

class KubernetesCacheTest : public ::testing::TestWithParam<CacheCase> {};

TEST_P(KubernetesCacheTest, TriggersRebuild) {
  const CacheCase& c = GetParam();
  KubernetesCache cache(CacheConfig{c.ingress_class, {}});
  for (const k8s::Object& object : c.pre) cache.Insert(object);
  bool got = false;
  switch (c.op) {
    case Op::kInsert:
      got = cache.Insert(c.object);
      break;
    case Op::kUpdate:
      got = cache.Update(c.object);
      break;
    case Op::kRemove: {
      const k8s::ObjectMeta& meta = k8s::MetaOf(c.object);
      got = cache.Remove(k8s::KindOf(c.object), meta.namespace_, meta.name);
      break;
    }
  }
  EXPECT_EQ(got, c.want);
  if (c.want_held) {
    std::vector<ObjectKey> held;
    for (const auto& [key, secret] : cache.secrets()) held.push_back(key);
    EXPECT_THAT(held, ::testing::ElementsAreArray(*c.want_held));
  }
  if (c.want_wanted) {
    EXPECT_THAT(cache.SecretsWanted(), ::testing::ElementsAreArray(*c.want_wanted));
  }
}

INSTANTIATE_TEST_SUITE_P(Relevance, KubernetesCacheTest, ::testing::ValuesIn(Cases()),
                         [](const auto& info) { return info.param.name; });

TEST(KubernetesCacheTest, RejectedClassChangeRemovesTheIngress) {
  KubernetesCache cache(CacheConfig{});
  ASSERT_TRUE(cache.Insert(ClassedIngress("www", {})));
  EXPECT_TRUE(cache.Update(ClassedIngress("www", {{"kubernetes.io/ingress.class", "nginx"}})));
  EXPECT_TRUE(cache.ingresses().empty());
  // Gone already: a second rejected version changes nothing.
  EXPECT_FALSE(cache.Update(ClassedIngress("www", {{"kubernetes.io/ingress.class", "nginx"}})));
}

TEST(KubernetesCacheTest, ReferencedSecretKeepsItsPayload) {
  KubernetesCache cache(CacheConfig{});
  cache.Insert(IngressWithTls("default", "secret"));
  ASSERT_TRUE(cache.Insert(TlsSecret("default", "secret")));
  ASSERT_EQ(cache.secrets().size(), 1u);
  EXPECT_EQ(cache.secrets().begin()->second->data.at("tls.crt"), Pem("rsa.crt"));
  // Another Ingress sharing the secret keeps it when the first goes away.
  k8s::Ingress second = IngressWithTls("default", "secret");
  second.metadata.name = "second";
  cache.Insert(second);
  EXPECT_TRUE(cache.Remove("Ingress", "default", "www"));
  EXPECT_EQ(cache.secrets().size(), 1u);
  EXPECT_TRUE(cache.Remove("Ingress", "default", "second"));
  EXPECT_TRUE(cache.secrets().empty());
}

TEST(KubernetesCacheTest, InvalidSecretIsWantedAgainAfterDelete) {
  KubernetesCache cache(CacheConfig{});
  cache.Insert(IngressWithTls("default", "secret"));
  EXPECT_FALSE(
      cache.Insert(MakeSecret("default", "secret", "kubernetes.io/tls", {{"tls.crt", "wrong"}})));
  EXPECT_TRUE(cache.SecretsWanted().empty());
  EXPECT_FALSE(cache.Remove("Secret", "default", "secret"));
  EXPECT_THAT(cache.SecretsWanted(), ::testing::ElementsAre(kDefaultSecret));
}

}  // namespace
}  // namespace contour::dag
