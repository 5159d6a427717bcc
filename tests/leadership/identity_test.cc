// A candidate's identity: the pod's name when given, else the hostname with a random suffix.
#include "leadership/identity.h"

#include <regex>
#include <set>
#include <string>

#include "gtest/gtest.h"

namespace contour::leadership {
namespace {

constexpr char kUuid[] = "[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}";

TEST(IdentityTest, Table) {
  struct Case {
    const char* name;
    std::optional<std::string_view> pod_name;
    std::string_view hostname;
    std::string pattern;
  };
  const Case cases[] = {
      {"pod name wins", "contour-6f8b7c-x2x9z", "node-1", "contour-6f8b7c-x2x9z"},
      {"no pod name", std::nullopt, "node-1", std::string("node-1_") + kUuid},
      {"empty pod name is none", "", "node-1", std::string("node-1_") + kUuid},
      {"no hostname either", std::nullopt, "", kUuid},
  };
  for (const Case& c : cases) {
    std::mt19937_64 random(42);
    const std::string identity = MakeIdentity(c.pod_name, c.hostname, random);
    EXPECT_TRUE(std::regex_match(identity, std::regex(c.pattern))) << c.name << ": " << identity;
  }
}

TEST(IdentityTest, SuffixComesFromTheRandomSource) {
  std::mt19937_64 first(7), again(7);
  EXPECT_EQ(MakeIdentity(std::nullopt, "host", first), MakeIdentity(std::nullopt, "host", again));
  // Two processes on one host must not share an identity.
  std::mt19937_64 random(7);
  std::set<std::string> seen;
  for (int i = 0; i < 100; ++i) seen.insert(MakeIdentity(std::nullopt, "host", random));
  EXPECT_EQ(seen.size(), 100u);
}

TEST(IdentityTest, FromEnvironment) {
  ASSERT_EQ(setenv("POD_NAME", "contour-abc", 1), 0);
  EXPECT_EQ(IdentityFromEnvironment(), "contour-abc");
  ASSERT_EQ(unsetenv("POD_NAME"), 0);
  const std::string identity = IdentityFromEnvironment();
  EXPECT_TRUE(std::regex_search(identity, std::regex(std::string("_?") + kUuid + "$"))) << identity;
  EXPECT_NE(identity, IdentityFromEnvironment());
}

}  // namespace
}  // namespace contour::leadership
