#include "k8s/curl_api_client.h"

#include <functional>
#include <memory>
#include <optional>
#include <set>
#include <stop_token>
#include <string>
#include <thread>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "k8s/curl_lines.h"
#include "k8s/curl_token.h"
#include "k8s/rest_config.h"
#include "nlohmann/json.hpp"
#include "tests/support/fake_apiserver.h"
#include "tests/support/temp_dir.h"
#include "tests/support/test_certs.h"

namespace contour::k8s {
namespace {

using contour::testing::FakeApiServer;
using contour::testing::FakeApiServerOptions;
using nlohmann::json;
using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::IsEmpty;

// Generous: these bound waits for conditions, they do not measure anything.
constexpr absl::Duration kWait = absl::Seconds(20);

// --- LineSplitter ------------------------------------------------------------------------------

struct SplitCase {
  std::string name;
  std::vector<std::string> chunks;
  std::vector<std::string> lines;
  size_t pending = 0;
};

class LineSplitterTest : public ::testing::TestWithParam<SplitCase> {};

TEST_P(LineSplitterTest, Splits) {
  const SplitCase& c = GetParam();
  LineSplitter splitter(1024);
  std::vector<std::string> lines;
  for (const std::string& chunk : c.chunks) {
    EXPECT_EQ(splitter.Feed(chunk,
                            [&](std::string_view line) {
                              lines.emplace_back(line);
                              return true;
                            }),
              LineSplitter::Result::kContinue);
  }
  EXPECT_EQ(lines, c.lines);
  EXPECT_EQ(splitter.pending_bytes(), c.pending);
}

INSTANTIATE_TEST_SUITE_P(
    Chunks, LineSplitterTest,
    ::testing::Values(SplitCase{"Nothing", {}, {}},
                      SplitCase{"OneLine", {"{\"a\":1}\n"}, {"{\"a\":1}"}},
                      SplitCase{"SeveralInOneChunk", {"a\nb\nc\n"}, {"a", "b", "c"}},
                      SplitCase{"SpanningChunks", {"ab", "cd", "e\nf", "g\n"}, {"abcde", "fg"}},
                      SplitCase{"NewlineAlone", {"abc", "\n"}, {"abc"}},
                      SplitCase{"EmptyLinesKept", {"\n\na\n"}, {"", "", "a"}},
                      SplitCase{"LastPartialHeldBack", {"a\nb\nhalf an ev"}, {"a", "b"}, 10},
                      SplitCase{"PartialAcrossChunksHeldBack", {"x\n", "ha", "lf"}, {"x"}, 4}),
    [](const ::testing::TestParamInfo<SplitCase>& info) { return info.param.name; });

TEST(LineSplitter, StopsAtTheFirstRefusedLine) {
  LineSplitter splitter(1024);
  std::vector<std::string> lines;
  auto result = splitter.Feed("a\nb\nc\n", [&](std::string_view line) {
    lines.emplace_back(line);
    return line != "b";
  });
  EXPECT_EQ(result, LineSplitter::Result::kStopped);
  EXPECT_THAT(lines, ElementsAre("a", "b"));
}

TEST(LineSplitter, RefusesOverlongLines) {
  LineSplitter splitter(4);
  auto keep = [](std::string_view) { return true; };
  EXPECT_EQ(splitter.Feed("abcd\n", keep), LineSplitter::Result::kContinue);
  EXPECT_EQ(splitter.Feed("abc", keep), LineSplitter::Result::kContinue);
  EXPECT_EQ(splitter.Feed("de", keep), LineSplitter::Result::kLineTooLong);
  LineSplitter whole(4);
  EXPECT_EQ(whole.Feed("abcde\n", keep), LineSplitter::Result::kLineTooLong);
}

// --- BearerTokenSource -------------------------------------------------------------------------

TEST(BearerTokenSource, StaticOnly) {
  BearerTokenSource source("static", "");
  EXPECT_EQ(source.Current(), "static");
  EXPECT_EQ(source.file_reads(), 0u);
}

TEST(BearerTokenSource, FileIsReadOnceUntilItChanges) {
  contour::testing::TempDir dir;
  std::string file = dir.Write("token", "first\n");
  BearerTokenSource source("fallback", file);
  EXPECT_EQ(source.Current(), "first");
  EXPECT_EQ(source.Current(), "first");
  EXPECT_EQ(source.file_reads(), 1u);

  dir.Write("token", "second-token");  // another size: a change whatever the clock's grain
  EXPECT_EQ(source.Current(), "second-token");
  EXPECT_EQ(source.file_reads(), 2u);
}

TEST(BearerTokenSource, InvalidateForcesARead) {
  contour::testing::TempDir dir;
  std::string file = dir.Write("token", "tok");
  BearerTokenSource source("", file);
  EXPECT_EQ(source.Current(), "tok");
  source.Invalidate();
  EXPECT_EQ(source.Current(), "tok");
  EXPECT_EQ(source.file_reads(), 2u);
}

TEST(BearerTokenSource, UnreadableFileKeepsTheLastGoodToken) {
  contour::testing::TempDir dir;
  std::string file = dir.Write("token", "good");
  BearerTokenSource source("fallback", file);
  EXPECT_EQ(source.Current(), "good");
  dir.Write("token", "");  // empty: not a token
  EXPECT_EQ(source.Current(), "good");
  std::remove(file.c_str());
  EXPECT_EQ(source.Current(), "good");
}

TEST(BearerTokenSource, MissingFileFallsBackToTheStaticToken) {
  BearerTokenSource source("fallback", "/no/such/token/file");
  EXPECT_EQ(source.Current(), "fallback");
}

// --- Create ------------------------------------------------------------------------------------

struct CreateCase {
  std::string name;
  std::function<void(RestConfig&, const contour::testing::TestCerts&)> edit;
  std::string message;
};

class CreateRefusesTest : public ::testing::TestWithParam<CreateCase> {};

TEST_P(CreateRefusesTest, Refuses) {
  absl::StatusOr<contour::testing::TestCerts> certs = contour::testing::MakeTestCerts();
  ASSERT_TRUE(certs.ok()) << certs.status();
  RestConfig config;
  config.server = "https://127.0.0.1:1";
  config.source = "test-config";
  GetParam().edit(config, *certs);
  absl::StatusOr<std::unique_ptr<CurlApiClient>> client = CurlApiClient::Create(config);
  ASSERT_FALSE(client.ok());
  EXPECT_EQ(client.status().code(), absl::StatusCode::kInvalidArgument) << client.status();
  EXPECT_THAT(std::string(client.status().message()), HasSubstr(GetParam().message));
}

INSTANTIATE_TEST_SUITE_P(
    Configs, CreateRefusesTest,
    ::testing::Values(
        CreateCase{"NoScheme", [](RestConfig& c, auto&) { c.server = "127.0.0.1:6443"; },
                   "http:// or https://"},
        CreateCase{"BadPort", [](RestConfig& c, auto&) { c.server = "https://h:port"; },
                   "bad port"},
        CreateCase{"CaNotPem", [](RestConfig& c, auto&) { c.ca_pem = "garbage"; },
                   "no PEM certificate"},
        CreateCase{"CertWithoutKey",
                   [](RestConfig& c, const contour::testing::TestCerts& certs) {
                     c.client_cert_pem = certs.client_cert_pem;
                   },
                   "together"},
        CreateCase{"KeyDoesNotMatch",
                   [](RestConfig& c, const contour::testing::TestCerts& certs) {
                     c.client_cert_pem = certs.client_cert_pem;
                     c.client_key_pem = certs.server_key_pem;
                   },
                   "does not match"},
        CreateCase{"TokenWithNewline", [](RestConfig& c, auto&) { c.token = "a\r\nX-Evil: 1"; },
                   "line break"}),
    [](const ::testing::TestParamInfo<CreateCase>& info) { return info.param.name; });

// --- Against the fake API server ---------------------------------------------------------------

std::unique_ptr<FakeApiServer> StartServer(FakeApiServerOptions options = {}) {
  absl::StatusOr<std::unique_ptr<FakeApiServer>> server = FakeApiServer::Start(options);
  EXPECT_TRUE(server.ok()) << server.status();
  return server.ok() ? *std::move(server) : nullptr;
}

std::unique_ptr<CurlApiClient> MakeClient(RestConfig config, CurlApiClientOptions options = {}) {
  absl::StatusOr<std::unique_ptr<CurlApiClient>> client =
      CurlApiClient::Create(std::move(config), std::move(options));
  EXPECT_TRUE(client.ok()) << client.status();
  return client.ok() ? *std::move(client) : nullptr;
}

RestConfig PlainConfig(const FakeApiServer& server) {
  RestConfig config;
  config.server = server.url();
  config.source = "test";
  return config;
}

RestConfig TlsConfig(const FakeApiServer& server) {
  RestConfig config = PlainConfig(server);
  config.ca_pem = server.certs().ca_pem;
  return config;
}

json Service(const std::string& name) {
  return {{"apiVersion", "v1"},
          {"kind", "Service"},
          {"metadata", {{"namespace", "default"}, {"name", name}}},
          {"spec", {{"ports", json::array({{{"port", 80}}})}}}};
}

std::string NameOf(const json& object) { return object["metadata"]["name"].get<std::string>(); }

TEST(CurlApiClient, PlainRequest) {
  auto server = StartServer();
  ASSERT_NE(server, nullptr);
  ASSERT_TRUE(server->Create(Service("web")).ok());
  auto client = MakeClient(PlainConfig(*server));
  ASSERT_NE(client, nullptr);

  absl::StatusOr<HttpResponse> response =
      client->Request("GET", "/api/v1/namespaces/default/services/web");
  ASSERT_TRUE(response.ok()) << response.status();
  EXPECT_EQ(response->status, 200) << response->body;
  EXPECT_EQ(NameOf(json::parse(response->body)), "web");

  response = client->Request("GET", "/api/v1/namespaces/default/services/absent");
  ASSERT_TRUE(response.ok()) << response.status();
  EXPECT_EQ(response->status, 404);
  EXPECT_EQ(json::parse(response->body)["kind"], "Status");
}

TEST(CurlApiClient, ServerWithATrailingSlash) {
  auto server = StartServer();
  ASSERT_NE(server, nullptr);
  RestConfig config = PlainConfig(*server);
  config.server += "/";
  auto client = MakeClient(config);
  ASSERT_NE(client, nullptr);
  absl::StatusOr<HttpResponse> response = client->Request("GET", "/api/v1/services");
  ASSERT_TRUE(response.ok()) << response.status();
  EXPECT_EQ(response->status, 200);
  std::vector<FakeApiServer::RequestRecord> requests = server->Requests();
  ASSERT_EQ(requests.size(), 1u);
  EXPECT_EQ(requests[0].path, "/api/v1/services");
}

TEST(CurlApiClient, WritesWithMethodsAndContentTypes) {
  auto server = StartServer();
  ASSERT_NE(server, nullptr);
  auto client = MakeClient(PlainConfig(*server));
  ASSERT_NE(client, nullptr);

  absl::StatusOr<HttpResponse> created =
      client->Request("POST", "/api/v1/namespaces/default/services", Service("api").dump());
  ASSERT_TRUE(created.ok()) << created.status();
  EXPECT_EQ(created->status, 201) << created->body;

  RequestOptions merge;
  merge.content_type = "application/merge-patch+json";
  absl::StatusOr<HttpResponse> patched =
      client->Request("PATCH", "/api/v1/namespaces/default/services/api",
                      R"({"metadata":{"labels":{"patched":"yes"}}})", merge);
  ASSERT_TRUE(patched.ok()) << patched.status();
  EXPECT_EQ(patched->status, 200) << patched->body;
  std::optional<json> stored = server->Get("v1", "Service", "default", "api");
  ASSERT_TRUE(stored.has_value());
  EXPECT_EQ((*stored)["metadata"]["labels"]["patched"], "yes");

  absl::StatusOr<HttpResponse> deleted =
      client->Request("DELETE", "/api/v1/namespaces/default/services/api");
  ASSERT_TRUE(deleted.ok()) << deleted.status();
  EXPECT_EQ(deleted->status, 200) << deleted->body;
  EXPECT_FALSE(server->Get("v1", "Service", "default", "api").has_value());

  std::vector<FakeApiServer::RequestRecord> requests = server->Requests();
  ASSERT_EQ(requests.size(), 3u);
  EXPECT_EQ(requests[0].method, "POST");
  EXPECT_EQ(requests[0].content_type, "application/json");
  EXPECT_EQ(requests[1].method, "PATCH");
  EXPECT_EQ(requests[1].content_type, "application/merge-patch+json");
  EXPECT_EQ(requests[1].body, R"({"metadata":{"labels":{"patched":"yes"}}})");
  EXPECT_EQ(requests[2].method, "DELETE");
}

TEST(CurlApiClient, RejectsBadMethodsAndPaths) {
  RestConfig config;
  config.server = "http://127.0.0.1:1";
  auto client = MakeClient(config);
  ASSERT_NE(client, nullptr);
  for (auto [method, path] :
       std::vector<std::pair<std::string, std::string>>{{"get", "/x"},
                                                        {"GET /x HTTP/1.1\r\n", "/x"},
                                                        {"GET", "x"},
                                                        {"GET", "/a b"},
                                                        {"GET", "/a\r\nHost: evil"}}) {
    absl::StatusOr<HttpResponse> response = client->Request(method, path);
    EXPECT_EQ(response.status().code(), absl::StatusCode::kInvalidArgument) << method << path;
  }
}

TEST(CurlApiClient, TlsWithTheServersCa) {
  auto server = StartServer({.tls = true});
  ASSERT_NE(server, nullptr);
  auto client = MakeClient(TlsConfig(*server));
  ASSERT_NE(client, nullptr);
  absl::StatusOr<HttpResponse> response = client->Request("GET", "/api/v1/services");
  ASSERT_TRUE(response.ok()) << response.status();
  EXPECT_EQ(response->status, 200);
  EXPECT_EQ(json::parse(response->body)["kind"], "ServiceList");
}

TEST(CurlApiClient, TlsWithAnotherCaIsRefused) {
  auto server = StartServer({.tls = true});
  ASSERT_NE(server, nullptr);
  absl::StatusOr<contour::testing::TestCerts> other = contour::testing::MakeUnrelatedCerts();
  ASSERT_TRUE(other.ok());
  RestConfig config = PlainConfig(*server);
  config.ca_pem = other->ca_pem;
  auto client = MakeClient(config);
  ASSERT_NE(client, nullptr);
  absl::StatusOr<HttpResponse> response = client->Request("GET", "/api/v1/services");
  ASSERT_FALSE(response.ok());
  EXPECT_EQ(response.status().code(), absl::StatusCode::kUnavailable);
  EXPECT_THAT(std::string(response.status().message()), HasSubstr(server->url()));
  EXPECT_EQ(client->counters().transport_errors, 1u);
}

TEST(CurlApiClient, TlsWithoutCaUsesSystemCasAndIsRefused) {
  auto server = StartServer({.tls = true});
  ASSERT_NE(server, nullptr);
  auto client = MakeClient(PlainConfig(*server));
  ASSERT_NE(client, nullptr);
  EXPECT_EQ(client->Request("GET", "/api/v1/services").status().code(),
            absl::StatusCode::kUnavailable);
}

TEST(CurlApiClient, InsecureSkipsVerification) {
  auto server = StartServer({.tls = true});
  ASSERT_NE(server, nullptr);
  RestConfig config = PlainConfig(*server);
  config.insecure_skip_tls_verify = true;
  auto client = MakeClient(config);
  ASSERT_NE(client, nullptr);
  absl::StatusOr<HttpResponse> response = client->Request("GET", "/api/v1/services");
  ASSERT_TRUE(response.ok()) << response.status();
  EXPECT_EQ(response->status, 200);
}

TEST(CurlApiClient, TlsServerNameIsWhatIsVerified) {
  auto server = StartServer({.tls = true});
  ASSERT_NE(server, nullptr);
  // The certificate names localhost and 127.0.0.1; the URL names the IP.
  RestConfig config = TlsConfig(*server);
  config.tls_server_name = "localhost";
  auto client = MakeClient(config);
  ASSERT_NE(client, nullptr);
  absl::StatusOr<HttpResponse> response = client->Request("GET", "/api/v1/services");
  ASSERT_TRUE(response.ok()) << response.status();
  EXPECT_EQ(response->status, 200);

  config.tls_server_name = "not-in-the-certificate.example";
  auto mismatched = MakeClient(config);
  ASSERT_NE(mismatched, nullptr);
  EXPECT_EQ(mismatched->Request("GET", "/api/v1/services").status().code(),
            absl::StatusCode::kUnavailable);
}

TEST(CurlApiClient, ClientCertificateAuthentication) {
  auto server = StartServer({.tls = true, .require_client_cert = true, .token = "unused"});
  ASSERT_NE(server, nullptr);

  auto without = MakeClient(TlsConfig(*server));
  ASSERT_NE(without, nullptr);
  EXPECT_EQ(without->Request("GET", "/api/v1/services").status().code(),
            absl::StatusCode::kUnavailable);

  RestConfig config = TlsConfig(*server);
  config.client_cert_pem = server->certs().client_cert_pem;
  config.client_key_pem = server->certs().client_key_pem;
  auto with = MakeClient(config);
  ASSERT_NE(with, nullptr);
  absl::StatusOr<HttpResponse> response = with->Request("GET", "/api/v1/services");
  ASSERT_TRUE(response.ok()) << response.status();
  EXPECT_EQ(response->status, 200) << response->body;
}

TEST(CurlApiClient, FromTheServersKubeconfig) {
  auto server = StartServer({.tls = true, .require_client_cert = true, .token = "s3cret"});
  ASSERT_NE(server, nullptr);
  contour::testing::TempDir dir;
  for (bool with_client_cert : {false, true}) {
    SCOPED_TRACE(with_client_cert);
    std::string path = dir.Write("config", server->Kubeconfig(with_client_cert));
    absl::StatusOr<RestConfig> config = LoadKubeconfig(path);
    ASSERT_TRUE(config.ok()) << config.status();
    auto client = MakeClient(*config);
    ASSERT_NE(client, nullptr);
    absl::StatusOr<HttpResponse> response = client->Request("GET", "/api/v1/services");
    if (with_client_cert) {
      ASSERT_TRUE(response.ok()) << response.status();
      EXPECT_EQ(response->status, 200) << response->body;
    } else {
      EXPECT_EQ(response.status().code(), absl::StatusCode::kUnavailable);
    }
  }
}

TEST(CurlApiClient, BearerToken) {
  auto server = StartServer({.tls = true, .token = "s3cret"});
  ASSERT_NE(server, nullptr);

  auto anonymous = MakeClient(TlsConfig(*server));
  ASSERT_NE(anonymous, nullptr);
  absl::StatusOr<HttpResponse> response = anonymous->Request("GET", "/api/v1/services");
  ASSERT_TRUE(response.ok()) << response.status();
  EXPECT_EQ(response->status, 401);
  EXPECT_EQ(anonymous->counters().unauthorized, 1u);

  RestConfig config = TlsConfig(*server);
  config.token = "s3cret";
  auto client = MakeClient(config);
  ASSERT_NE(client, nullptr);
  response = client->Request("GET", "/api/v1/services");
  ASSERT_TRUE(response.ok()) << response.status();
  EXPECT_EQ(response->status, 200) << response->body;
}

TEST(CurlApiClient, TokenFileRotationIsPickedUp) {
  auto server = StartServer({.tls = true, .token = "current-token"});
  ASSERT_NE(server, nullptr);
  contour::testing::TempDir dir;
  RestConfig config = TlsConfig(*server);
  config.token = "stale-static-token";  // the file wins while it can be read
  config.token_file = dir.Write("token", "current-token\n");
  auto client = MakeClient(config);
  ASSERT_NE(client, nullptr);

  auto status_now = [&] {
    absl::StatusOr<HttpResponse> response = client->Request("GET", "/api/v1/services");
    EXPECT_TRUE(response.ok()) << response.status();
    return response.ok() ? response->status : -1;
  };
  EXPECT_EQ(status_now(), 200);
  // Each rewrite changes the size, so the change is seen whatever the filesystem's time grain.
  dir.Write("token", "revoked-token-of-another-length");
  EXPECT_EQ(status_now(), 401);
  dir.Write("token", "current-token");
  EXPECT_EQ(status_now(), 200);
}

TEST(CurlApiClient, ListPaging) {
  auto server = StartServer();
  ASSERT_NE(server, nullptr);
  std::set<std::string> want;
  for (int i = 0; i < 7; ++i) {
    std::string name = absl::StrCat("svc-", i);
    ASSERT_TRUE(server->Create(Service(name)).ok());
    want.insert(name);
  }
  auto client = MakeClient(PlainConfig(*server));
  ASSERT_NE(client, nullptr);

  std::set<std::string> seen;
  std::string next;
  int pages = 0;
  do {
    std::string path = "/api/v1/services?limit=3";
    if (!next.empty()) absl::StrAppend(&path, "&continue=", next);
    absl::StatusOr<HttpResponse> response = client->Request("GET", path);
    ASSERT_TRUE(response.ok()) << response.status();
    ASSERT_EQ(response->status, 200) << response->body;
    json page = json::parse(response->body);
    EXPECT_LE(page["items"].size(), 3u);
    for (const json& item : page["items"]) seen.insert(NameOf(item));
    next = page["metadata"].value("continue", "");
    ASSERT_LT(++pages, 10);
  } while (!next.empty());
  EXPECT_EQ(pages, 3);
  EXPECT_EQ(seen, want);
  // Sequential calls share one kept-alive handle.
  EXPECT_EQ(client->counters().handles_created, 1u);
}

TEST(CurlApiClient, RetryAfterIsReturned) {
  auto server = StartServer();
  ASSERT_NE(server, nullptr);
  server->FailRequests(429, 1, "/api/v1/services");
  auto client = MakeClient(PlainConfig(*server));
  ASSERT_NE(client, nullptr);
  absl::StatusOr<HttpResponse> response = client->Request("GET", "/api/v1/services");
  ASSERT_TRUE(response.ok()) << response.status();
  EXPECT_EQ(response->status, 429);
  EXPECT_EQ(response->retry_after, "1");
  response = client->Request("GET", "/api/v1/services");
  ASSERT_TRUE(response.ok()) << response.status();
  EXPECT_EQ(response->status, 200);
  EXPECT_EQ(response->retry_after, "");
}

TEST(CurlApiClient, ConcurrentCallersDoNotShareAHandle) {
  auto server = StartServer();
  ASSERT_NE(server, nullptr);
  ASSERT_TRUE(server->Create(Service("web")).ok());
  auto client = MakeClient(PlainConfig(*server));
  ASSERT_NE(client, nullptr);
  constexpr int kThreads = 4;
  constexpr int kEach = 25;
  std::atomic<int> ok{0};
  {
    std::vector<std::jthread> threads;
    for (int t = 0; t < kThreads; ++t) {
      threads.emplace_back([&] {
        for (int i = 0; i < kEach; ++i) {
          absl::StatusOr<HttpResponse> response =
              client->Request("GET", "/api/v1/namespaces/default/services/web");
          if (response.ok() && response->status == 200) ok.fetch_add(1);
        }
      });
    }
  }
  EXPECT_EQ(ok.load(), kThreads * kEach);
  EXPECT_LE(client->counters().handles_created, static_cast<uint64_t>(kThreads));
}

TEST(CurlApiClient, RequestTimeoutIsDeadlineExceeded) {
  auto server = StartServer();
  ASSERT_NE(server, nullptr);
  auto client = MakeClient(PlainConfig(*server));
  ASSERT_NE(client, nullptr);
  server->SetStalled(true);
  RequestOptions options;
  options.timeout = absl::Milliseconds(200);
  absl::StatusOr<HttpResponse> response = client->Request("GET", "/api/v1/services", "", options);
  EXPECT_EQ(response.status().code(), absl::StatusCode::kDeadlineExceeded) << response.status();
  server->SetStalled(false);
}

TEST(CurlApiClient, ServerGoneIsUnavailable) {
  auto server = StartServer();
  ASSERT_NE(server, nullptr);
  RestConfig config = PlainConfig(*server);
  auto client = MakeClient(config);
  ASSERT_NE(client, nullptr);
  ASSERT_TRUE(client->Request("GET", "/api/v1/services").ok());
  server.reset();

  absl::StatusOr<HttpResponse> response = client->Request("GET", "/api/v1/services");
  ASSERT_FALSE(response.ok());
  EXPECT_EQ(response.status().code(), absl::StatusCode::kUnavailable) << response.status();
  EXPECT_THAT(std::string(response.status().message()),
              HasSubstr(config.server + "/api/v1/services"));

  std::stop_source never;
  absl::StatusOr<HttpResponse> stream =
      client->Stream("/api/v1/services?watch=true", {absl::Seconds(30)}, never.get_token(),
                     [](std::string_view) { return true; });
  EXPECT_EQ(stream.status().code(), absl::StatusCode::kUnavailable) << stream.status();
}

// A stream run on its own thread, with the lines it saw.
class StreamRun {
 public:
  StreamRun(CurlApiClient& client, std::string path, absl::Duration timeout,
            std::function<bool(std::string_view)> filter = nullptr)
      : filter_(std::move(filter)) {
    thread_ = std::jthread([this, &client, path, timeout](std::stop_token stop) {
      absl::StatusOr<HttpResponse> result =
          client.Stream(path, {timeout}, stop, [this](std::string_view line) {
            absl::MutexLock lock(&mu_);
            lines_.emplace_back(line);
            return filter_ == nullptr || filter_(line);
          });
      absl::MutexLock lock(&mu_);
      result_ = std::move(result);
    });
  }

  // Waits until `n` lines came (true) or the stream ended first (false).
  bool WaitForLines(size_t n) {
    absl::MutexLock lock(&mu_);
    auto ready = [this, n]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
      return lines_.size() >= n || result_.has_value();
    };
    mu_.AwaitWithTimeout(absl::Condition(&ready), kWait);
    return lines_.size() >= n;
  }

  // Waits for the stream to return (after a stop request when `stop`).
  std::optional<absl::StatusOr<HttpResponse>> Finish(bool stop) {
    if (stop) thread_.request_stop();
    {
      absl::MutexLock lock(&mu_);
      mu_.AwaitWithTimeout(absl::Condition(this, &StreamRun::Ended), kWait);
    }
    // A stream that never returns fails the test here rather than hanging it.
    absl::MutexLock lock(&mu_);
    if (result_.has_value()) {
      thread_.join();
      return result_;
    }
    thread_.detach();
    return std::nullopt;
  }

  std::vector<std::string> lines() {
    absl::MutexLock lock(&mu_);
    return lines_;
  }

  // For failure messages: how the stream ended, if it did.
  std::string Describe() {
    absl::MutexLock lock(&mu_);
    if (!result_.has_value()) return "the stream is still running";
    if (!result_->ok()) return absl::StrCat("the stream ended: ", result_->status().ToString());
    return absl::StrCat("the stream ended with HTTP ", (*result_)->status, ": ", (*result_)->body);
  }

 private:
  bool Ended() const ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) { return result_.has_value(); }

  std::function<bool(std::string_view)> filter_;
  absl::Mutex mu_;
  std::vector<std::string> lines_ ABSL_GUARDED_BY(mu_);
  std::optional<absl::StatusOr<HttpResponse>> result_ ABSL_GUARDED_BY(mu_);
  std::jthread thread_;
};

// The resourceVersion to watch from: the list's.
std::string ListResourceVersion(CurlApiClient& client) {
  absl::StatusOr<HttpResponse> list = client.Request("GET", "/api/v1/services");
  EXPECT_TRUE(list.ok()) << list.status();
  if (!list.ok()) return "";
  return json::parse(list->body)["metadata"]["resourceVersion"].get<std::string>();
}

TEST(CurlApiClient, WatchDeliversEventsAsLines) {
  auto server = StartServer({.tls = true, .token = "s3cret"});
  ASSERT_NE(server, nullptr);
  RestConfig config = TlsConfig(*server);
  config.token = "s3cret";
  auto client = MakeClient(config);
  ASSERT_NE(client, nullptr);
  std::string rv = ListResourceVersion(*client);

  StreamRun run(*client, "/api/v1/services?watch=true&resourceVersion=" + rv, absl::Minutes(5));
  ASSERT_TRUE(server->WaitForOpenWatches(1, kWait)) << run.Describe();
  for (const char* name : {"a", "b", "c"}) ASSERT_TRUE(server->Create(Service(name)).ok());
  ASSERT_TRUE(run.WaitForLines(3)) << run.Describe();

  std::optional<absl::StatusOr<HttpResponse>> result = run.Finish(/*stop=*/true);
  ASSERT_TRUE(result.has_value()) << "Stream did not return after a stop request";
  EXPECT_EQ(result->status().code(), absl::StatusCode::kCancelled) << result->status();
  std::vector<std::string> lines = run.lines();
  ASSERT_EQ(lines.size(), 3u);
  std::vector<std::string> names;
  for (const std::string& line : lines) {
    json event = json::parse(line);
    EXPECT_EQ(event["type"], "ADDED");
    names.push_back(NameOf(event["object"]));
  }
  EXPECT_THAT(names, ElementsAre("a", "b", "c"));
  EXPECT_EQ(client->counters().streams, 1u);
}

TEST(CurlApiClient, OnLineReturningFalseEndsTheStream) {
  auto server = StartServer();
  ASSERT_NE(server, nullptr);
  auto client = MakeClient(PlainConfig(*server));
  ASSERT_NE(client, nullptr);
  std::string rv = ListResourceVersion(*client);
  StreamRun run(*client, "/api/v1/services?watch=true&resourceVersion=" + rv, absl::Minutes(5),
                [](std::string_view) { return false; });
  ASSERT_TRUE(server->WaitForOpenWatches(1, kWait)) << run.Describe();
  ASSERT_TRUE(server->Create(Service("one")).ok());
  ASSERT_TRUE(server->Create(Service("two")).ok());
  std::optional<absl::StatusOr<HttpResponse>> result = run.Finish(/*stop=*/false);
  ASSERT_TRUE(result.has_value()) << "Stream did not return after on_line refused a line";
  EXPECT_EQ(result->status().code(), absl::StatusCode::kCancelled) << result->status();
  EXPECT_EQ(run.lines().size(), 1u);
}

TEST(CurlApiClient, StopEndsAStalledStream) {
  auto server = StartServer();
  ASSERT_NE(server, nullptr);
  auto client = MakeClient(PlainConfig(*server));
  ASSERT_NE(client, nullptr);
  std::string rv = ListResourceVersion(*client);
  StreamRun run(*client, "/api/v1/services?watch=true&resourceVersion=" + rv, absl::Minutes(5));
  ASSERT_TRUE(server->WaitForOpenWatches(1, kWait)) << run.Describe();
  server->SetStalled(true);
  ASSERT_TRUE(server->Create(Service("queued")).ok());  // held back by the stall

  std::optional<absl::StatusOr<HttpResponse>> result = run.Finish(/*stop=*/true);
  ASSERT_TRUE(result.has_value()) << "Stream did not return after a stop request";
  EXPECT_EQ(result->status().code(), absl::StatusCode::kCancelled) << result->status();
  EXPECT_THAT(run.lines(), IsEmpty());
  server->SetStalled(false);
}

TEST(CurlApiClient, StopBeforeTheResponseStarts) {
  auto server = StartServer();
  ASSERT_NE(server, nullptr);
  auto client = MakeClient(PlainConfig(*server));
  ASSERT_NE(client, nullptr);
  server->SetStalled(true);  // not even the response headers come
  StreamRun run(*client, "/api/v1/services?watch=true", absl::Minutes(5));
  std::optional<absl::StatusOr<HttpResponse>> result = run.Finish(/*stop=*/true);
  ASSERT_TRUE(result.has_value()) << "Stream did not return after a stop request";
  EXPECT_EQ(result->status().code(), absl::StatusCode::kCancelled) << result->status();
  server->SetStalled(false);
}

TEST(CurlApiClient, StreamTimeoutIsDeadlineExceeded) {
  auto server = StartServer();
  ASSERT_NE(server, nullptr);
  auto client = MakeClient(PlainConfig(*server));
  ASSERT_NE(client, nullptr);
  std::string rv = ListResourceVersion(*client);
  // A quiet watch: nothing ends it but the timeout.
  StreamRun run(*client, "/api/v1/services?watch=true&resourceVersion=" + rv,
                absl::Milliseconds(300));
  std::optional<absl::StatusOr<HttpResponse>> result = run.Finish(/*stop=*/false);
  ASSERT_TRUE(result.has_value()) << "Stream outlived its timeout";
  EXPECT_EQ(result->status().code(), absl::StatusCode::kDeadlineExceeded) << result->status();
}

TEST(CurlApiClient, CutMidEventDeliversOnlyWholeLines) {
  auto server = StartServer();
  ASSERT_NE(server, nullptr);
  auto client = MakeClient(PlainConfig(*server));
  ASSERT_NE(client, nullptr);
  std::string rv = ListResourceVersion(*client);
  StreamRun run(*client, "/api/v1/services?watch=true&resourceVersion=" + rv, absl::Minutes(5));
  ASSERT_TRUE(server->WaitForOpenWatches(1, kWait)) << run.Describe();
  ASSERT_TRUE(server->Create(Service("whole")).ok());
  ASSERT_TRUE(run.WaitForLines(1)) << run.Describe();
  server->CutWatches(/*mid_event=*/true);

  std::optional<absl::StatusOr<HttpResponse>> result = run.Finish(/*stop=*/false);
  ASSERT_TRUE(result.has_value()) << "Stream did not return after the connection was cut";
  EXPECT_EQ(result->status().code(), absl::StatusCode::kUnavailable) << result->status();
  std::vector<std::string> lines = run.lines();
  ASSERT_EQ(lines.size(), 1u);
  EXPECT_EQ(NameOf(json::parse(lines[0])["object"]), "whole");
}

TEST(CurlApiClient, StreamErrorStatusIsAResponseWithoutLines) {
  auto server = StartServer();
  ASSERT_NE(server, nullptr);
  server->FailRequests(503, 1, "watch=true");
  auto client = MakeClient(PlainConfig(*server));
  ASSERT_NE(client, nullptr);
  std::stop_source never;
  std::vector<std::string> lines;
  absl::StatusOr<HttpResponse> response =
      client->Stream("/api/v1/services?watch=true", {absl::Seconds(30)}, never.get_token(),
                     [&](std::string_view line) {
                       lines.emplace_back(line);
                       return true;
                     });
  ASSERT_TRUE(response.ok()) << response.status();
  EXPECT_EQ(response->status, 503);
  EXPECT_EQ(response->retry_after, "1");
  EXPECT_EQ(json::parse(response->body)["kind"], "Status");
  EXPECT_THAT(lines, IsEmpty());
}

TEST(CurlApiClient, StreamEndedByTheServerIsAResponse) {
  auto server = StartServer();
  ASSERT_NE(server, nullptr);
  auto client = MakeClient(PlainConfig(*server));
  ASSERT_NE(client, nullptr);
  std::string rv = ListResourceVersion(*client);
  // The server's own timeout ends the watch cleanly.
  StreamRun run(*client, "/api/v1/services?watch=true&timeoutSeconds=1&resourceVersion=" + rv,
                absl::Minutes(5));
  std::optional<absl::StatusOr<HttpResponse>> result = run.Finish(/*stop=*/false);
  ASSERT_TRUE(result.has_value()) << "Stream did not return after the server ended it";
  ASSERT_TRUE(result->ok()) << result->status();
  EXPECT_EQ((*result)->status, 200);
  EXPECT_EQ((*result)->body, "");
}

}  // namespace
}  // namespace contour::k8s
