// StatusWriter against the fake API server: merge patches only for statuses that differ, never
// twice for one change, retried on conflicts and transient errors, rate-limited, held while
// writing is not allowed, and sent to the status subresource when the CRD has one.
#include "k8s/status_writer.h"

#include <memory>
#include <string>
#include <vector>

#include "gtest/gtest.h"
#include "k8s/curl_api_client.h"
#include "tests/support/client_for_fake.h"

namespace contour::k8s {
namespace {

using testing::FakeApiServer;
using testing::FakeApiServerOptions;

constexpr absl::Duration kDeadline = absl::Seconds(20);
constexpr char kGroup[] = "contour.heptio.com/v1beta1";

nlohmann::json Route(const std::string& name, const std::string& status = "") {
  nlohmann::json route = {{"apiVersion", kGroup},
                          {"kind", "IngressRoute"},
                          {"metadata", {{"namespace", "ns"}, {"name", name}}},
                          {"spec", {{"virtualhost", {{"fqdn", name + ".example.com"}}}}}};
  if (!status.empty()) {
    route["status"] = {{"currentStatus", status}, {"description", status + " IngressRoute"}};
  }
  return route;
}

StatusEntry Entry(const std::string& name, const std::string& desired,
                  const std::string& observed = "") {
  StatusEntry entry{"ns", name, {desired, desired + " IngressRoute"}, {}};
  if (!observed.empty()) entry.observed = {observed, observed + " IngressRoute"};
  return entry;
}

class StatusWriterTest : public ::testing::Test {
 protected:
  void StartServer(FakeApiServerOptions options = {}) {
    testing::FakeAndClient made = testing::StartFakeWithClient(options);
    ASSERT_NE(made.client, nullptr);
    server_ = std::move(made.server);
    client_ = std::move(made.client);
  }

  void StartWriter(StatusWriterOptions options = {}) {
    options.backoff = {absl::Milliseconds(5), absl::Milliseconds(50), 2.0, 1.0};
    writer_ = std::make_unique<StatusWriter>(*client_, options);
    writer_->Start();
  }

  std::vector<FakeApiServer::RequestRecord> Patches() const {
    std::vector<FakeApiServer::RequestRecord> patches;
    for (auto& request : server_->Requests()) {
      if (request.method == "PATCH") patches.push_back(request);
    }
    return patches;
  }

  std::string StatusOf(const std::string& name) const {
    std::optional<nlohmann::json> route = server_->Get(kGroup, "IngressRoute", "ns", name);
    if (!route.has_value() || !route->contains("status")) return "";
    return (*route)["status"].value("currentStatus", "");
  }

  std::unique_ptr<FakeApiServer> server_;
  std::unique_ptr<CurlApiClient> client_;
  std::unique_ptr<StatusWriter> writer_;
};

TEST_F(StatusWriterTest, PatchesOnlyWhatDiffers) {
  StartServer();
  ASSERT_TRUE(server_->Create(Route("fresh")).ok());
  ASSERT_TRUE(server_->Create(Route("same", "valid")).ok());
  ASSERT_TRUE(server_->Create(Route("changed", "valid")).ok());
  StartWriter();
  writer_->Update({Entry("fresh", "valid"), Entry("same", "valid", "valid"),
                   Entry("changed", "orphaned", "valid")});
  ASSERT_TRUE(writer_->WaitForIdle(kDeadline));

  const auto patches = Patches();
  ASSERT_EQ(patches.size(), 2u);
  for (const auto& patch : patches) {
    EXPECT_EQ(patch.content_type, "application/merge-patch+json");
    EXPECT_EQ(patch.path.find("/status"), std::string::npos) << patch.path;
    const nlohmann::json body = nlohmann::json::parse(patch.body);
    ASSERT_TRUE(body.contains("status")) << patch.body;
    EXPECT_EQ(body.size(), 1u) << "only the status is patched: " << patch.body;
  }
  EXPECT_EQ(StatusOf("fresh"), "valid");
  EXPECT_EQ(StatusOf("same"), "valid");
  EXPECT_EQ(StatusOf("changed"), "orphaned");
  EXPECT_EQ(writer_->stats().writes, 2u);
}

TEST_F(StatusWriterTest, ABuildThatHasNotSeenTheWriteDoesNotRepeatIt) {
  StartServer();
  ASSERT_TRUE(server_->Create(Route("a")).ok());
  StartWriter();
  writer_->Update({Entry("a", "valid")});
  ASSERT_TRUE(writer_->WaitForIdle(kDeadline));
  // Builds before the object's new status came back through the watch.
  writer_->Update({Entry("a", "valid")});
  writer_->Update({Entry("a", "valid")});
  ASSERT_TRUE(writer_->WaitForIdle(kDeadline));
  EXPECT_EQ(Patches().size(), 1u);
  // The watch shows it: nothing to do. Then someone else changes it: written again.
  writer_->Update({Entry("a", "valid", "valid")});
  writer_->Update({Entry("a", "valid", "invalid")});
  ASSERT_TRUE(writer_->WaitForIdle(kDeadline));
  EXPECT_EQ(Patches().size(), 2u);
  EXPECT_EQ(StatusOf("a"), "valid");
}

TEST_F(StatusWriterTest, ConflictsAndTransientErrorsAreRetried) {
  StartServer();
  ASSERT_TRUE(server_->Create(Route("a")).ok());
  server_->FailRequests(409, 1, "ingressroutes/a");
  server_->FailRequests(500, 1, "ingressroutes/a");
  server_->FailRequests(503, 1, "ingressroutes/a");
  StartWriter();
  writer_->Update({Entry("a", "valid")});
  ASSERT_TRUE(writer_->WaitForIdle(kDeadline));
  EXPECT_EQ(StatusOf("a"), "valid");
  EXPECT_EQ(writer_->stats().retries, 3u);
  EXPECT_EQ(writer_->stats().writes, 1u);
  EXPECT_EQ(Patches().size(), 4u);
}

TEST_F(StatusWriterTest, GivesUpAfterMaxAttemptsUntilTheNextBuild) {
  StartServer();
  ASSERT_TRUE(server_->Create(Route("a")).ok());
  server_->FailRequests(500, 3, "ingressroutes/a");
  StatusWriterOptions options;
  options.max_attempts = 2;
  StartWriter(options);
  writer_->Update({Entry("a", "valid")});
  ASSERT_TRUE(writer_->WaitForIdle(kDeadline));
  EXPECT_EQ(writer_->stats().abandoned, 1u);
  EXPECT_EQ(StatusOf("a"), "");
  writer_->Update({Entry("a", "valid")});  // the next build still wants it
  ASSERT_TRUE(writer_->WaitForIdle(kDeadline));
  EXPECT_EQ(StatusOf("a"), "valid");
}

TEST_F(StatusWriterTest, AnObjectDeletedMeanwhileIsNotRetried) {
  StartServer();
  StartWriter();
  writer_->Update({Entry("gone", "valid")});
  ASSERT_TRUE(writer_->WaitForIdle(kDeadline));
  EXPECT_EQ(writer_->stats().gone, 1u);
  EXPECT_EQ(writer_->stats().retries, 0u);
  EXPECT_EQ(Patches().size(), 1u);
}

TEST_F(StatusWriterTest, WritesAreRateLimited) {
  StartServer();
  std::vector<StatusEntry> entries;
  for (int i = 0; i < 6; ++i) {
    const std::string name = "r" + std::to_string(i);
    ASSERT_TRUE(server_->Create(Route(name)).ok());
    entries.push_back(Entry(name, "valid"));
  }
  StatusWriterOptions options;
  options.qps = 20;
  options.burst = 2;
  StartWriter(options);
  writer_->Update(entries);
  ASSERT_TRUE(writer_->WaitForIdle(kDeadline));
  EXPECT_EQ(writer_->stats().writes, 6u);
  // Two from the burst, the other four each waited for a token.
  EXPECT_GE(writer_->stats().throttled, 4u);
}

TEST_F(StatusWriterTest, NothingIsWrittenWhileNotAllowed) {
  StartServer();
  ASSERT_TRUE(server_->Create(Route("a")).ok());
  ASSERT_TRUE(server_->Create(Route("b")).ok());
  StartWriter();
  writer_->SetWriting(false);
  writer_->Update({Entry("a", "valid")});
  writer_->Update({Entry("a", "valid"), Entry("b", "invalid")});  // the latest build counts
  ASSERT_TRUE(writer_->WaitForIdle(kDeadline));
  EXPECT_TRUE(Patches().empty());
  writer_->SetWriting(true);
  ASSERT_TRUE(writer_->WaitForIdle(kDeadline));
  EXPECT_EQ(StatusOf("a"), "valid");
  EXPECT_EQ(StatusOf("b"), "invalid");
  EXPECT_EQ(Patches().size(), 2u);
}

TEST_F(StatusWriterTest, ObjectsNoLongerInTheBuildAreDropped) {
  StartServer();
  ASSERT_TRUE(server_->Create(Route("a")).ok());
  StartWriter();
  writer_->SetWriting(false);
  writer_->Update({Entry("a", "valid")});
  writer_->Update({});
  writer_->SetWriting(true);
  ASSERT_TRUE(writer_->WaitForIdle(kDeadline));
  EXPECT_TRUE(Patches().empty());
}

TEST_F(StatusWriterTest, UsesTheStatusSubresourceWhenDiscoveryShowsOne) {
  FakeApiServerOptions server_options;
  server_options.ingressroute_status_subresource = true;
  StartServer(server_options);
  ASSERT_TRUE(server_->Create(Route("a")).ok());
  StartWriter();  // discovers
  writer_->Update({Entry("a", "valid")});
  ASSERT_TRUE(writer_->WaitForIdle(kDeadline));
  const auto patches = Patches();
  ASSERT_EQ(patches.size(), 1u);
  EXPECT_NE(patches[0].path.find("/ingressroutes/a/status"), std::string::npos) << patches[0].path;
  EXPECT_EQ(StatusOf("a"), "valid");
}

}  // namespace
}  // namespace contour::k8s
