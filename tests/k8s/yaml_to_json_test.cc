#include "k8s/yaml_to_json.h"

#include <string>
#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace contour::k8s {
namespace {

using nlohmann::json;
using ::testing::ElementsAre;
using ::testing::HasSubstr;

struct SplitCase {
  std::string name;
  std::string stream;
  std::vector<std::string> documents;
  std::vector<int> first_lines;
};

class SplitYamlDocumentsTest : public ::testing::TestWithParam<SplitCase> {};

TEST_P(SplitYamlDocumentsTest, Splits) {
  const SplitCase& c = GetParam();
  std::vector<std::string> texts;
  std::vector<int> lines;
  for (const YamlDocument& document : SplitYamlDocuments(c.stream)) {
    texts.emplace_back(document.text);
    lines.push_back(document.first_line);
  }
  EXPECT_EQ(texts, c.documents);
  EXPECT_EQ(lines, c.first_lines);
}

INSTANTIATE_TEST_SUITE_P(
    Streams, SplitYamlDocumentsTest,
    ::testing::Values(
        SplitCase{"Empty", "", {}, {}}, SplitCase{"OnlyComments", "# nothing\n\n", {}, {}},
        SplitCase{"OneBareDocument", "a: 1\n", {"a: 1\n"}, {0}},
        SplitCase{"LeadingMarker", "# c\n---\na: 1\n", {"---\na: 1\n"}, {1}},
        SplitCase{"TwoDocuments", "a: 1\n---\nb: 2\n", {"a: 1\n", "---\nb: 2\n"}, {0, 1}},
        SplitCase{"EmptyMiddleDocumentCounts",
                  "---\na: 1\n---\n---\nb: 2",
                  {"---\na: 1\n", "---\n", "---\nb: 2"},
                  {0, 2, 3}},
        SplitCase{
            "MarkerWithContent", "--- {a: 1}\n--- [1]\n", {"--- {a: 1}\n", "--- [1]\n"}, {0, 1}},
        SplitCase{"DashesInsideALineAreNotMarkers",
                  "a: ---\nb: '---x'\n---x: 1\n",
                  {"a: ---\nb: '---x'\n---x: 1\n"},
                  {0}},
        SplitCase{"DirectivesStayWithTheirDocument",
                  "%YAML 1.1\n---\na: 1\n",
                  {"%YAML 1.1\n---\na: 1\n"},
                  {0}},
        SplitCase{"DocumentEndMarker",
                  "a: 1\n...\n# trailing\n---\nb: 2\n",
                  {"a: 1\n", "---\nb: 2\n"},
                  {0, 3}},
        SplitCase{"ByteOrderMark", "\xEF\xBB\xBF---\na: 1\n", {"---\na: 1\n"}, {0}},
        SplitCase{"CrLf", "a: 1\r\n---\r\nb: 2\r\n", {"a: 1\r\n", "---\r\nb: 2\r\n"}, {0, 1}}),
    [](const auto& info) { return info.param.name; });

absl::StatusOr<json> Convert(std::string_view text, int first_line = 0) {
  return YamlToJson(YamlDocument{text, first_line});
}

struct ConvertCase {
  std::string name;
  std::string yaml;
  std::string expected_json;
};

class YamlToJsonTest : public ::testing::TestWithParam<ConvertCase> {};

TEST_P(YamlToJsonTest, Converts) {
  const ConvertCase& c = GetParam();
  absl::StatusOr<json> got = Convert(c.yaml);
  ASSERT_TRUE(got.ok()) << got.status();
  EXPECT_EQ(got->dump(), json::parse(c.expected_json).dump());
}

INSTANTIATE_TEST_SUITE_P(
    Documents, YamlToJsonTest,
    ::testing::Values(
        ConvertCase{"EmptyDocumentIsNull", "# only a comment\n", "null"},
        ConvertCase{"MarkerOnlyIsNull", "---\n", "null"},
        ConvertCase{"NestedMapsAndLists", "a:\n  b: [1, two, {c: null}]\n  d: ~\n  e:\n",
                    R"({"a": {"b": [1, "two", {"c": null}], "d": null, "e": null}})"},
        ConvertCase{"BlockScalarIsString", "a: |\n  80\nb: >-\n  true\n",
                    R"({"a": "80\n", "b": "true"})"},
        ConvertCase{"ScalarKeysBecomeStrings", "1: a\ntrue: b\n0x10: c\n",
                    R"({"1": "a", "true": "b", "16": "c"})"},
        ConvertCase{"AnchorAndAlias", "base: &b {x: 1}\ncopy: *b\nk: &k 5\nm: *k\n",
                    R"({"base": {"x": 1}, "copy": {"x": 1}, "k": 5, "m": 5})"},
        ConvertCase{"MergeKeyLaterKeysWin", "base: &b {x: 1, z: 2}\nd:\n  <<: *b\n  z: 3\n",
                    R"({"base": {"x": 1, "z": 2}, "d": {"x": 1, "z": 3}})"},
        ConvertCase{"MergeListEarlierMapsWin",
                    "a: &a {x: 1}\nb: &b {x: 2, z: 3}\nd:\n  <<: [*a, *b]\n",
                    R"({"a": {"x": 1}, "b": {"x": 2, "z": 3}, "d": {"x": 1, "z": 3}})"},
        // go-yaml v2 reads the key `y` as true, as Kubernetes does.
        ConvertCase{"YAndNKeysAreBooleans", "y: 1\nn: 2\n", R"({"true": 1, "false": 2})"},
        ConvertCase{"QuotedMergeKeyIsAKey", "\"<<\": 1\n", R"({"<<": 1})"},
        ConvertCase{"DuplicateKeyLastWins", "a: 1\na: 2\n", R"({"a": 2})"},
        ConvertCase{"Utf8", "name: \"caf\\u00e9 ☕\"\n", R"({"name": "café ☕"})"}),
    [](const auto& info) { return info.param.name; });

struct ErrorCase {
  std::string name;
  std::string yaml;
  std::string message;
};

class YamlToJsonErrorTest : public ::testing::TestWithParam<ErrorCase> {};

TEST_P(YamlToJsonErrorTest, Fails) {
  const ErrorCase& c = GetParam();
  absl::StatusOr<json> got = Convert(c.yaml, /*first_line=*/10);
  ASSERT_FALSE(got.ok()) << got->dump();
  EXPECT_EQ(std::string(got.status().message()), c.message);
}

std::string Nested(int depth) { return std::string(depth, '[') + std::string(depth, ']'); }

INSTANTIATE_TEST_SUITE_P(
    Documents, YamlToJsonErrorTest,
    ::testing::Values(
        ErrorCase{"BadIndentation", "a: 1\n b: 2\n",
                  "invalid YAML at line 12, column 3: illegal map value"},
        ErrorCase{"UnclosedFlow", "a: [1, 2\n",
                  "invalid YAML at line 12, column 1: end of sequence flow not found"},
        ErrorCase{"UnknownAlias", "a: *nope\n",
                  "invalid YAML at line 11, column 4: the referenced anchor is not defined"},
        ErrorCase{"TooDeep", Nested(65),
                  "line 11, column 65: document is nested deeper than 64 levels"},
        ErrorCase{"FarTooDeepForYamlCpp", Nested(5000),
                  "line 11, column 65: document is nested deeper than 64 levels"},
        ErrorCase{"FarTooDeepBlockMaps",
                  [] {
                    std::string yaml;
                    for (int i = 0; i < 700; ++i) yaml += std::string(i, ' ') + "a:\n";
                    return yaml;
                  }(),
                  "line 75, column 65: document is nested deeper than 64 levels"},
        ErrorCase{"ComplexKey", "? [a]\n: 1\n", "line 11, column 3: mapping keys must be scalars"},
        ErrorCase{"MergeOfAScalar", "a:\n  <<: 1\n",
                  "line 12, column 7: merge key << takes a map or a list of maps"},
        ErrorCase{"SelfReferentialAlias", "a: &a [*a]\n",
                  "line 11, column 8: alias refers to a node that contains it"},
        ErrorCase{"InvalidUtf8", "a: \"\xff\xfe\"\n", "line 11, column 4: invalid UTF-8"}),
    [](const auto& info) { return info.param.name; });

TEST(YamlToJsonTest, ExactlySixtyFourLevelsIsAccepted) {
  absl::StatusOr<json> got = Convert(Nested(64));
  EXPECT_TRUE(got.ok()) << got.status();
}

// "Billion laughs": each level doubles the size through aliases.
TEST(YamlToJsonTest, AliasExpansionIsBounded) {
  std::string yaml = "a0: &a0 [" + std::string(1000, 'x') + "]\n";
  for (int i = 1; i <= 30; ++i) {
    std::string prev = "*a" + std::to_string(i - 1);
    yaml +=
        "a" + std::to_string(i) + ": &a" + std::to_string(i) + " [" + prev + ", " + prev + "]\n";
  }
  absl::StatusOr<json> got = Convert(yaml);
  ASSERT_FALSE(got.ok());
  EXPECT_THAT(got.status().message(), HasSubstr("aliases expand to more than 3145728 bytes"));
}

}  // namespace
}  // namespace contour::k8s
