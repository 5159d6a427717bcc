#include "metrics/http_server.h"

#include <httplib.h>

#include <atomic>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include "gtest/gtest.h"
#include "metrics/registry.h"
#include "tests/support/prometheus_text.h"

namespace contour::metrics {
namespace {

HttpServerOptions LoopbackOptions() {
  HttpServerOptions options;
  options.address = "127.0.0.1";
  options.port = 0;
  options.routes.push_back({"/hello", [](const HttpRequest& request) {
                              std::string body = "hello " + request.method;
                              for (const auto& [key, value] : request.params) {
                                body += " " + key + "=" + value;
                              }
                              return HttpResponse{200, "text/plain; charset=utf-8", body};
                            }});
  options.routes.push_back({"/teapot", [](const HttpRequest&) {
                              return HttpResponse{418, "application/json", "{\"short\":true}"};
                            }});
  options.routes.push_back({"/throws", [](const HttpRequest&) -> HttpResponse {
                              throw std::runtime_error("handler bug");
                            }});
  options.routes.push_back({"/a.b", [](const HttpRequest&) {
                              return HttpResponse{200, "text/plain", "dot"};
                            }});
  return options;
}

std::unique_ptr<HttpServer> MustStart(HttpServerOptions options) {
  absl::StatusOr<std::unique_ptr<HttpServer>> server = HttpServer::Start(std::move(options));
  EXPECT_TRUE(server.ok()) << server.status();
  return server.ok() ? *std::move(server) : nullptr;
}

TEST(HttpServer, ServesRoutesAnd404) {
  Registry registry;
  (*registry.AddCounter("served_total", "Served."))->Add(7);
  HttpServerOptions options = LoopbackOptions();
  options.routes.push_back(MetricsRoute(registry));
  std::unique_ptr<HttpServer> server = MustStart(std::move(options));
  ASSERT_NE(server, nullptr);
  ASSERT_GT(server->port(), 0);

  httplib::Client client("127.0.0.1", server->port());
  httplib::Result hello = client.Get("/hello?b=2&a=x%20y");
  ASSERT_TRUE(hello) << httplib::to_string(hello.error());
  EXPECT_EQ(hello->status, 200);
  EXPECT_EQ(hello->body, "hello GET a=x y b=2");
  EXPECT_EQ(hello->get_header_value("Content-Type"), "text/plain; charset=utf-8");

  httplib::Result metrics = client.Get("/metrics");
  ASSERT_TRUE(metrics);
  EXPECT_EQ(metrics->status, 200);
  EXPECT_EQ(metrics->get_header_value("Content-Type"), kPrometheusTextContentType);
  absl::StatusOr<testing::ParsedMetrics> parsed = testing::ParsePrometheusText(metrics->body);
  ASSERT_TRUE(parsed.ok()) << parsed.status();
  EXPECT_EQ(parsed->Value("served_total"), 7);

  httplib::Result teapot = client.Get("/teapot");
  ASSERT_TRUE(teapot);
  EXPECT_EQ(teapot->status, 418);
  EXPECT_EQ(teapot->body, "{\"short\":true}");
  EXPECT_EQ(teapot->get_header_value("Content-Type"), "application/json");

  httplib::Result head = client.Head("/hello");
  ASSERT_TRUE(head);
  EXPECT_EQ(head->status, 200);
  EXPECT_EQ(head->body, "");

  struct NotFound {
    std::string name;
    std::string path;
  };
  const NotFound not_found[] = {
      {"unknown path", "/nope"},
      {"prefix of a route", "/hell"},
      {"route with a suffix", "/hello/world"},
      {"trailing slash", "/metrics/"},
      {"a dot is not a wildcard", "/axb"},
      {"root", "/"},
  };
  for (const NotFound& c : not_found) {
    httplib::Result result = client.Get(c.path.c_str());
    ASSERT_TRUE(result) << c.name;
    EXPECT_EQ(result->status, 404) << c.name;
    EXPECT_EQ(result->body, "404 page not found\n") << c.name;
  }
  httplib::Result dot = client.Get("/a.b");
  ASSERT_TRUE(dot);
  EXPECT_EQ(dot->body, "dot");

  httplib::Result post = client.Post("/hello", "x", "text/plain");
  ASSERT_TRUE(post);
  EXPECT_EQ(post->status, 404);  // routes are GET only
}

TEST(HttpServer, AThrowingHandlerIsA500) {
  std::unique_ptr<HttpServer> server = MustStart(LoopbackOptions());
  ASSERT_NE(server, nullptr);
  httplib::Client client("127.0.0.1", server->port());
  httplib::Result result = client.Get("/throws");
  ASSERT_TRUE(result);
  EXPECT_EQ(result->status, 500);
  EXPECT_EQ(result->body, "internal server error\n");
  // And the server carries on.
  result = client.Get("/hello");
  ASSERT_TRUE(result);
  EXPECT_EQ(result->status, 200);
}

TEST(HttpServer, RefusesLargeHeaders) {
  HttpServerOptions options = LoopbackOptions();
  options.max_header_bytes = 2048;  // Contour's; Go allows 4096 bytes more before a 431
  std::unique_ptr<HttpServer> server = MustStart(std::move(options));
  ASSERT_NE(server, nullptr);
  httplib::Client client("127.0.0.1", server->port());
  httplib::Result fits = client.Get("/hello", {{"X-Big", std::string(5000, 'a')}});
  ASSERT_TRUE(fits);
  EXPECT_EQ(fits->status, 200);
  httplib::Result too_big = client.Get("/hello", {{"X-Big", std::string(6500, 'a')}});
  ASSERT_TRUE(too_big);
  EXPECT_EQ(too_big->status, 431);
  httplib::Result many =
      client.Get("/hello", {{"X-A", std::string(4000, 'a')}, {"X-B", std::string(4000, 'b')}});
  ASSERT_TRUE(many);
  EXPECT_EQ(many->status, 431);
}

TEST(HttpServer, SecondServerOnTheSamePortFails) {
  std::unique_ptr<HttpServer> first = MustStart(LoopbackOptions());
  ASSERT_NE(first, nullptr);
  HttpServerOptions options = LoopbackOptions();
  options.port = first->port();
  absl::StatusOr<std::unique_ptr<HttpServer>> second = HttpServer::Start(std::move(options));
  ASSERT_FALSE(second.ok());
  EXPECT_EQ(second.status().code(), absl::StatusCode::kUnavailable);
  const std::string where = "127.0.0.1:" + std::to_string(first->port());
  EXPECT_NE(second.status().message().find(where), absl::string_view::npos) << second.status();
  // The first one still answers.
  httplib::Result result = httplib::Client("127.0.0.1", first->port()).Get("/hello");
  ASSERT_TRUE(result);
  EXPECT_EQ(result->status, 200);
}

TEST(HttpServer, BindErrorNamesAnIPv6Address) {
  HttpServerOptions options = LoopbackOptions();
  options.address = "::1";
  std::unique_ptr<HttpServer> first = MustStart(options);
  if (first == nullptr) GTEST_SKIP() << "no IPv6 loopback here";
  options.port = first->port();
  absl::StatusOr<std::unique_ptr<HttpServer>> second = HttpServer::Start(options);
  ASSERT_FALSE(second.ok());
  EXPECT_NE(second.status().message().find("[::1]:" + std::to_string(first->port())),
            absl::string_view::npos)
      << second.status();
}

TEST(HttpServer, RejectsBadOptions) {
  struct Case {
    std::string name;
    std::function<void(HttpServerOptions&)> mutate;
  };
  const Case cases[] = {
      {"path without slash", [](HttpServerOptions& o) { o.routes[0].path = "hello"; }},
      {"path twice", [](HttpServerOptions& o) { o.routes[1].path = o.routes[0].path; }},
      {"no handler", [](HttpServerOptions& o) { o.routes[0].handler = nullptr; }},
      {"port out of range", [](HttpServerOptions& o) { o.port = 70000; }},
      {"no address", [](HttpServerOptions& o) { o.address = ""; }},
      {"no workers", [](HttpServerOptions& o) { o.worker_threads = 0; }},
      {"zero read timeout", [](HttpServerOptions& o) { o.read_timeout = absl::ZeroDuration(); }},
  };
  for (const Case& c : cases) {
    HttpServerOptions options = LoopbackOptions();
    c.mutate(options);
    absl::StatusOr<std::unique_ptr<HttpServer>> server = HttpServer::Start(std::move(options));
    ASSERT_FALSE(server.ok()) << c.name;
    EXPECT_EQ(server.status().code(), absl::StatusCode::kInvalidArgument) << c.name;
  }
}

TEST(HttpServer, ShutdownIsIdempotentAndClosesThePort) {
  std::unique_ptr<HttpServer> server = MustStart(LoopbackOptions());
  ASSERT_NE(server, nullptr);
  const int port = server->port();
  ASSERT_TRUE(httplib::Client("127.0.0.1", port).Get("/hello"));
  server->Shutdown();
  server->Shutdown();
  httplib::Client client("127.0.0.1", port);
  client.set_connection_timeout(5);
  EXPECT_FALSE(client.Get("/hello"));  // nothing listens any more
  server.reset();                      // the destructor shuts down a third time
}

TEST(HttpServer, ShutdownDoesNotWaitForTheReadTimeout) {
  HttpServerOptions options = LoopbackOptions();
  // An idle keep-alive connection holds a worker until keep_alive_timeout (httplib 0.11 cannot
  // cut that short); Shutdown must not wait for anything as long as the read timeout.
  options.keep_alive_timeout = absl::Seconds(1);
  options.read_timeout = absl::Seconds(120);
  std::unique_ptr<HttpServer> server = MustStart(std::move(options));
  ASSERT_NE(server, nullptr);
  httplib::Client client("127.0.0.1", server->port());
  client.set_keep_alive(true);
  httplib::Result result = client.Get("/hello");
  ASSERT_TRUE(result);
  ASSERT_EQ(result->status, 200);
  const absl::Time start = absl::Now();
  server->Shutdown();
  EXPECT_LT(absl::Now() - start, absl::Seconds(60));
}

TEST(HttpServer, StartAndShutdownAtOnce) {
  // Shutdown straight after Start must never miss the accept loop and hang.
  for (int i = 0; i < 20; ++i) {
    std::unique_ptr<HttpServer> server = MustStart(LoopbackOptions());
    ASSERT_NE(server, nullptr);
  }
}

TEST(HttpServer, ConcurrentClientsAllServed) {
  HttpServerOptions options = LoopbackOptions();
  options.worker_threads = 2;
  std::unique_ptr<HttpServer> server = MustStart(std::move(options));
  ASSERT_NE(server, nullptr);
  constexpr int kClients = 8;
  constexpr int kRequests = 10;
  std::atomic<int> ok{0};
  std::vector<std::thread> clients;
  for (int c = 0; c < kClients; ++c) {
    clients.emplace_back([&] {
      httplib::Client client("127.0.0.1", server->port());
      for (int r = 0; r < kRequests; ++r) {
        httplib::Result result = client.Get("/hello");
        if (result && result->status == 200) ++ok;
      }
    });
  }
  for (std::thread& t : clients) t.join();
  EXPECT_EQ(ok.load(), kClients * kRequests);
}

}  // namespace
}  // namespace contour::metrics
