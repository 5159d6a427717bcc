// ServedEndpoints: a sequence of changes gives, at every step, the same assignments as a plain
// map changed in place, and every earlier value stays as it was.
#include "xds/served_endpoints.h"

#include <map>
#include <random>
#include <string>
#include <utility>
#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace contour::xds {
namespace {

using Reference = std::map<std::string, std::string>;  // name → version

ResourcePtr Assignment(const std::string& name, const std::string& version) {
  return std::make_shared<Resource>(Resource{name, version, ""});
}

// Every assignment as ForEach visits it, in its order.
std::vector<std::pair<std::string, std::string>> Visited(const ServedEndpoints& served) {
  std::vector<std::pair<std::string, std::string>> visited;
  served.ForEach([&](const std::string& name, const ResourcePtr& resource) {
    visited.emplace_back(name, resource->version);
  });
  return visited;
}

// What Find answers for each of `names`: its version, or "-" when absent.
std::vector<std::string> Found(const ServedEndpoints& served,
                               const std::vector<std::string>& names) {
  std::vector<std::string> found;
  for (const std::string& name : names) {
    ResourcePtr resource = served.Find(name);
    found.push_back(resource == nullptr ? "-" : resource->version);
  }
  return found;
}

std::vector<std::string> Found(const Reference& reference, const std::vector<std::string>& names) {
  std::vector<std::string> found;
  for (const std::string& name : names) {
    auto want = reference.find(name);
    found.push_back(want == reference.end() ? "-" : want->second);
  }
  return found;
}

// One expectation each for ForEach and Find, so that a long randomized run stays cheap.
void ExpectMatches(const ServedEndpoints& served, const Reference& reference,
                   const std::vector<std::string>& all_names) {
  EXPECT_EQ(Visited(served),
            (std::vector<std::pair<std::string, std::string>>(reference.begin(), reference.end())));
  EXPECT_EQ(Found(served, all_names), Found(reference, all_names));
}

TEST(ServedEndpointsTest, StepsTable) {
  struct Step {
    std::vector<std::pair<std::string, std::string>> upserts;
    std::vector<std::string> removals;
    Reference want;
  };
  const std::vector<Step> steps = {
      {{{"b", "1"}, {"a", "1"}, {"c", "1"}}, {}, {{"a", "1"}, {"b", "1"}, {"c", "1"}}},
      // min_fold 2: three names in the overlay fold into the base.
      {{{"b", "2"}}, {}, {{"a", "1"}, {"b", "2"}, {"c", "1"}}},
      {{}, {"a"}, {{"b", "2"}, {"c", "1"}}},                        // a removal from the base
      {{{"a", "3"}}, {}, {{"a", "3"}, {"b", "2"}, {"c", "1"}}},     // and back
      {{{"d", "1"}}, {"d"}, {{"a", "3"}, {"b", "2"}, {"c", "1"}}},  // removed in the same change
      {{}, {"zz"}, {{"a", "3"}, {"b", "2"}, {"c", "1"}}},           // never there
      {{}, {"a", "b", "c"}, {}},
  };
  const std::vector<std::string> names = {"a", "b", "c", "d", "zz"};
  ServedEndpoints served(2);
  for (size_t i = 0; i < steps.size(); ++i) {
    SCOPED_TRACE(i);
    EndpointChanges changes;
    for (const auto& [name, version] : steps[i].upserts) {
      changes.updated.push_back(Assignment(name, version));
    }
    changes.removed = steps[i].removals;
    served = served.With(changes);
    ExpectMatches(served, steps[i].want, names);
  }
}

// Random upserts and removals over 100 names, with folds at every size the rule allows: each
// value matches the reference of its step, then and after every later step.
TEST(ServedEndpointsTest, RandomChangesMatchAMapAndLeaveEarlierValuesAlone) {
  for (size_t min_fold : {size_t{1}, size_t{4}, size_t{64}}) {
    for (unsigned seed = 1; seed <= 3; ++seed) {
      SCOPED_TRACE(testing::Message() << "min_fold " << min_fold << " seed " << seed);
      std::mt19937 random(seed);
      std::vector<std::string> names;
      for (int i = 0; i < 100; ++i) names.push_back("ns/svc-" + std::to_string(i) + "/http");
      Reference reference;
      ServedEndpoints served(min_fold);
      std::vector<std::pair<ServedEndpoints, Reference>> history;
      bool folded = false;
      for (int step = 0; step < 300; ++step) {
        EndpointChanges changes;
        const int count = 1 + static_cast<int>(random() % 8);
        for (int c = 0; c < count; ++c) {
          const std::string& name = names[random() % names.size()];
          if (random() % 3 == 0) {
            changes.removed.push_back(name);
          } else {
            changes.updated.push_back(Assignment(name, std::to_string(step)));
          }
        }
        // Applied as With does: upserts, then removals.
        for (const ResourcePtr& resource : changes.updated) {
          reference[resource->name] = resource->version;
        }
        for (const std::string& name : changes.removed) reference.erase(name);
        const size_t overlay_before = served.overlay_size();
        served = served.With(changes);
        if (served.overlay_size() < overlay_before) folded = true;
        ExpectMatches(served, reference, names);
        if (step % 30 == 0) history.emplace_back(served, reference);
      }
      EXPECT_TRUE(folded);
      for (const auto& [earlier, earlier_reference] : history) {
        ExpectMatches(earlier, earlier_reference, names);
      }
    }
  }
}

// The overlay stays near √n: a change at 10,000 assignments copies about a hundred, not all.
TEST(ServedEndpointsTest, OverlayStaysNearTheSquareRootOfTheBase) {
  EndpointChanges all;
  for (int i = 0; i < 10000; ++i) {
    all.updated.push_back(Assignment("ns/svc-" + std::to_string(i) + "/http", "0"));
  }
  ServedEndpoints served = ServedEndpoints().With(all);
  EXPECT_EQ(served.overlay_size(), 0u);  // 10,000 new names: folded at once
  size_t largest = 0;
  for (int step = 1; step <= 1000; ++step) {
    EndpointChanges one;
    one.updated.push_back(
        Assignment("ns/svc-" + std::to_string(step * 7 % 10000) + "/http", std::to_string(step)));
    served = served.With(one);
    largest = std::max(largest, served.overlay_size());
  }
  EXPECT_LE(largest, 100u);
  EXPECT_GE(largest, 64u);
}

}  // namespace
}  // namespace contour::xds
