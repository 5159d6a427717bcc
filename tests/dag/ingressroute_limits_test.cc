// Delegation trees are bounded (beyond Contour): a long chain cannot exhaust the stack, and
// delegates that fan out and rejoin cannot make a build run for ever.
#include <string>
#include <vector>

#include "dag/builder.h"
#include "dag/ingressroute_status.h"
#include "gtest/gtest.h"
#include "tests/dag/ingressroute_test_objects.h"

namespace contour::dag {
namespace {

using namespace irtest;  // NOLINT: IngressRoute constructors

const std::string kTooLarge = irstatus::DelegationTooLarge(64, 10000);

int CountWithDescription(const Dag& dag, const std::string& description) {
  int count = 0;
  for (const Status& status : dag.statuses) count += status.description == description;
  return count;
}

TEST(DelegationLimits, LongChainStopsAtTheDepthLimit) {
  std::vector<k8s::Object> objects = {HttpService("default", "app")};
  objects.push_back(IR("default", "link-0", "example.com", {DelegateTo("/", "link-1")}));
  constexpr int kLinks = 5000;
  for (int i = 1; i < kLinks; ++i) {
    objects.push_back(IR("default", "link-" + std::to_string(i), std::nullopt,
                         {DelegateTo("/", "link-" + std::to_string(i + 1))}));
  }
  objects.push_back(IR("default", "link-" + std::to_string(kLinks), std::nullopt,
                       {RouteTo("/", {Svc("app", 8080)})}));
  const Dag dag = BuildFrom(objects);
  EXPECT_EQ(CountWithDescription(dag, kTooLarge), 1);
  // The chain is cut at the limit, so its end serves nothing.
  EXPECT_TRUE(dag.http_hosts.empty());
}

TEST(DelegationLimits, ChainWithinTheLimitIsServed) {
  std::vector<k8s::Object> objects = {HttpService("default", "app")};
  objects.push_back(IR("default", "link-0", "example.com", {DelegateTo("/", "link-1")}));
  for (int i = 1; i < 60; ++i) {
    objects.push_back(IR("default", "link-" + std::to_string(i), std::nullopt,
                         {DelegateTo("/", "link-" + std::to_string(i + 1))}));
  }
  objects.push_back(IR("default", "link-60", std::nullopt, {RouteTo("/", {Svc("app", 8080)})}));
  const Dag dag = BuildFrom(objects);
  EXPECT_EQ(CountWithDescription(dag, kTooLarge), 0);
  ASSERT_EQ(dag.http_hosts.count("example.com"), 1u);
}

// Level i has two objects, each delegating to both objects of level i+1: 2^40 paths.
TEST(DelegationLimits, FanOutAndRejoinIsBounded) {
  constexpr int kLevels = 40;
  std::vector<k8s::Object> objects = {HttpService("default", "app")};
  auto name = [](int level, int side) {
    return "l" + std::to_string(level) + "-" + std::to_string(side);
  };
  objects.push_back(IR("default", "root", "example.com",
                       {DelegateTo("/", name(0, 0)), DelegateTo("/", name(0, 1))}));
  for (int level = 0; level < kLevels; ++level) {
    for (int side = 0; side < 2; ++side) {
      std::vector<k8s::IngressRouteRoute> routes;
      if (level + 1 < kLevels) {
        routes = {DelegateTo("/", name(level + 1, 0)), DelegateTo("/", name(level + 1, 1))};
      } else {
        routes = {RouteTo("/", {Svc("app", 8080)})};
      }
      objects.push_back(IR("default", name(level, side), std::nullopt, routes));
    }
  }
  const Dag dag = BuildFrom(objects);
  EXPECT_GE(CountWithDescription(dag, kTooLarge), 1);
}

}  // namespace
}  // namespace contour::dag
