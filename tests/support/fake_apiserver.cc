#include "tests/support/fake_apiserver.h"

#include <utility>

#include "absl/status/status.h"
#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/string_view.h"
#include "tests/support/fake_apiserver_api.h"
#include "tests/support/fake_apiserver_http.h"
#include "tests/support/fake_apiserver_resources.h"
#include "tests/support/fake_apiserver_store.h"

namespace contour::testing {

namespace internal = fake_apiserver_internal;

namespace {

// The Debian build of Abseil has its own string_view type.
absl::string_view Absl(std::string_view s) { return absl::string_view(s.data(), s.size()); }

// Longest a CutWatches() waits for the watches it cut to close.
constexpr absl::Duration kCutTimeout = absl::Seconds(10);

nlohmann::json ToJson(const internal::StoredObject& object, const internal::ResourceType& type) {
  return nlohmann::json::parse(object.WithTypeMeta(type.api_version(), type.kind), nullptr,
                               /*allow_exceptions=*/false);
}

nlohmann::json WithTypeMeta(nlohmann::json object, const internal::ResourceType& type) {
  object["apiVersion"] = type.api_version();
  object["kind"] = type.kind;
  return object;
}

std::string YamlString(std::string_view text) {
  // A JSON string is a valid YAML double-quoted scalar.
  return internal::DumpJson(nlohmann::json(std::string(text)));
}

}  // namespace

FakeApiServer::FakeApiServer(FakeApiServerOptions options)
    : options_(std::move(options)),
      catalog_(std::make_unique<internal::ResourceCatalog>(
          options_.ingress_versions, options_.ingressroute_status_subresource)),
      store_(std::make_unique<internal::ObjectStore>()),
      state_(std::make_unique<internal::ServerState>(options_.contour_crds,
                                                     options_.max_recorded_body)) {}

FakeApiServer::~FakeApiServer() {
  if (http_ != nullptr) http_->Stop();
}

absl::StatusOr<std::unique_ptr<FakeApiServer>> FakeApiServer::Start(FakeApiServerOptions options) {
  if (options.require_client_cert && !options.tls) {
    return absl::InvalidArgumentError("require_client_cert needs tls");
  }
  std::unique_ptr<FakeApiServer> server(new FakeApiServer(std::move(options)));
  absl::Status status = server->Listen();
  if (!status.ok()) return status;
  return server;
}

absl::Status FakeApiServer::Listen() {
  SSL_CTX* ssl_ctx = nullptr;
  if (options_.tls) {
    absl::StatusOr<TestCerts> certs = MakeTestCerts();
    if (!certs.ok()) return certs.status();
    certs_ = *std::move(certs);
    absl::StatusOr<SSL_CTX*> ctx = internal::MakeServerTlsContext(
        certs_.server_cert_pem, certs_.server_key_pem, certs_.ca_pem, options_.require_client_cert);
    if (!ctx.ok()) return ctx.status();
    ssl_ctx = *ctx;
  }
  http_ = std::make_unique<internal::HttpServer>(
      [this](internal::HttpConnection& conn, internal::HttpRequest& request) {
        return Handle(conn, request);
      },
      ssl_ctx);
  absl::Status status = http_->Listen(options_.port);
  if (!status.ok()) return status;
  port_ = http_->port();
  return absl::OkStatus();
}

bool FakeApiServer::Handle(internal::HttpConnection& conn, internal::HttpRequest& request) {
  state_->Record(request);
  const internal::ApiContext ctx{options_, *catalog_, *store_, *state_, http_->port()};
  return internal::ServeRequest(ctx, conn, request);
}

int FakeApiServer::port() const { return port_; }

std::string FakeApiServer::url() const {
  return absl::StrCat(options_.tls ? "https" : "http", "://127.0.0.1:", port_);
}

const TestCerts& FakeApiServer::certs() const { return certs_; }

std::string FakeApiServer::Kubeconfig(bool with_client_cert) const {
  std::string cluster = absl::StrCat("    server: ", url(), "\n");
  if (options_.tls) {
    absl::StrAppend(&cluster, "    certificate-authority-data: ", absl::Base64Escape(certs_.ca_pem),
                    "\n");
  }
  std::string user;
  if (!options_.token.empty())
    absl::StrAppend(&user, "    token: ", YamlString(options_.token), "\n");
  if (with_client_cert && options_.tls) {
    absl::StrAppend(&user,
                    "    client-certificate-data: ", absl::Base64Escape(certs_.client_cert_pem),
                    "\n", "    client-key-data: ", absl::Base64Escape(certs_.client_key_pem), "\n");
  }
  return absl::StrCat(
      "apiVersion: v1\nkind: Config\nclusters:\n- name: fake-apiserver\n  cluster:\n", cluster,
      "users:\n- name: fake-apiserver\n  user:", user.empty() ? " {}\n" : "\n", user,
      "contexts:\n- name: fake-apiserver\n  context:\n    cluster: fake-apiserver\n"
      "    user: fake-apiserver\n    namespace: default\n"
      "current-context: fake-apiserver\npreferences: {}\n");
}

// ---------------------------------------------------------------------------------------------
// The store, directly

namespace {

absl::StatusOr<const internal::ResourceType*> KindOf(const internal::ResourceCatalog& catalog,
                                                     const internal::ServerState& state,
                                                     absl::string_view api_version,
                                                     absl::string_view kind) {
  const internal::ResourceType* type = catalog.FindKind(api_version, kind);
  if (type == nullptr) {
    return absl::InvalidArgumentError(
        absl::StrCat("unknown kind ", kind, " in apiVersion ", api_version));
  }
  if (internal::ResourceCatalog::IsContourGroup(type->group) && !state.contour_crds()) {
    return absl::FailedPreconditionError(absl::StrCat(kind, ": the CRDs are not installed"));
  }
  return type;
}

std::string Field(const nlohmann::json& object, std::string_view a, std::string_view b = "") {
  auto it = object.find(a);
  if (it == object.end()) return "";
  if (!b.empty()) {
    if (!it->is_object()) return "";
    auto inner = it->find(b);
    return inner != it->end() && inner->is_string() ? inner->get<std::string>() : "";
  }
  return it->is_string() ? it->get<std::string>() : "";
}

}  // namespace

absl::StatusOr<nlohmann::json> FakeApiServer::Create(nlohmann::json object) {
  if (!object.is_object()) return absl::InvalidArgumentError("not a JSON object");
  absl::StatusOr<const internal::ResourceType*> type =
      KindOf(*catalog_, *state_, Field(object, "apiVersion"), Field(object, "kind"));
  if (!type.ok()) return type.status();
  nlohmann::json committed;
  absl::Status status = internal::CreateObject(*store_, **type, "", std::move(object),
                                               internal::WriteMode::kDirect, &committed)
                            .status();
  if (!status.ok()) return status;
  return WithTypeMeta(std::move(committed), **type);
}

absl::StatusOr<nlohmann::json> FakeApiServer::Update(nlohmann::json object) {
  if (!object.is_object()) return absl::InvalidArgumentError("not a JSON object");
  absl::StatusOr<const internal::ResourceType*> type =
      KindOf(*catalog_, *state_, Field(object, "apiVersion"), Field(object, "kind"));
  if (!type.ok()) return type.status();
  std::string name = Field(object, "metadata", "name");
  if (name.empty()) return absl::InvalidArgumentError("metadata.name is required");
  std::string ns;
  if ((*type)->namespaced) {
    ns = Field(object, "metadata", "namespace");
    if (ns.empty()) ns = "default";
  }
  nlohmann::json committed;
  absl::Status status =
      internal::ReplaceObject(*store_, **type, ns, name, std::move(object),
                              internal::WriteMode::kDirect, /*create_if_absent=*/true, &committed)
          .status();
  if (!status.ok()) return status;
  return WithTypeMeta(std::move(committed), **type);
}

absl::Status FakeApiServer::Delete(std::string_view api_version, std::string_view kind,
                                   std::string_view namespace_, std::string_view name) {
  absl::StatusOr<const internal::ResourceType*> type =
      KindOf(*catalog_, *state_, Absl(api_version), Absl(kind));
  if (!type.ok()) return type.status();
  return internal::DeleteObject(*store_, **type, (*type)->namespaced ? Absl(namespace_) : "",
                                Absl(name))
      .status();
}

std::optional<nlohmann::json> FakeApiServer::Get(std::string_view api_version,
                                                 std::string_view kind, std::string_view namespace_,
                                                 std::string_view name) const {
  const internal::ResourceType* type = catalog_->FindKind(Absl(api_version), Absl(kind));
  if (type == nullptr) return std::nullopt;
  std::shared_ptr<const internal::StoredObject> object = store_->Latest(
      type->storage, internal::StoreKey(type->namespaced ? Absl(namespace_) : "", Absl(name)));
  if (object == nullptr) return std::nullopt;
  return ToJson(*object, *type);
}

std::vector<nlohmann::json> FakeApiServer::List(std::string_view api_version,
                                                std::string_view kind) const {
  std::vector<nlohmann::json> out;
  const internal::ResourceType* type = catalog_->FindKind(Absl(api_version), Absl(kind));
  if (type == nullptr) return out;
  absl::StatusOr<internal::ObjectStore::Page> page =
      store_->List(type->storage, internal::ObjectFilter{}, "", 0, 0);
  if (!page.ok()) return out;
  out.reserve(page->items.size());
  for (const auto& item : page->items) out.push_back(ToJson(*item, *type));
  return out;
}

uint64_t FakeApiServer::resource_version() const { return store_->resource_version(); }

void FakeApiServer::SetContourCrds(bool served) {
  state_->set_contour_crds(served);
  if (served) return;
  // As deleting a CRD does: its objects go (watchers see them deleted), then its watches end.
  for (const char* kind : {"IngressRoute", "TLSCertificateDelegation"}) {
    const internal::ResourceType* type = catalog_->FindKind("contour.heptio.com/v1beta1", kind);
    absl::StatusOr<internal::ObjectStore::Page> page =
        store_->List(type->storage, internal::ObjectFilter{}, "", 0, 0);
    if (!page.ok()) continue;
    for (const auto& item : page->items) {
      // Already gone is fine: someone deleted it meanwhile.
      internal::DeleteObject(*store_, *type, item->namespace_, item->name).IgnoreError();
    }
  }
  store_->EndWatches(catalog_->ContourStorages());
}

// ---------------------------------------------------------------------------------------------
// Faults

void FakeApiServer::Compact() { store_->Compact(); }

void FakeApiServer::CutWatches(bool mid_event) { store_->CutWatches(mid_event, kCutTimeout); }

void FakeApiServer::SetStalled(bool stalled) {
  state_->set_stalled(stalled);
  http_->WakeAll();
}

void FakeApiServer::FailRequests(int status, int count, std::string path_substring) {
  state_->AddFailure(status, count, std::move(path_substring));
}

void FakeApiServer::CorruptNext(int count, std::string path_substring) {
  state_->AddCorruption(count, std::move(path_substring));
}

absl::Status FakeApiServer::Restart(bool keep_state) {
  http_->Stop();
  if (!keep_state) store_->Reset();
  return http_->Listen(port_);
}

void FakeApiServer::SendBookmarks() { store_->SendBookmarks(); }

// ---------------------------------------------------------------------------------------------
// Observations

std::vector<FakeApiServer::RequestRecord> FakeApiServer::Requests() const {
  return state_->Requests();
}

void FakeApiServer::ClearRequests() { state_->ClearRequests(); }

bool FakeApiServer::WaitForRequests(size_t n, absl::Duration timeout) const {
  return state_->WaitForRequests(n, timeout);
}

size_t FakeApiServer::open_watches() const { return store_->open_watches(); }

bool FakeApiServer::WaitForOpenWatches(size_t n, absl::Duration timeout) const {
  return store_->WaitForOpenWatches(n, timeout);
}

}  // namespace contour::testing
