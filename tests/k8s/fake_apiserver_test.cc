// The fake API server against the wire protocol: libcurl for plain requests (and TLS), raw
// sockets where the bytes matter (chunked watches, cut streams, malformed requests).
#include "tests/support/fake_apiserver.h"

#include <arpa/inet.h>
#include <curl/curl.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <limits>
#include <map>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/string_view.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "nlohmann/json.hpp"
#include "tests/support/test_certs.h"

namespace contour::testing {
namespace {

using ::nlohmann::json;
using ::testing::ElementsAre;
using ::testing::HasSubstr;

constexpr absl::Duration kWait = absl::Seconds(10);

// ---------------------------------------------------------------------------------------------
// A small libcurl client; one handle, so connections are reused as curl does in production.

struct Response {
  long status = 0;  // 0: transport error (see error)
  std::string body;
  std::map<std::string, std::string> headers;  // names lower-cased
  std::string error;
  json Json() const { return json::parse(body, nullptr, false); }
};

struct ClientOptions {
  std::string ca_pem;
  std::string cert_pem;
  std::string key_pem;
  std::string token;
  bool new_connections = false;  // a new connection (resuming the TLS session) per request
};

class Client {
 public:
  explicit Client(std::string base, ClientOptions options = {})
      : base_(std::move(base)), options_(std::move(options)), curl_(curl_easy_init()) {}
  ~Client() { curl_easy_cleanup(curl_); }

  Response Get(absl::string_view path) { return Do("GET", path, "", ""); }
  Response Post(absl::string_view path, const json& body) {
    return Do("POST", path, body.dump(), "application/json");
  }
  Response Put(absl::string_view path, const json& body) {
    return Do("PUT", path, body.dump(), "application/json");
  }
  Response Patch(absl::string_view path, const json& body,
                 absl::string_view type = "application/merge-patch+json") {
    return Do("PATCH", path, body.dump(), type);
  }
  Response Delete(absl::string_view path, absl::string_view body = "") {
    return Do("DELETE", path, body, body.empty() ? "" : "application/json");
  }

  Response Do(absl::string_view method, absl::string_view path, absl::string_view body,
              absl::string_view content_type) {
    Response response;
    curl_easy_reset(curl_);
    std::string url = absl::StrCat(base_, path);
    curl_easy_setopt(curl_, CURLOPT_URL, url.c_str());
    std::string method_text(method);
    curl_easy_setopt(curl_, CURLOPT_CUSTOMREQUEST, method_text.c_str());
    curl_easy_setopt(curl_, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(curl_, CURLOPT_TIMEOUT_MS, 10000L);
    std::string body_text(body);
    if (!body.empty() || method == "POST" || method == "PUT" || method == "PATCH") {
      curl_easy_setopt(curl_, CURLOPT_POSTFIELDS, body_text.c_str());
      curl_easy_setopt(curl_, CURLOPT_POSTFIELDSIZE, static_cast<long>(body_text.size()));
    }
    curl_slist* headers = nullptr;
    if (!content_type.empty()) {
      headers = curl_slist_append(headers, absl::StrCat("Content-Type: ", content_type).c_str());
    }
    if (!options_.token.empty()) {
      headers = curl_slist_append(headers,
                                  absl::StrCat("Authorization: Bearer ", options_.token).c_str());
    }
    curl_easy_setopt(curl_, CURLOPT_HTTPHEADER, headers);
    curl_blob ca{options_.ca_pem.data(), options_.ca_pem.size(), CURL_BLOB_COPY};
    curl_blob cert{options_.cert_pem.data(), options_.cert_pem.size(), CURL_BLOB_COPY};
    curl_blob key{options_.key_pem.data(), options_.key_pem.size(), CURL_BLOB_COPY};
    if (!options_.ca_pem.empty()) curl_easy_setopt(curl_, CURLOPT_CAINFO_BLOB, &ca);
    if (!options_.cert_pem.empty()) {
      curl_easy_setopt(curl_, CURLOPT_SSLCERT_BLOB, &cert);
      curl_easy_setopt(curl_, CURLOPT_SSLCERTTYPE, "PEM");
      curl_easy_setopt(curl_, CURLOPT_SSLKEY_BLOB, &key);
      curl_easy_setopt(curl_, CURLOPT_SSLKEYTYPE, "PEM");
    }
    curl_easy_setopt(curl_, CURLOPT_WRITEFUNCTION, &Client::OnBody);
    curl_easy_setopt(curl_, CURLOPT_WRITEDATA, &response.body);
    curl_easy_setopt(curl_, CURLOPT_HEADERFUNCTION, &Client::OnHeader);
    curl_easy_setopt(curl_, CURLOPT_HEADERDATA, &response.headers);
    if (options_.new_connections) curl_easy_setopt(curl_, CURLOPT_FORBID_REUSE, 1L);
    CURLcode code = curl_easy_perform(curl_);
    curl_slist_free_all(headers);
    if (code != CURLE_OK) {
      response.error = curl_easy_strerror(code);
      return response;
    }
    curl_easy_getinfo(curl_, CURLINFO_RESPONSE_CODE, &response.status);
    return response;
  }

 private:
  static size_t OnBody(char* data, size_t size, size_t n, void* user) {
    static_cast<std::string*>(user)->append(data, size * n);
    return size * n;
  }
  static size_t OnHeader(char* data, size_t size, size_t n, void* user) {
    absl::string_view line(data, size * n);
    size_t colon = line.find(':');
    if (colon != absl::string_view::npos) {
      std::string name = absl::AsciiStrToLower(std::string(line.substr(0, colon)));
      std::string value(absl::StripAsciiWhitespace(std::string(line.substr(colon + 1))));
      (*static_cast<std::map<std::string, std::string>*>(user))[name] = value;
    }
    return size * n;
  }

  std::string base_;
  ClientOptions options_;
  CURL* curl_;
};

// ---------------------------------------------------------------------------------------------
// Raw HTTP over a socket, decoding chunked bodies line by line.

class RawConn {
 public:
  explicit RawConn(int port) {
    fd_ = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    addr.sin_port = htons(static_cast<uint16_t>(port));
    if (connect(fd_, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) != 0) {
      close(fd_);
      fd_ = -1;
    }
  }
  ~RawConn() {
    if (fd_ >= 0) close(fd_);
  }
  bool ok() const { return fd_ >= 0; }

  bool Send(absl::string_view data) {
    while (!data.empty()) {
      ssize_t n = send(fd_, data.data(), data.size(), MSG_NOSIGNAL);
      if (n <= 0) return false;
      data.remove_prefix(static_cast<size_t>(n));
    }
    return true;
  }

  void ShutdownWrite() { shutdown(fd_, SHUT_WR); }
  // Reads until the server closes the connection; false on the deadline.
  bool ReadUntilClosed(absl::Time deadline = absl::Now() + kWait) {
    while (!closed_) {
      if (!Fill(deadline) && !closed_) return false;
      buf_.clear();
    }
    return true;
  }

  // Sends a GET for `path` (keep-alive).
  bool SendGet(absl::string_view path) {
    return Send(absl::StrCat("GET ", path, " HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n"));
  }

  // Reads a response head; the status code, or -1. Sets chunked_/content_length_.
  int ReadHead(std::string* head_out = nullptr, absl::Time deadline = absl::Now() + kWait) {
    size_t end;
    while ((end = buf_.find("\r\n\r\n")) == std::string::npos) {
      if (!Fill(deadline)) return -1;
    }
    std::string head = buf_.substr(0, end);
    buf_.erase(0, end + 4);
    if (head_out != nullptr) *head_out = head;
    std::string lower = absl::AsciiStrToLower(head);
    chunked_ = absl::StrContains(lower, "transfer-encoding: chunked");
    content_length_ = 0;
    if (size_t at = lower.find("content-length: "); at != std::string::npos) {
      size_t eol = lower.find("\r\n", at);
      if (!absl::SimpleAtoi(lower.substr(at + 16, eol - at - 16), &content_length_)) return -1;
    }
    ended_ = false;
    chunk_left_ = 0;
    crlf_pending_ = false;
    lines_.clear();
    int code = -1;
    if (head.size() < 12 || !absl::SimpleAtoi(head.substr(9, 3), &code)) return -1;
    return code;
  }

  // The body of a Content-Length response.
  std::string ReadBody(absl::Time deadline = absl::Now() + kWait) {
    while (buf_.size() < content_length_) {
      if (!Fill(deadline)) break;
    }
    std::string body = buf_.substr(0, content_length_);
    buf_.erase(0, std::min(buf_.size(), content_length_));
    return body;
  }

  enum class Next { kLine, kEnd, kClosed, kTimeout };
  // The next '\n'-terminated line of a chunked body.
  Next NextLine(std::string* line, absl::Time deadline = absl::Now() + kWait) {
    for (;;) {
      if (size_t nl = lines_.find('\n'); nl != std::string::npos) {
        *line = lines_.substr(0, nl);
        lines_.erase(0, nl + 1);
        return Next::kLine;
      }
      if (ended_ && !crlf_pending_) return Next::kEnd;
      if (Decode()) continue;
      if (!Fill(deadline)) return closed_ ? Next::kClosed : Next::kTimeout;
    }
  }
  json NextEvent(absl::Time deadline = absl::Now() + kWait) {
    std::string line;
    Next next = NextLine(&line, deadline);
    if (next != Next::kLine) return {{"error", static_cast<int>(next)}};
    return json::parse(line, nullptr, false);
  }
  // Body bytes received that do not (yet) make a line.
  const std::string& partial() const { return lines_; }
  // True if no byte arrives within `d` (a negative check: it cannot fail spuriously).
  bool QuietFor(absl::Duration d) {
    pollfd pfd{fd_, POLLIN, 0};
    return buf_.empty() && poll(&pfd, 1, static_cast<int>(absl::ToInt64Milliseconds(d))) == 0;
  }

 private:
  // Moves decoded chunk data from buf_ to lines_; false if buf_ holds nothing decodable.
  bool Decode() {
    if (crlf_pending_) {
      if (buf_.size() < 2) return false;
      buf_.erase(0, 2);
      crlf_pending_ = false;
      return true;
    }
    if (chunk_left_ == 0) {
      size_t eol = buf_.find("\r\n");
      if (eol == std::string::npos) return false;
      size_t size = std::stoul(buf_.substr(0, eol), nullptr, 16);
      buf_.erase(0, eol + 2);
      if (size == 0) {
        ended_ = true;
        crlf_pending_ = true;  // the empty trailer section
        return true;
      }
      chunk_left_ = size;
      return true;
    }
    if (buf_.empty()) return false;
    size_t n = std::min(chunk_left_, buf_.size());
    lines_.append(buf_, 0, n);
    buf_.erase(0, n);
    chunk_left_ -= n;
    if (chunk_left_ == 0) crlf_pending_ = true;
    return true;
  }

  bool Fill(absl::Time deadline) {
    pollfd pfd{fd_, POLLIN, 0};
    absl::Duration left = deadline - absl::Now();
    if (left < absl::ZeroDuration()) left = absl::ZeroDuration();
    if (poll(&pfd, 1, static_cast<int>(absl::ToInt64Milliseconds(left))) <= 0) return false;
    char data[65536];
    ssize_t n = recv(fd_, data, sizeof(data), 0);
    if (n <= 0) {
      closed_ = true;
      return false;
    }
    buf_.append(data, static_cast<size_t>(n));
    return true;
  }

  int fd_ = -1;
  std::string buf_;
  std::string lines_;
  bool chunked_ = false;
  size_t content_length_ = 0;
  size_t chunk_left_ = 0;
  bool crlf_pending_ = false;
  bool ended_ = false;
  bool closed_ = false;
};

// ---------------------------------------------------------------------------------------------
// Helpers

std::unique_ptr<FakeApiServer> StartServer(FakeApiServerOptions options = {}) {
  absl::StatusOr<std::unique_ptr<FakeApiServer>> server = FakeApiServer::Start(std::move(options));
  EXPECT_TRUE(server.ok()) << server.status();
  return server.ok() ? *std::move(server) : nullptr;
}

json Service(absl::string_view ns, absl::string_view name, json labels = nullptr) {
  json service = {{"apiVersion", "v1"},
                  {"kind", "Service"},
                  {"metadata", {{"namespace", ns}, {"name", name}}},
                  {"spec", {{"ports", {{{"port", 80}}}}}}};
  if (!labels.is_null()) service["metadata"]["labels"] = labels;
  return service;
}

json IngressRoute(absl::string_view name, absl::string_view fqdn) {
  return {{"apiVersion", "contour.heptio.com/v1beta1"},
          {"kind", "IngressRoute"},
          {"metadata", {{"namespace", "default"}, {"name", name}}},
          {"spec", {{"virtualhost", {{"fqdn", fqdn}}}}}};
}

std::string Rv(const json& object) {
  return object["metadata"]["resourceVersion"].get<std::string>();
}

std::vector<std::string> Names(const json& list) {
  std::vector<std::string> names;
  for (const json& item : list["items"]) {
    names.push_back(item["metadata"].value("namespace", "") + "/" +
                    item["metadata"]["name"].get<std::string>());
  }
  return names;
}

// ---------------------------------------------------------------------------------------------
// Discovery

TEST(FakeApiServerTest, Discovery) {
  auto server = StartServer();
  ASSERT_NE(server, nullptr);
  Client client(server->url());

  Response version = client.Get("/version");
  EXPECT_EQ(version.status, 200);
  EXPECT_EQ(version.Json()["major"], "1");

  json api = client.Get("/api").Json();
  EXPECT_EQ(api["kind"], "APIVersions");
  EXPECT_EQ(api["versions"], json({"v1"}));

  json groups = client.Get("/apis").Json();
  EXPECT_EQ(groups["kind"], "APIGroupList");
  std::map<std::string, json> by_name;
  for (const json& group : groups["groups"]) by_name[group["name"]] = group;
  ASSERT_TRUE(by_name.count("networking.k8s.io"));
  EXPECT_EQ(by_name["networking.k8s.io"]["preferredVersion"]["version"], "v1");
  EXPECT_EQ(by_name["networking.k8s.io"]["versions"].size(), 2u);
  EXPECT_TRUE(by_name.count("extensions"));
  EXPECT_TRUE(by_name.count("contour.heptio.com"));
  EXPECT_TRUE(by_name.count("coordination.k8s.io"));

  json core = client.Get("/api/v1").Json();
  EXPECT_EQ(core["kind"], "APIResourceList");
  EXPECT_EQ(core["groupVersion"], "v1");
  bool found_services = false, found_status = false;
  for (const json& resource : core["resources"]) {
    if (resource["name"] == "services") {
      found_services = true;
      EXPECT_EQ(resource["kind"], "Service");
      EXPECT_EQ(resource["namespaced"], true);
      EXPECT_EQ(resource["shortNames"], json({"svc"}));
      EXPECT_THAT(
          resource["verbs"].get<std::vector<std::string>>(),
          ::testing::IsSupersetOf({"get", "list", "watch", "create", "update", "patch", "delete"}));
    }
    if (resource["name"] == "services/status") found_status = true;
    if (resource["name"] == "namespaces") EXPECT_EQ(resource["namespaced"], false);
  }
  EXPECT_TRUE(found_services);
  EXPECT_TRUE(found_status);

  json contour = client.Get("/apis/contour.heptio.com/v1beta1").Json();
  ASSERT_EQ(contour["resources"].size(), 2u);  // no status subresource by default
  EXPECT_EQ(contour["resources"][0]["name"], "ingressroutes");
  EXPECT_EQ(contour["resources"][0]["kind"], "IngressRoute");
  EXPECT_EQ(contour["resources"][1]["name"], "tlscertificatedelegations");
  EXPECT_EQ(client.Get("/apis/networking.k8s.io").Json()["kind"], "APIGroup");

  Response missing = client.Get("/apis/nope.example.com/v1");
  EXPECT_EQ(missing.status, 404);
  EXPECT_EQ(missing.Json()["kind"], "Status");
  EXPECT_EQ(missing.Json()["reason"], "NotFound");
  EXPECT_EQ(client.Get("/api/v1/pods").status, 404);
  EXPECT_EQ(client.Get("/nothing/here").status, 404);
  EXPECT_EQ(client.Get("/api//").status, 404);
  EXPECT_EQ(client.Get("/apis/x/").status, 404);
  EXPECT_EQ(client.Get("/api/v1/namespaces/default/services/a/b/c").status, 404);
  EXPECT_EQ(client.Get("/healthz").body, "ok");
}

TEST(FakeApiServerTest, DiscoveryFollowsOptionsAndCrdInstallation) {
  FakeApiServerOptions options;
  options.ingress_versions = {"extensions/v1beta1"};
  options.contour_crds = false;
  options.ingressroute_status_subresource = true;
  auto server = StartServer(options);
  ASSERT_NE(server, nullptr);
  Client client(server->url());

  EXPECT_EQ(client.Get("/apis/networking.k8s.io/v1").status, 404);
  EXPECT_EQ(client.Get("/apis/networking.k8s.io/v1/ingresses").status, 404);
  EXPECT_EQ(client.Get("/apis/extensions/v1beta1/ingresses").status, 200);
  EXPECT_EQ(client.Get("/apis/contour.heptio.com/v1beta1").status, 404);
  EXPECT_EQ(client.Get("/apis/contour.heptio.com/v1beta1/ingressroutes").status, 404);
  EXPECT_THAT(client.Get("/apis").body, ::testing::Not(HasSubstr("contour.heptio.com")));
  EXPECT_FALSE(server->Create(IngressRoute("a", "a.example.com")).ok());

  server->SetContourCrds(true);
  json contour = client.Get("/apis/contour.heptio.com/v1beta1").Json();
  std::vector<std::string> names;
  for (const json& r : contour["resources"]) names.push_back(r["name"]);
  EXPECT_THAT(names,
              ElementsAre("ingressroutes", "ingressroutes/status", "tlscertificatedelegations"));
  EXPECT_EQ(client.Get("/apis/contour.heptio.com/v1beta1/ingressroutes").status, 200);
  EXPECT_THAT(client.Get("/apis").body, HasSubstr("contour.heptio.com"));
}

// ---------------------------------------------------------------------------------------------
// Objects over HTTP

TEST(FakeApiServerTest, CreateGetReplaceDelete) {
  auto server = StartServer();
  ASSERT_NE(server, nullptr);
  Client client(server->url());
  const std::string collection = "/api/v1/namespaces/default/services";

  Response created = client.Post(collection, Service("default", "web"));
  ASSERT_EQ(created.status, 201) << created.body;
  json object = created.Json();
  EXPECT_EQ(object["kind"], "Service");
  EXPECT_EQ(object["apiVersion"], "v1");
  EXPECT_EQ(Rv(object), "1");
  EXPECT_FALSE(object["metadata"]["uid"].get<std::string>().empty());
  EXPECT_FALSE(object["metadata"]["creationTimestamp"].get<std::string>().empty());
  EXPECT_EQ(server->resource_version(), 1u);

  Response again = client.Post(collection, Service("default", "web"));
  EXPECT_EQ(again.status, 409);
  json status = again.Json();
  EXPECT_EQ(status["kind"], "Status");
  EXPECT_EQ(status["apiVersion"], "v1");
  EXPECT_EQ(status["status"], "Failure");
  EXPECT_EQ(status["reason"], "AlreadyExists");
  EXPECT_EQ(status["code"], 409);
  EXPECT_EQ(status["details"]["name"], "web");
  EXPECT_EQ(status["details"]["kind"], "services");

  EXPECT_EQ(client.Post(collection, Service("other", "web")).status, 400);  // namespace mismatch

  Response got = client.Get(collection + "/web");
  ASSERT_EQ(got.status, 200);
  EXPECT_EQ(got.Json(), object);
  Response missing = client.Get(collection + "/nope");
  EXPECT_EQ(missing.status, 404);
  EXPECT_EQ(missing.Json()["reason"], "NotFound");
  EXPECT_EQ(missing.Json()["message"], "services \"nope\" not found");

  json stale = object;
  stale["metadata"]["resourceVersion"] = "999";
  stale["spec"]["ports"][0]["port"] = 81;
  Response conflict = client.Put(collection + "/web", stale);
  EXPECT_EQ(conflict.status, 409);
  EXPECT_EQ(conflict.Json()["reason"], "Conflict");

  json fresh = object;
  fresh["spec"]["ports"][0]["port"] = 81;
  Response replaced = client.Put(collection + "/web", fresh);
  ASSERT_EQ(replaced.status, 200) << replaced.body;
  EXPECT_EQ(Rv(replaced.Json()), "2");
  EXPECT_EQ(replaced.Json()["metadata"]["uid"], object["metadata"]["uid"]);
  EXPECT_EQ(client.Put(collection + "/nope", Service("default", "nope")).status, 404);

  Response deleted = client.Delete(collection + "/web");
  EXPECT_EQ(deleted.status, 200);
  EXPECT_EQ(deleted.Json()["status"], "Success");
  EXPECT_EQ(client.Get(collection + "/web").status, 404);
  EXPECT_EQ(client.Delete(collection + "/web").status, 404);
  EXPECT_EQ(server->resource_version(), 3u);

  // Cluster-scoped kinds live at /api/v1/namespaces/{name}.
  Response ns = client.Post(
      "/api/v1/namespaces",
      {{"apiVersion", "v1"}, {"kind", "Namespace"}, {"metadata", {{"name", "team-a"}}}});
  EXPECT_EQ(ns.status, 201) << ns.body;
  EXPECT_EQ(client.Get("/api/v1/namespaces/team-a").status, 200);
  EXPECT_EQ(client.Get("/api/v1/namespaces").Json()["items"].size(), 1u);
}

TEST(FakeApiServerTest, IngressIsServedUnderEveryVersion) {
  auto server = StartServer();
  ASSERT_NE(server, nullptr);
  Client client(server->url());
  json ingress = {{"apiVersion", "networking.k8s.io/v1"},
                  {"kind", "Ingress"},
                  {"metadata", {{"name", "web"}}},
                  {"spec", {{"rules", json::array()}}}};
  ASSERT_EQ(client.Post("/apis/networking.k8s.io/v1/namespaces/default/ingresses", ingress).status,
            201);
  json old = client.Get("/apis/extensions/v1beta1/namespaces/default/ingresses/web").Json();
  EXPECT_EQ(old["apiVersion"], "extensions/v1beta1");
  EXPECT_EQ(old["kind"], "Ingress");
  json list = client.Get("/apis/networking.k8s.io/v1beta1/ingresses").Json();
  EXPECT_EQ(list["kind"], "IngressList");
  EXPECT_EQ(list["apiVersion"], "networking.k8s.io/v1beta1");
  EXPECT_THAT(Names(list), ElementsAre("default/web"));
  ASSERT_TRUE(server->Get("extensions/v1beta1", "Ingress", "default", "web").has_value());
}

TEST(FakeApiServerTest, ListPagingSelectorsAndSnapshots) {
  auto server = StartServer();
  ASSERT_NE(server, nullptr);
  Client client(server->url());
  std::vector<std::string> expected;
  for (std::string ns : {"b-ns", "a-ns"}) {
    for (int i = 0; i < 12; ++i) {
      std::string name = absl::StrCat("svc-", i < 10 ? "0" : "", i);
      ASSERT_TRUE(server->Create(Service(ns, name, {{"tier", i % 2 ? "odd" : "even"}})).ok());
      expected.push_back(ns + "/" + name);
    }
  }
  std::sort(expected.begin(), expected.end());

  // Pages of 10, sorted by namespace/name; built-in items carry no kind or apiVersion.
  json first = client.Get("/api/v1/services?limit=10").Json();
  EXPECT_EQ(first["kind"], "ServiceList");
  EXPECT_EQ(first["apiVersion"], "v1");
  EXPECT_EQ(first["metadata"]["resourceVersion"], "24");
  EXPECT_FALSE(first["items"][0].contains("kind"));
  EXPECT_FALSE(first["items"][0].contains("apiVersion"));
  std::string token = first["metadata"]["continue"];
  ASSERT_FALSE(token.empty());

  // Changes after the first page do not show in the rest of this list (a consistent snapshot).
  ASSERT_TRUE(server->Delete("v1", "Service", "b-ns", "svc-11").ok());
  ASSERT_TRUE(server->Create(Service("b-ns", "svc-99")).ok());

  std::vector<std::string> seen = Names(first);
  int pages = 1;
  while (!token.empty()) {
    json page = client.Get("/api/v1/services?limit=10&continue=" + token).Json();
    ASSERT_EQ(page["kind"], "ServiceList") << page.dump();
    EXPECT_EQ(page["metadata"]["resourceVersion"], "24");
    for (const std::string& name : Names(page)) seen.push_back(name);
    token = page["metadata"].value("continue", "");
    ++pages;
  }
  EXPECT_EQ(pages, 3);
  EXPECT_EQ(seen, expected);

  // A new list sees the changes.
  json latest = client.Get("/api/v1/services").Json();
  EXPECT_EQ(latest["metadata"]["resourceVersion"], "26");
  EXPECT_FALSE(latest["metadata"].contains("continue"));
  std::vector<std::string> names = Names(latest);
  EXPECT_EQ(names.size(), 24u);
  EXPECT_TRUE(std::count(names.begin(), names.end(), "b-ns/svc-99"));
  EXPECT_FALSE(std::count(names.begin(), names.end(), "b-ns/svc-11"));

  // Namespaces and selectors.
  EXPECT_EQ(client.Get("/api/v1/namespaces/a-ns/services").Json()["items"].size(), 12u);
  EXPECT_THAT(Names(client.Get("/api/v1/services?fieldSelector=metadata.name%3Dsvc-03").Json()),
              ElementsAre("a-ns/svc-03", "b-ns/svc-03"));
  EXPECT_THAT(Names(client
                        .Get("/api/v1/services?fieldSelector=metadata.name==svc-03,"
                             "metadata.namespace!=a-ns")
                        .Json()),
              ElementsAre("b-ns/svc-03"));
  EXPECT_EQ(client.Get("/api/v1/namespaces/a-ns/services?labelSelector=tier%3Dodd")
                .Json()["items"]
                .size(),
            6u);
  EXPECT_EQ(client.Get("/api/v1/namespaces/a-ns/services?labelSelector=tier!%3Dodd")
                .Json()["items"]
                .size(),
            6u);
  EXPECT_EQ(client.Get("/api/v1/namespaces/a-ns/services?labelSelector=tier+in+(odd,even)")
                .Json()["items"]
                .size(),
            12u);
  EXPECT_EQ(client.Get("/api/v1/services?labelSelector=!tier").Json()["items"].size(), 1u);
  EXPECT_EQ(client.Get("/api/v1/services?fieldSelector=spec.type%3DX").status, 400);
  EXPECT_EQ(client.Get("/api/v1/services?continue=garbage").status, 400);

  // Secrets can be selected by type; custom resources keep kind and apiVersion in lists.
  for (auto [name, type] : {std::pair{"tls", "kubernetes.io/tls"}, std::pair{"tok", "Opaque"}}) {
    ASSERT_TRUE(server
                    ->Create({{"apiVersion", "v1"},
                              {"kind", "Secret"},
                              {"metadata", {{"namespace", "default"}, {"name", name}}},
                              {"type", type}})
                    .ok());
  }
  EXPECT_THAT(Names(client.Get("/api/v1/secrets?fieldSelector=type%3Dkubernetes.io/tls").Json()),
              ElementsAre("default/tls"));
  ASSERT_TRUE(server->Create(IngressRoute("ir", "ir.example.com")).ok());
  json routes = client.Get("/apis/contour.heptio.com/v1beta1/ingressroutes").Json();
  EXPECT_EQ(routes["kind"], "IngressRouteList");
  EXPECT_EQ(routes["items"][0]["kind"], "IngressRoute");
  EXPECT_EQ(routes["items"][0]["apiVersion"], "contour.heptio.com/v1beta1");
}

// ---------------------------------------------------------------------------------------------
// Watches

TEST(FakeApiServerTest, WatchReplaysHistoryThenLiveEventsThenTimesOut) {
  auto server = StartServer();
  ASSERT_NE(server, nullptr);
  ASSERT_TRUE(server->Create(Service("default", "a")).ok());                      // rv 1
  ASSERT_TRUE(server->Create(Service("default", "b")).ok());                      // rv 2
  ASSERT_TRUE(server->Create(IngressRoute("other-kind", "x.example.com")).ok());  // rv 3
  json a = Service("default", "a");
  a["spec"]["ports"][0]["port"] = 8080;
  ASSERT_TRUE(server->Update(a).ok());                                // rv 4
  ASSERT_TRUE(server->Delete("v1", "Service", "default", "b").ok());  // rv 5

  RawConn conn(server->port());
  ASSERT_TRUE(conn.ok());
  ASSERT_TRUE(conn.SendGet("/api/v1/services?watch=1&resourceVersion=1&timeoutSeconds=2"));
  std::string head;
  ASSERT_EQ(conn.ReadHead(&head), 200);
  EXPECT_THAT(absl::AsciiStrToLower(head), HasSubstr("transfer-encoding: chunked"));
  EXPECT_THAT(absl::AsciiStrToLower(head), HasSubstr("content-type: application/json"));

  json added = conn.NextEvent();
  EXPECT_EQ(added["type"], "ADDED");
  EXPECT_EQ(added["object"]["metadata"]["name"], "b");
  EXPECT_EQ(added["object"]["kind"], "Service");
  EXPECT_EQ(added["object"]["apiVersion"], "v1");
  EXPECT_EQ(Rv(added["object"]), "2");
  json modified = conn.NextEvent();
  EXPECT_EQ(modified["type"], "MODIFIED");
  EXPECT_EQ(modified["object"]["spec"]["ports"][0]["port"], 8080);
  EXPECT_EQ(Rv(modified["object"]), "4");
  json deleted = conn.NextEvent();
  EXPECT_EQ(deleted["type"], "DELETED");
  EXPECT_EQ(deleted["object"]["metadata"]["name"], "b");
  EXPECT_EQ(Rv(deleted["object"]), "5");  // the last state, with a new resourceVersion

  ASSERT_TRUE(server->WaitForOpenWatches(1, kWait));
  ASSERT_TRUE(server->Create(Service("default", "c")).ok());
  json live = conn.NextEvent();
  EXPECT_EQ(live["type"], "ADDED");
  EXPECT_EQ(live["object"]["metadata"]["name"], "c");
  EXPECT_EQ(Rv(live["object"]), "6");

  // timeoutSeconds=2: the stream ends with its terminating chunk and the connection stays up.
  std::string line;
  EXPECT_EQ(conn.NextLine(&line), RawConn::Next::kEnd);
  EXPECT_TRUE(server->WaitForOpenWatches(0, kWait));
  ASSERT_TRUE(conn.SendGet("/api/v1/namespaces/default/services/c"));
  EXPECT_EQ(conn.ReadHead(), 200);
}

TEST(FakeApiServerTest, WatchWithoutResourceVersionStartsWithEveryObject) {
  auto server = StartServer();
  ASSERT_NE(server, nullptr);
  ASSERT_TRUE(server->Create(Service("default", "a")).ok());
  ASSERT_TRUE(server->Create(Service("default", "b")).ok());
  ASSERT_TRUE(server->Delete("v1", "Service", "default", "a").ok());
  RawConn conn(server->port());
  ASSERT_TRUE(conn.SendGet("/api/v1/namespaces/default/services?watch=true"));
  ASSERT_EQ(conn.ReadHead(), 200);
  json event = conn.NextEvent();
  EXPECT_EQ(event["type"], "ADDED");
  EXPECT_EQ(event["object"]["metadata"]["name"], "b");
}

TEST(FakeApiServerTest, WatchSelectorsTurnLeavingIntoDeleted) {
  auto server = StartServer();
  ASSERT_NE(server, nullptr);
  RawConn conn(server->port());
  ASSERT_TRUE(conn.SendGet("/api/v1/services?watch=1&resourceVersion=0&labelSelector=app%3Dweb"));
  ASSERT_EQ(conn.ReadHead(), 200);
  ASSERT_TRUE(server->WaitForOpenWatches(1, kWait));
  ASSERT_TRUE(server->Create(Service("default", "x", {{"app", "db"}})).ok());
  ASSERT_TRUE(server->Update(Service("default", "x", {{"app", "web"}})).ok());
  ASSERT_TRUE(server->Update(Service("default", "x", {{"app", "db"}})).ok());
  EXPECT_EQ(conn.NextEvent()["type"], "ADDED");
  json left = conn.NextEvent();
  EXPECT_EQ(left["type"], "DELETED");
  EXPECT_EQ(left["object"]["metadata"]["labels"]["app"], "db");
}

TEST(FakeApiServerTest, Bookmarks) {
  auto server = StartServer();
  ASSERT_NE(server, nullptr);
  ASSERT_TRUE(server->Create(Service("default", "a")).ok());
  RawConn with(server->port()), without(server->port());
  ASSERT_TRUE(with.SendGet("/api/v1/services?watch=1&resourceVersion=1&allowWatchBookmarks=true"));
  ASSERT_TRUE(without.SendGet("/api/v1/services?watch=1&resourceVersion=1"));
  ASSERT_EQ(with.ReadHead(), 200);
  ASSERT_EQ(without.ReadHead(), 200);
  ASSERT_TRUE(server->WaitForOpenWatches(2, kWait));

  server->SendBookmarks();
  json bookmark = with.NextEvent();
  EXPECT_EQ(bookmark, json::parse(R"({"type":"BOOKMARK","object":{"kind":"Service",
                                      "apiVersion":"v1","metadata":{"resourceVersion":"1"}}})"));
  // Events are ordered: the watch that did not ask sees the next change first, no bookmark.
  ASSERT_TRUE(server->Create(Service("default", "b")).ok());
  EXPECT_EQ(without.NextEvent()["type"], "ADDED");
  EXPECT_EQ(with.NextEvent()["type"], "ADDED");

  FakeApiServerOptions periodic;
  periodic.bookmark_interval = absl::Milliseconds(50);
  auto ticking = StartServer(periodic);
  ASSERT_NE(ticking, nullptr);
  RawConn conn(ticking->port());
  ASSERT_TRUE(conn.SendGet("/api/v1/secrets?watch=1&allowWatchBookmarks=1"));
  ASSERT_EQ(conn.ReadHead(), 200);
  json tick = conn.NextEvent();
  EXPECT_EQ(tick["type"], "BOOKMARK");
  EXPECT_EQ(tick["object"]["kind"], "Secret");
}

TEST(FakeApiServerTest, CompactionExpiresOldWatchesListsAndContinueTokens) {
  auto server = StartServer();
  ASSERT_NE(server, nullptr);
  Client client(server->url());
  for (int i = 0; i < 3; ++i) {
    ASSERT_TRUE(server->Create(Service("default", absl::StrCat("s", i))).ok());
  }
  json first = client.Get("/api/v1/services?limit=1").Json();
  std::string token = first["metadata"]["continue"];
  ASSERT_TRUE(server->Delete("v1", "Service", "default", "s2").ok());  // rv 4
  server->Compact();

  Response expired = client.Get("/api/v1/services?limit=1&continue=" + token);
  EXPECT_EQ(expired.status, 410);
  EXPECT_EQ(expired.Json()["reason"], "Expired");
  EXPECT_EQ(expired.Json()["code"], 410);
  EXPECT_EQ(client.Get("/api/v1/services?resourceVersion=2&resourceVersionMatch=Exact").status,
            410);
  EXPECT_EQ(client.Get("/api/v1/services?resourceVersion=4&resourceVersionMatch=Exact").status,
            200);

  RawConn old_watch(server->port());
  ASSERT_TRUE(old_watch.SendGet("/api/v1/services?watch=1&resourceVersion=3"));
  ASSERT_EQ(old_watch.ReadHead(), 200);  // accepted, then told why it ends
  json error = old_watch.NextEvent();
  EXPECT_EQ(error["type"], "ERROR");
  EXPECT_EQ(error["object"]["kind"], "Status");
  EXPECT_EQ(error["object"]["code"], 410);
  EXPECT_EQ(error["object"]["reason"], "Expired");
  std::string line;
  EXPECT_EQ(old_watch.NextLine(&line), RawConn::Next::kEnd);

  // From the compaction point on, history works again.
  RawConn watch(server->port());
  ASSERT_TRUE(watch.SendGet("/api/v1/services?watch=1&resourceVersion=4"));
  ASSERT_EQ(watch.ReadHead(), 200);
  ASSERT_TRUE(server->Create(Service("default", "s9")).ok());
  EXPECT_EQ(watch.NextEvent()["object"]["metadata"]["name"], "s9");
}

TEST(FakeApiServerTest, CutWatchesMidEventAndCleanly) {
  auto server = StartServer();
  ASSERT_NE(server, nullptr);
  ASSERT_TRUE(server->Create(Service("default", "a")).ok());
  for (bool mid_event : {true, false}) {
    SCOPED_TRACE(mid_event);
    RawConn conn(server->port());
    ASSERT_TRUE(conn.SendGet("/api/v1/services?watch=1&resourceVersion=1"));
    ASSERT_EQ(conn.ReadHead(), 200);
    ASSERT_TRUE(server->WaitForOpenWatches(1, kWait));
    server->CutWatches(mid_event);
    EXPECT_EQ(server->open_watches(), 0u);
    std::string line;
    EXPECT_EQ(conn.NextLine(&line), RawConn::Next::kClosed);  // no terminating chunk
    if (mid_event) {
      EXPECT_FALSE(conn.partial().empty());
      EXPECT_TRUE(json::parse(conn.partial(), nullptr, false).is_discarded());
    } else {
      EXPECT_TRUE(conn.partial().empty());
    }
  }
  // A client that re-watches from its last resourceVersion misses nothing.
  ASSERT_TRUE(server->Create(Service("default", "b")).ok());
  RawConn again(server->port());
  ASSERT_TRUE(again.SendGet("/api/v1/services?watch=1&resourceVersion=1"));
  ASSERT_EQ(again.ReadHead(), 200);
  EXPECT_EQ(again.NextEvent()["object"]["metadata"]["name"], "b");
}

TEST(FakeApiServerTest, StallHoldsResponsesUntilUnstalled) {
  auto server = StartServer();
  ASSERT_NE(server, nullptr);
  RawConn watch(server->port());
  ASSERT_TRUE(watch.SendGet("/api/v1/services?watch=1&resourceVersion=0"));
  ASSERT_EQ(watch.ReadHead(), 200);
  ASSERT_TRUE(server->WaitForOpenWatches(1, kWait));

  server->SetStalled(true);
  server->ClearRequests();
  ASSERT_TRUE(server->Create(Service("default", "during-stall")).ok());
  RawConn request(server->port());
  ASSERT_TRUE(request.SendGet("/api/v1/services"));
  ASSERT_TRUE(server->WaitForRequests(1, kWait));  // read, but not answered
  EXPECT_TRUE(watch.QuietFor(absl::Milliseconds(200)));
  EXPECT_TRUE(request.QuietFor(absl::Milliseconds(1)));
  EXPECT_EQ(server->open_watches(), 1u);

  // A watch opened during the stall has not even its response head yet, and can still be cut.
  RawConn stalled_watch(server->port());
  ASSERT_TRUE(stalled_watch.SendGet("/api/v1/secrets?watch=1"));
  ASSERT_TRUE(server->WaitForRequests(2, kWait));
  EXPECT_TRUE(stalled_watch.QuietFor(absl::Milliseconds(1)));

  server->SetStalled(false);
  ASSERT_EQ(stalled_watch.ReadHead(), 200);
  EXPECT_EQ(request.ReadHead(), 200);
  EXPECT_THAT(request.ReadBody(), HasSubstr("during-stall"));
  json event = watch.NextEvent();
  EXPECT_EQ(event["type"], "ADDED");
  EXPECT_EQ(event["object"]["metadata"]["name"], "during-stall");
}

// Writers race watchers that are cut (mid-event or not) and a restart; every watcher re-watches
// from the last resourceVersion it saw and must end with exactly the server's state.
TEST(FakeApiServerTest, ConcurrentWritesCutsAndRewatchesLoseNothing) {
  auto server = StartServer();
  ASSERT_NE(server, nullptr);
  const int port = server->port();
  // Watches start from a real resourceVersion ("0" would mean "any", with synthetic ADDEDs).
  ASSERT_TRUE(server->Create(Service("default", "first")).ok());
  constexpr int kWriters = 3;
  constexpr int kWatchers = 2;
  std::atomic<uint64_t> target{std::numeric_limits<uint64_t>::max()};
  std::vector<std::thread> writers;
  for (int w = 0; w < kWriters; ++w) {
    writers.emplace_back([&server, w] {
      uint32_t seed = 17u + static_cast<uint32_t>(w);
      auto next = [&seed]() { return (seed = seed * 1103515245u + 12345u) >> 8; };
      for (int i = 0; i < 300; ++i) {
        std::string name = absl::StrCat("k", next() % 10);
        if (next() % 3 == 0) {
          server->Delete("v1", "Service", "default", name).IgnoreError();  // may be absent
        } else {
          EXPECT_TRUE(
              server->Update(Service("default", name, {{"writer", absl::StrCat(w, "-", i)}})).ok());
        }
      }
    });
  }
  struct Seen {
    std::map<std::string, std::string> state;  // name -> resourceVersion
    int reconnects = 0;
    std::string failure;
  };
  std::vector<Seen> seen(kWatchers);
  std::vector<std::thread> watchers;
  for (int w = 0; w < kWatchers; ++w) {
    watchers.emplace_back([&, w] {
      Seen& mine = seen[w];
      uint64_t last = 1;
      mine.state["first"] = "1";
      const absl::Time deadline = absl::Now() + absl::Seconds(30);
      while (last < target.load() && absl::Now() < deadline) {
        RawConn conn(port);  // refused while the server restarts: try again
        if (!conn.ok() ||
            !conn.SendGet(absl::StrCat("/api/v1/services?watch=1&resourceVersion=", last)) ||
            conn.ReadHead() != 200) {
          continue;
        }
        ++mine.reconnects;
        std::string line;
        while (last < target.load()) {
          RawConn::Next next = conn.NextLine(&line);
          if (next != RawConn::Next::kLine) {
            if (next == RawConn::Next::kTimeout) mine.failure = "no event for 10 s";
            break;
          }
          json event = json::parse(line, nullptr, false);
          if (event.is_discarded() || event["type"] == "ERROR") {
            mine.failure = "bad event: " + line;
            return;
          }
          std::string name = event["object"]["metadata"]["name"];
          std::string rv = Rv(event["object"]);
          uint64_t value = 0;
          if (!absl::SimpleAtoi(rv, &value) || value <= last) {
            mine.failure = absl::StrCat("resourceVersion ", rv, " after ", last);
            return;
          }
          last = value;
          if (event["type"] == "DELETED") {
            mine.state.erase(name);
          } else {
            mine.state[name] = rv;
          }
        }
        if (!mine.failure.empty()) return;
      }
    });
  }
  for (int cut = 0; cut < 12; ++cut) {
    if (!server->WaitForOpenWatches(kWatchers, kWait)) {
      ADD_FAILURE() << "the watchers did not come back after cut " << cut;
      break;
    }
    if (cut == 6) {
      EXPECT_TRUE(server->Restart(/*keep_state=*/true).ok());
    } else {
      server->CutWatches(/*mid_event=*/cut % 2 == 0);
    }
  }
  for (std::thread& writer : writers) writer.join();
  // A last write that every watcher must see: then it has seen everything before it too. Its
  // resourceVersion (the writers are done: the next one) is the target before it is written, or
  // a watcher could see it while the target is still unset, and wait for more.
  target = server->resource_version() + 1;
  absl::StatusOr<json> last = server->Create(Service("default", "last"));
  uint64_t final_rv = 0;
  EXPECT_TRUE(last.ok() && absl::SimpleAtoi(Rv(*last), &final_rv));
  EXPECT_EQ(final_rv, target.load());
  for (std::thread& watcher : watchers) watcher.join();

  std::map<std::string, std::string> expected;
  for (const json& service : server->List("v1", "Service")) {
    expected[service["metadata"]["name"]] = Rv(service);
  }
  for (const Seen& mine : seen) {
    EXPECT_EQ(mine.failure, "");
    EXPECT_EQ(mine.state, expected);
    EXPECT_GE(mine.reconnects, 2);
  }
}

// ---------------------------------------------------------------------------------------------
// Injected failures

TEST(FakeApiServerTest, FailRequestsAnswersWithStatus) {
  auto server = StartServer();
  ASSERT_NE(server, nullptr);
  Client client(server->url());
  server->FailRequests(500, 2, "/services");
  EXPECT_EQ(client.Get("/api/v1/secrets").status, 200);  // another path is not affected
  for (int i = 0; i < 2; ++i) {
    Response failed = client.Get("/api/v1/services");
    EXPECT_EQ(failed.status, 500);
    EXPECT_EQ(failed.Json()["kind"], "Status");
    EXPECT_EQ(failed.Json()["reason"], "InternalError");
    EXPECT_EQ(failed.Json()["code"], 500);
  }
  EXPECT_EQ(client.Get("/api/v1/services").status, 200);

  server->FailRequests(429, 1);
  Response throttled = client.Get("/api/v1/services?watch=1");
  EXPECT_EQ(throttled.status, 429);
  EXPECT_EQ(throttled.headers["retry-after"], "1");
  EXPECT_EQ(throttled.Json()["reason"], "TooManyRequests");
}

TEST(FakeApiServerTest, CorruptNextBreaksListBodiesAndWatchEvents) {
  auto server = StartServer();
  ASSERT_NE(server, nullptr);
  Client client(server->url());
  ASSERT_TRUE(server->Create(Service("default", "a")).ok());
  server->CorruptNext(1, "/api/v1/services");
  Response corrupt = client.Get("/api/v1/services");
  EXPECT_EQ(corrupt.status, 200);
  EXPECT_TRUE(corrupt.Json().is_discarded());
  EXPECT_FALSE(client.Get("/api/v1/services").Json().is_discarded());

  server->CorruptNext(1, "watch");
  RawConn conn(server->port());
  ASSERT_TRUE(conn.SendGet("/api/v1/services?watch=1&resourceVersion=0"));
  ASSERT_EQ(conn.ReadHead(), 200);
  std::string line;
  ASSERT_EQ(conn.NextLine(&line), RawConn::Next::kLine);
  EXPECT_TRUE(json::parse(line, nullptr, false).is_discarded()) << line;
  ASSERT_TRUE(server->Create(Service("default", "b")).ok());
  EXPECT_EQ(conn.NextEvent()["object"]["metadata"]["name"], "b");
}

TEST(FakeApiServerTest, RestartKeepingState) {
  auto server = StartServer();
  ASSERT_NE(server, nullptr);
  int port = server->port();
  ASSERT_TRUE(server->Create(Service("default", "a")).ok());
  RawConn watch(port);
  ASSERT_TRUE(watch.SendGet("/api/v1/services?watch=1&resourceVersion=1"));
  ASSERT_EQ(watch.ReadHead(), 200);
  ASSERT_TRUE(server->WaitForOpenWatches(1, kWait));

  ASSERT_TRUE(server->Restart(/*keep_state=*/true).ok());
  EXPECT_EQ(server->port(), port);
  std::string line;
  EXPECT_EQ(watch.NextLine(&line), RawConn::Next::kClosed);
  EXPECT_EQ(server->open_watches(), 0u);
  ASSERT_TRUE(server->Create(Service("default", "b")).ok());

  Client client(server->url());
  EXPECT_EQ(Names(client.Get("/api/v1/services").Json()).size(), 2u);
  RawConn rewatch(port);
  ASSERT_TRUE(rewatch.SendGet("/api/v1/services?watch=1&resourceVersion=1"));
  ASSERT_EQ(rewatch.ReadHead(), 200);
  EXPECT_EQ(rewatch.NextEvent()["object"]["metadata"]["name"], "b");
}

TEST(FakeApiServerTest, RestartLosingState) {
  auto server = StartServer();
  ASSERT_NE(server, nullptr);
  ASSERT_TRUE(server->Create(Service("default", "a")).ok());
  ASSERT_TRUE(server->Create(Service("default", "b")).ok());
  ASSERT_TRUE(server->Restart(/*keep_state=*/false).ok());
  EXPECT_GT(server->resource_version(), 2u);
  EXPECT_FALSE(server->Get("v1", "Service", "default", "a").has_value());

  Client client(server->url());
  json list = client.Get("/api/v1/services").Json();
  EXPECT_TRUE(list["items"].empty());
  uint64_t rv = 0;
  ASSERT_TRUE(absl::SimpleAtoi(list["metadata"]["resourceVersion"].get<std::string>(), &rv));
  EXPECT_GT(rv, 2u);
  RawConn watch(server->port());
  ASSERT_TRUE(watch.SendGet("/api/v1/services?watch=1&resourceVersion=2"));
  ASSERT_EQ(watch.ReadHead(), 200);
  EXPECT_EQ(watch.NextEvent()["object"]["code"], 410);
}

// ---------------------------------------------------------------------------------------------
// Patches and the status subresource

TEST(FakeApiServerTest, MergePatchConflictsAndStatusSubresource) {
  FakeApiServerOptions options;
  options.ingressroute_status_subresource = true;
  auto server = StartServer(options);
  ASSERT_NE(server, nullptr);
  Client client(server->url());
  const std::string path = "/apis/contour.heptio.com/v1beta1/namespaces/default/ingressroutes/r";
  absl::StatusOr<json> created = server->Create(IngressRoute("r", "old.example.com"));
  ASSERT_TRUE(created.ok());
  std::string rv = Rv(*created);

  // The main resource ignores .status; the subresource changes only .status.
  Response patched = client.Patch(path, {{"spec", {{"virtualhost", {{"fqdn", "new.example.com"}}}}},
                                         {"status", {{"currentStatus", "ignored"}}}});
  ASSERT_EQ(patched.status, 200) << patched.body;
  EXPECT_EQ(patched.Json()["spec"]["virtualhost"]["fqdn"], "new.example.com");
  EXPECT_FALSE(patched.Json().contains("status"));
  EXPECT_EQ(patched.Json()["metadata"]["generation"], 2);

  Response status = client.Patch(
      path + "/status",
      {{"spec", {{"virtualhost", {{"fqdn", "ignored.example.com"}}}}},
       {"status", {{"currentStatus", "valid"}, {"description", "valid IngressRoute"}}}});
  ASSERT_EQ(status.status, 200) << status.body;
  EXPECT_EQ(status.Json()["spec"]["virtualhost"]["fqdn"], "new.example.com");
  EXPECT_EQ(status.Json()["status"]["currentStatus"], "valid");
  EXPECT_EQ(status.Json()["metadata"]["generation"], 2);
  std::string status_rv = Rv(status.Json());

  // A resourceVersion in the patch is a precondition.
  Response conflict = client.Patch(path + "/status", {{"metadata", {{"resourceVersion", rv}}},
                                                      {"status", {{"currentStatus", "invalid"}}}});
  EXPECT_EQ(conflict.status, 409);
  EXPECT_EQ(conflict.Json()["reason"], "Conflict");
  Response matched = client.Patch(path + "/status", {{"metadata", {{"resourceVersion", status_rv}}},
                                                     {"status", {{"currentStatus", "invalid"}}}});
  EXPECT_EQ(matched.status, 200) << matched.body;

  // A patch that changes nothing writes nothing.
  uint64_t before = server->resource_version();
  EXPECT_EQ(client.Patch(path + "/status", {{"status", {{"currentStatus", "invalid"}}}}).status,
            200);
  EXPECT_EQ(server->resource_version(), before);

  // PUT on /status takes only .status; PUT on the object keeps it.
  json object = client.Get(path).Json();
  object["status"] = {{"currentStatus", "valid"}};
  object["spec"]["virtualhost"]["fqdn"] = "put.example.com";
  Response put_status = client.Put(path + "/status", object);
  ASSERT_EQ(put_status.status, 200) << put_status.body;
  EXPECT_EQ(put_status.Json()["status"]["currentStatus"], "valid");
  EXPECT_EQ(put_status.Json()["spec"]["virtualhost"]["fqdn"], "new.example.com");
  object = put_status.Json();
  object["status"] = {{"currentStatus", "dropped"}};
  Response put_main = client.Put(path, object);
  ASSERT_EQ(put_main.status, 200) << put_main.body;
  EXPECT_EQ(put_main.Json()["status"]["currentStatus"], "valid");

  // Other patch types.
  Response json_patch =
      client.Patch(path, json::parse(R"([{"op":"replace","path":"/spec/virtualhost/fqdn",
                                          "value":"jp.example.com"}])"),
                   "application/json-patch+json");
  EXPECT_EQ(json_patch.status, 200) << json_patch.body;
  EXPECT_EQ(json_patch.Json()["spec"]["virtualhost"]["fqdn"], "jp.example.com");
  EXPECT_EQ(client.Patch(path, {{"spec", {}}}, "application/strategic-merge-patch+json").status,
            415);
  EXPECT_EQ(client.Patch(path + "x", {{"spec", {}}}).status, 404);

  // The record shows what a status writer sent.
  std::vector<FakeApiServer::RequestRecord> requests = server->Requests();
  ASSERT_FALSE(requests.empty());
  EXPECT_EQ(requests[1].method, "PATCH");
  EXPECT_EQ(requests[1].path, path + "/status");
  EXPECT_EQ(requests[1].content_type, "application/merge-patch+json");
  EXPECT_THAT(requests[1].body, HasSubstr("valid IngressRoute"));
}

TEST(FakeApiServerTest, WithoutStatusSubresourceStatusIsPartOfTheObject) {
  auto server = StartServer();
  ASSERT_NE(server, nullptr);
  Client client(server->url());
  const std::string path = "/apis/contour.heptio.com/v1beta1/namespaces/default/ingressroutes/r";
  ASSERT_TRUE(server->Create(IngressRoute("r", "r.example.com")).ok());
  EXPECT_EQ(client.Patch(path + "/status", {{"status", {{"currentStatus", "valid"}}}}).status, 404);
  Response patched = client.Patch(path, {{"status", {{"currentStatus", "valid"}}}});
  ASSERT_EQ(patched.status, 200);
  EXPECT_EQ(patched.Json()["status"]["currentStatus"], "valid");
  EXPECT_EQ(patched.Json()["metadata"]["generation"], 1);  // status is not spec
}

// ---------------------------------------------------------------------------------------------
// Authentication and TLS

TEST(FakeApiServerTest, TokenIsRequired) {
  FakeApiServerOptions options;
  options.token = "s3cret";
  auto server = StartServer(options);
  ASSERT_NE(server, nullptr);
  Response anonymous = Client(server->url()).Get("/api/v1/services");
  EXPECT_EQ(anonymous.status, 401);
  EXPECT_EQ(anonymous.Json()["reason"], "Unauthorized");
  EXPECT_EQ(Client(server->url(), {.token = "wrong"}).Get("/api").status, 401);
  EXPECT_EQ(Client(server->url(), {.token = "s3cret"}).Get("/api/v1/services").status, 200);
  EXPECT_EQ(Client(server->url()).Get("/healthz").status, 200);
  EXPECT_THAT(server->Kubeconfig(), HasSubstr("token: \"s3cret\""));
}

TEST(FakeApiServerTest, TlsWithTokenOrClientCertificate) {
  FakeApiServerOptions options;
  options.tls = true;
  options.token = "s3cret";
  auto server = StartServer(options);
  ASSERT_NE(server, nullptr);
  EXPECT_TRUE(absl::StartsWith(server->url(), "https://127.0.0.1:"));
  const TestCerts& certs = server->certs();

  EXPECT_EQ(Client(server->url(), {.ca_pem = certs.ca_pem, .token = "s3cret"}).Get("/api").status,
            200);
  EXPECT_EQ(Client(server->url(), {.ca_pem = certs.ca_pem}).Get("/api").status, 401);
  // A verified client certificate stands in for the token.
  EXPECT_EQ(Client(server->url(), {.ca_pem = certs.ca_pem,
                                   .cert_pem = certs.client_cert_pem,
                                   .key_pem = certs.client_key_pem})
                .Get("/api")
                .status,
            200);
  // New connections resume the TLS session.
  Client resuming(server->url(),
                  {.ca_pem = certs.ca_pem, .token = "s3cret", .new_connections = true});
  for (int i = 0; i < 3; ++i) {
    Response response = resuming.Get("/api");
    EXPECT_EQ(response.status, 200) << response.error;
  }
  // Without the CA the client refuses the server.
  Response untrusted = Client(server->url(), {.token = "s3cret"}).Get("/api");
  EXPECT_EQ(untrusted.status, 0);
  EXPECT_FALSE(untrusted.error.empty());
  // Plain HTTP on the TLS port is not answered as HTTP.
  EXPECT_NE(Client(absl::StrCat("http://127.0.0.1:", server->port())).Get("/api").status, 200);

  std::string kubeconfig = server->Kubeconfig(/*with_client_cert=*/true);
  EXPECT_THAT(kubeconfig, HasSubstr("server: " + server->url()));
  EXPECT_THAT(kubeconfig, HasSubstr("certificate-authority-data: "));
  EXPECT_THAT(kubeconfig, HasSubstr("client-certificate-data: "));
  EXPECT_THAT(kubeconfig, HasSubstr("client-key-data: "));
  EXPECT_THAT(kubeconfig, HasSubstr("current-context: "));
}

TEST(FakeApiServerTest, TlsRequiringClientCertificate) {
  FakeApiServerOptions options;
  options.tls = true;
  options.require_client_cert = true;
  auto server = StartServer(options);
  ASSERT_NE(server, nullptr);
  const TestCerts& certs = server->certs();
  absl::StatusOr<TestCerts> other = MakeUnrelatedCerts();
  ASSERT_TRUE(other.ok());

  Response with_cert = Client(server->url(), {.ca_pem = certs.ca_pem,
                                              .cert_pem = certs.client_cert_pem,
                                              .key_pem = certs.client_key_pem})
                           .Get("/api/v1/services");
  EXPECT_EQ(with_cert.status, 200) << with_cert.error;
  Client resuming(server->url(), {.ca_pem = certs.ca_pem,
                                  .cert_pem = certs.client_cert_pem,
                                  .key_pem = certs.client_key_pem,
                                  .new_connections = true});
  for (int i = 0; i < 3; ++i) {
    Response response = resuming.Get("/api/v1/services");
    EXPECT_EQ(response.status, 200) << response.error;
  }
  Response without = Client(server->url(), {.ca_pem = certs.ca_pem}).Get("/api/v1/services");
  EXPECT_EQ(without.status, 0);
  Response wrong_ca = Client(server->url(), {.ca_pem = certs.ca_pem,
                                             .cert_pem = other->client_cert_pem,
                                             .key_pem = other->client_key_pem})
                          .Get("/api/v1/services");
  EXPECT_EQ(wrong_ca.status, 0);
}

// ---------------------------------------------------------------------------------------------
// HTTP robustness

TEST(FakeApiServerTest, CutWhileStalledClosesWithoutWriting) {
  auto server = StartServer();
  ASSERT_NE(server, nullptr);
  RawConn watch(server->port());
  ASSERT_TRUE(watch.SendGet("/api/v1/services?watch=1"));
  ASSERT_EQ(watch.ReadHead(), 200);
  ASSERT_TRUE(server->WaitForOpenWatches(1, kWait));
  server->SetStalled(true);
  ASSERT_TRUE(server->Create(Service("default", "queued")).ok());
  server->CutWatches(/*mid_event=*/true);
  EXPECT_EQ(server->open_watches(), 0u);
  std::string line;
  EXPECT_EQ(watch.NextLine(&line), RawConn::Next::kClosed);
  EXPECT_TRUE(watch.partial().empty());
  server->SetStalled(false);
}

TEST(FakeApiServerTest, MalformedRequestsGet400AndTheServerCarriesOn) {
  auto server = StartServer();
  ASSERT_NE(server, nullptr);
  const std::vector<std::string> bad = {
      "garbage\r\n\r\n",
      "GET /api HTTP/9.9\r\n\r\n",
      "GET api HTTP/1.1\r\n\r\n",
      "GET /api HTTP/1.1\r\nno colon here\r\n\r\n",
      "POST /api/v1/namespaces/default/services HTTP/1.1\r\nContent-Length: x\r\n\r\n",
      "POST /api/v1/namespaces/default/services HTTP/1.1\r\nContent-Length: 2\r\n\r\n{]",
      "GET /api/v1/services?limit=%zz HTTP/1.1\r\n\r\n",
      "GET /api/v1/services?watch=maybe HTTP/1.1\r\n\r\n",
      // Invalid UTF-8 ends up in error messages.
      "GET /api/v1/services?fieldSelector=%ff%fe%3Dx HTTP/1.1\r\n\r\n",
      "GET /api/v1/namespaces/default/services/%c3%20 HTTP/1.1\r\n\r\n",
      absl::StrCat("GET /api HTTP/1.1\r\nX-Big: ", std::string(70000, 'x'), "\r\n\r\n"),
  };
  for (const std::string& request : bad) {
    SCOPED_TRACE(request.substr(0, 60));
    RawConn conn(server->port());
    ASSERT_TRUE(conn.Send(request));
    int code = conn.ReadHead();
    EXPECT_GE(code, 400);
    EXPECT_LT(code, 500);
  }
  // Keep-alive: two requests on one connection, the second with a chunked body.
  RawConn conn(server->port());
  ASSERT_TRUE(conn.SendGet("/api"));
  ASSERT_EQ(conn.ReadHead(), 200);
  conn.ReadBody();
  std::string body = Service("default", "chunked").dump();
  ASSERT_TRUE(conn.Send(absl::StrCat(
      "POST /api/v1/namespaces/default/services HTTP/1.1\r\nTransfer-Encoding: chunked\r\n"
      "Content-Type: application/json\r\n\r\n",
      absl::Hex(10), "\r\n", body.substr(0, 10), "\r\n", absl::Hex(body.size() - 10), "\r\n",
      body.substr(10), "\r\n0\r\n\r\n")));
  EXPECT_EQ(conn.ReadHead(), 201);
  EXPECT_TRUE(server->Get("v1", "Service", "default", "chunked").has_value());

  // Mutated requests (a fixed seed, so every run is the same): each is answered or closed, and
  // the server keeps serving.
  const std::string valid = absl::StrCat(
      "PATCH /api/v1/namespaces/default/services/chunked?fieldSelector=a%3Db HTTP/1.1\r\n"
      "Content-Type: application/merge-patch+json\r\nContent-Length: 31\r\n\r\n"
      "{\"metadata\":{\"labels\":{\"a\":\"b\"}}}");
  uint32_t seed = 12345;
  auto next = [&seed]() { return seed = seed * 1103515245u + 12345u; };
  for (int i = 0; i < 150; ++i) {
    std::string request = valid;
    for (int flips = 1 + next() % 4; flips > 0; --flips) {
      request[next() % request.size()] = static_cast<char>(next() >> 8);
    }
    RawConn fuzz(server->port());
    ASSERT_TRUE(fuzz.ok());
    fuzz.Send(request);
    fuzz.ShutdownWrite();
    EXPECT_TRUE(fuzz.ReadUntilClosed()) << i;
  }
  Client client(server->url());
  EXPECT_EQ(client.Get("/api/v1/namespaces/default/services/chunked").status, 200);
}

// ---------------------------------------------------------------------------------------------
// The store API

TEST(FakeApiServerTest, StoreApi) {
  auto server = StartServer();
  ASSERT_NE(server, nullptr);
  absl::StatusOr<json> created = server->Create(Service("default", "a"));
  ASSERT_TRUE(created.ok()) << created.status();
  EXPECT_EQ(Rv(*created), "1");
  EXPECT_EQ((*created)["kind"], "Service");
  EXPECT_EQ(server->Create(Service("default", "a")).status().code(),
            absl::StatusCode::kAlreadyExists);
  EXPECT_EQ(server->Create({{"apiVersion", "v9"}, {"kind", "Nope"}}).status().code(),
            absl::StatusCode::kInvalidArgument);

  json changed = Service("default", "a");
  changed["spec"]["ports"][0]["port"] = 90;
  absl::StatusOr<json> updated = server->Update(changed);
  ASSERT_TRUE(updated.ok());
  EXPECT_EQ(Rv(*updated), "2");
  EXPECT_EQ((*updated)["metadata"]["uid"], (*created)["metadata"]["uid"]);
  ASSERT_TRUE(server->Update(changed).ok());
  EXPECT_EQ(server->resource_version(), 2u);                  // no change, no write
  ASSERT_TRUE(server->Update(Service("default", "b")).ok());  // create or replace

  std::vector<json> services = server->List("v1", "Service");
  ASSERT_EQ(services.size(), 2u);
  EXPECT_EQ(services[0]["metadata"]["name"], "a");
  EXPECT_EQ(services[0]["spec"]["ports"][0]["port"], 90);
  EXPECT_EQ(services[1]["kind"], "Service");

  EXPECT_TRUE(server->Delete("v1", "Service", "default", "a").ok());
  EXPECT_EQ(server->Delete("v1", "Service", "default", "a").code(), absl::StatusCode::kNotFound);
  EXPECT_FALSE(server->Get("v1", "Service", "default", "a").has_value());
  EXPECT_EQ(server->resource_version(), 4u);
}

TEST(FakeApiServerTest, UninstallingCrdsDeletesTheirObjectsAndEndsTheirWatches) {
  auto server = StartServer();
  ASSERT_NE(server, nullptr);
  ASSERT_TRUE(server->Create(IngressRoute("r", "r.example.com")).ok());
  RawConn watch(server->port());
  ASSERT_TRUE(
      watch.SendGet("/apis/contour.heptio.com/v1beta1/ingressroutes?watch=1&resourceVersion=1"));
  ASSERT_EQ(watch.ReadHead(), 200);
  ASSERT_TRUE(server->WaitForOpenWatches(1, kWait));
  server->SetContourCrds(false);
  EXPECT_EQ(watch.NextEvent()["type"], "DELETED");
  std::string line;
  EXPECT_EQ(watch.NextLine(&line), RawConn::Next::kEnd);
  EXPECT_EQ(Client(server->url()).Get("/apis/contour.heptio.com/v1beta1/ingressroutes").status,
            404);
}

}  // namespace
}  // namespace contour::testing
