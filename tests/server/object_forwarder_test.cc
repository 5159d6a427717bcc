// ObjectForwarder in metadata mode (Secrets): a fetched copy never overtakes what the watch or a
// relist has seen since it was asked for. Each case is a sequence of watch events, lists and
// offers; the sink must end holding exactly the Secrets the server still has.
#include "server/object_forwarder.h"

#include <map>
#include <ostream>
#include <string>
#include <vector>

#include "absl/synchronization/mutex.h"
#include "gtest/gtest.h"

namespace contour::server {
namespace {

// namespace/name → resourceVersion of what the sink holds; and every fetch asked for.
class RecordingSink : public controller::ObjectSink {
 public:
  void Upsert(k8s::Object object) override {
    const k8s::ObjectMeta& meta = k8s::MetaOf(object);
    held_[meta.namespace_ + "/" + meta.name] = meta.resource_version;
  }
  void Delete(std::string kind, std::string namespace_, std::string name) override {
    held_.erase(namespace_ + "/" + name);
  }
  void Synced(std::string) override {}

  std::map<std::string, std::string> held_;
};

nlohmann::json SecretAt(const std::string& name, int version, bool whole) {
  nlohmann::json object = {
      {"apiVersion", "v1"},
      {"kind", "Secret"},
      {"metadata",
       {{"namespace", "ns"}, {"name", name}, {"resourceVersion", std::to_string(version)}}}};
  if (whole) {
    object["type"] = "kubernetes.io/tls";
    object["data"] = {{"tls.crt", "dGxz"}, {"tls.key", "a2V5"}};
  }
  return object;
}

// One step: "add NAME V", "modify NAME V", "delete NAME V" (watch events, metadata only);
// "begin", "item NAME V", "end" (a complete relist); "offer NAME V" (a fetched copy arrives).
struct Case {
  const char* name;
  std::vector<std::string> steps;
  std::map<std::string, std::string> held;  // what the sink ends with
  std::vector<std::string> fetches;         // names asked to be fetched, in order
};

void PrintTo(const Case& c, std::ostream* out) { *out << c.name; }

class ObjectForwarderTest : public ::testing::TestWithParam<Case> {};

TEST_P(ObjectForwarderTest, FetchedCopiesNeverOvertakeTheWatch) {
  const Case& c = GetParam();
  RecordingSink sink;
  SecretInterest interest;
  interest.Add({{"ns", "a"}, {"ns", "b"}});
  std::vector<std::string> fetches;
  ObjectForwarder forwarder("Secret", sink, &interest,
                            [&](const dag::ObjectKey& key) { fetches.push_back(key.second); });
  forwarder.OnListBegin();
  forwarder.OnListEnd(true);
  for (const std::string& step : c.steps) {
    std::vector<std::string> words;
    for (size_t start = 0, end; start <= step.size(); start = end + 1) {
      end = step.find(' ', start);
      if (end == std::string::npos) end = step.size();
      words.push_back(step.substr(start, end - start));
    }
    const std::string& verb = words[0];
    if (verb == "begin") {
      forwarder.OnListBegin();
      continue;
    }
    if (verb == "end") {
      forwarder.OnListEnd(true);
      continue;
    }
    ASSERT_EQ(words.size(), 3u) << step;
    const nlohmann::json object = SecretAt(words[1], std::stoi(words[2]), verb == "offer");
    if (verb == "offer") {
      forwarder.Offer(object);
    } else if (verb == "item") {
      forwarder.OnListItem(object);
    } else {
      ASSERT_TRUE(verb == "add" || verb == "modify" || verb == "delete") << step;
      forwarder.OnWatchEvent(verb == "add"      ? k8s::WatchEventType::kAdded
                             : verb == "modify" ? k8s::WatchEventType::kModified
                                                : k8s::WatchEventType::kDeleted,
                             object);
    }
  }
  EXPECT_EQ(sink.held_, c.held);
  EXPECT_EQ(fetches, c.fetches);
}

INSTANTIATE_TEST_SUITE_P(
    Cases, ObjectForwarderTest,
    ::testing::Values(
        Case{"FetchedThenSent", {"add a 5", "offer a 5"}, {{"ns/a", "5"}}, {"a"}},
        Case{"UnwantedNeverFetched", {"add c 5"}, {}, {}},
        Case{"DeletedByTheWatchBeforeTheCopyArrives",
             {"add a 5", "delete a 6", "offer a 5"},
             {},
             {"a"}},
        Case{"DeletedByARelistBeforeTheCopyArrives",
             {"add a 5", "begin", "item b 7", "end", "offer a 5"},
             {},
             {"a", "b"}},
        Case{"DeletedAndCreatedAgain",
             {"add a 5", "delete a 6", "offer a 5", "add a 8", "offer a 8"},
             {{"ns/a", "8"}},
             {"a", "a"}},
        Case{"ACopyNewerThanTheWatchIsKept",
             {"add a 5", "offer a 7", "modify a 7"},
             {{"ns/a", "7"}},
             {"a"}},
        Case{"AnOlderCopyIsDropped", {"add a 5", "modify a 7", "offer a 5"}, {}, {"a", "a"}},
        Case{"DeletedAfterItWasSent", {"add a 5", "offer a 5", "delete a 6"}, {}, {"a"}},
        Case{"FetchedDuringARelist",
             {"begin", "item a 5", "offer a 5", "end"},
             {{"ns/a", "5"}},
             {"a"}},
        Case{"FetchedDuringARelistThatDropsIt",
             {"add a 5", "begin", "item a 5", "offer a 5", "end", "begin", "end"},
             {},
             {"a", "a"}},
        Case{"AskedForBeforeTheWatchSawIt", {"offer a 5", "add a 5"}, {{"ns/a", "5"}}, {}},
        Case{"AskedForBeforeTheWatchSawItThenDeleted",
             {"offer a 5", "add a 5", "delete a 6"},
             {},
             {}},
        Case{"AskedForBeforeTheWatchSawItThenRelistedWithout",
             {"offer a 5", "begin", "item b 7", "end"},
             {},
             {"b"}},
        Case{"CreatedAgainAfterTheDeletionAskedForBeforeTheWatchSawIt",
             {"add a 5", "offer a 5", "delete a 6", "offer a 8"},
             {{"ns/a", "8"}},
             {"a"}},
        Case{"DeletedByARelistThenACopyOfUnknownAge",
             {"add a 5", "begin", "end", "offer a 9"},
             {},
             {"a"}}),
    [](const ::testing::TestParamInfo<Case>& info) { return std::string(info.param.name); });

}  // namespace
}  // namespace contour::server
