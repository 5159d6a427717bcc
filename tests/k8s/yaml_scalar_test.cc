// Scalar typing as Kubernetes' YAML (go-yaml v2, YAML 1.1) does it.
#include "k8s/yaml_scalar.h"

#include <cmath>
#include <limits>
#include <string>

#include "gtest/gtest.h"
#include "k8s/decode.h"

namespace contour::k8s {
namespace {

using nlohmann::json;

struct ScalarCase {
  std::string name;
  std::string value;
  std::string tag;
  json expected;
};

constexpr char kPlain[] = "?";
constexpr char kQuoted[] = "!";

class YamlScalarTest : public ::testing::TestWithParam<ScalarCase> {};

TEST_P(YamlScalarTest, Resolves) {
  const ScalarCase& c = GetParam();
  json got = ResolveYamlScalar(c.value, c.tag);
  EXPECT_EQ(got.type(), c.expected.type()) << got.dump();
  EXPECT_EQ(got, c.expected) << got.dump();
}

INSTANTIATE_TEST_SUITE_P(
    Scalars, YamlScalarTest,
    ::testing::Values(
        ScalarCase{"EmptyIsNull", "", kPlain, json(nullptr)},
        ScalarCase{"TildeIsNull", "~", kPlain, json(nullptr)},
        ScalarCase{"NullWord", "Null", kPlain, json(nullptr)},
        ScalarCase{"UpperNull", "NULL", kPlain, json(nullptr)},
        ScalarCase{"MixedCaseNullIsString", "nULL", kPlain, json("nULL")},
        ScalarCase{"True", "true", kPlain, json(true)},
        ScalarCase{"TitleTrue", "True", kPlain, json(true)},
        ScalarCase{"UpperFalse", "FALSE", kPlain, json(false)},
        ScalarCase{"Yes", "yes", kPlain, json(true)},
        ScalarCase{"UpperNo", "NO", kPlain, json(false)},
        ScalarCase{"On", "On", kPlain, json(true)}, ScalarCase{"Off", "off", kPlain, json(false)},
        ScalarCase{"Y", "y", kPlain, json(true)}, ScalarCase{"N", "N", kPlain, json(false)},
        ScalarCase{"MixedCaseBoolIsString", "tRUE", kPlain, json("tRUE")},
        ScalarCase{"QuotedTrueIsString", "true", kQuoted, json("true")},
        ScalarCase{"QuotedNumberIsString", "80", kQuoted, json("80")},
        ScalarCase{"QuotedEmptyIsString", "", kQuoted, json("")},
        ScalarCase{"StrTagIsString", "yes", "tag:yaml.org,2002:str", json("yes")},
        ScalarCase{"Decimal", "8080", kPlain, json(8080)},
        ScalarCase{"Negative", "-5", kPlain, json(-5)},
        ScalarCase{"PlusSign", "+7", kPlain, json(7)},
        ScalarCase{"Underscores", "1_000", kPlain, json(1000)},
        ScalarCase{"Hex", "0x1F", kPlain, json(31)},
        ScalarCase{"OctalPrefix", "0o17", kPlain, json(15)},
        ScalarCase{"LeadingZeroOctal", "017", kPlain, json(15)},
        ScalarCase{"Binary", "0b101", kPlain, json(5)},
        ScalarCase{"NotOctalBecomesFloat", "08", kPlain, json(8.0)},
        ScalarCase{"Int64Min", "-9223372036854775808", kPlain,
                   json(std::numeric_limits<int64_t>::min())},
        ScalarCase{"Uint64", "18446744073709551615", kPlain,
                   json(std::numeric_limits<uint64_t>::max())},
        ScalarCase{"PastUint64IsFloat", "18446744073709551616", kPlain,
                   json(18446744073709551616.0)},
        ScalarCase{"Float", "1.5", kPlain, json(1.5)},
        ScalarCase{"LeadingDotFloat", ".5", kPlain, json(0.5)},
        ScalarCase{"Exponent", "1e3", kPlain, json(1000.0)},
        ScalarCase{"Infinity", ".inf", kPlain, json(std::numeric_limits<double>::infinity())},
        ScalarCase{"NegativeInfinity", "-.Inf", kPlain,
                   json(-std::numeric_limits<double>::infinity())},
        ScalarCase{"FloatOverflowIsString", "1e400", kPlain, json("1e400")},
        ScalarCase{"Version", "1.2.3", kPlain, json("1.2.3")},
        ScalarCase{"IpAddress", "10.0.0.1", kPlain, json("10.0.0.1")},
        ScalarCase{"Duration", "30s", kPlain, json("30s")},
        ScalarCase{"DashOnly", "-", kPlain, json("-")},
        ScalarCase{"HexWithoutDigits", "0x", kPlain, json("0x")},
        ScalarCase{"Path", "/api", kPlain, json("/api")},
        ScalarCase{"MergeKeyText", "<<", kPlain, json("<<")}),
    [](const auto& info) { return info.param.name; });

TEST(YamlScalarTest, NaN) {
  json got = ResolveYamlScalar(".NaN", kPlain);
  ASSERT_TRUE(got.is_number_float());
  EXPECT_TRUE(std::isnan(got.get<double>()));
}

// The same typing seen end to end: a plain `yes` label value is a bool, which the API server
// (and so the decoder) refuses for a string field; quoting makes it a string.
TEST(YamlScalarTest, TypingReachesTheDecoder) {
  DecodeResult result = DecodeManifests(R"(
apiVersion: v1
kind: Service
metadata:
  name: bool-label
  labels: {enabled: yes}
---
apiVersion: v1
kind: Service
metadata:
  name: quoted-label
  labels: {enabled: "yes", port: "80"}
)",
                                        "typing.yaml");
  ASSERT_EQ(result.errors.size(), 1u);
  EXPECT_EQ(result.errors[0].ToString(),
            "typing.yaml: document 0: Service default/bool-label: metadata.labels.enabled: "
            "expected a string, got boolean");
  ASSERT_EQ(result.objects.size(), 1u);
  EXPECT_EQ(MetaOf(result.objects[0]).labels,
            (std::map<std::string, std::string>{{"enabled", "yes"}, {"port", "80"}}));
}

}  // namespace
}  // namespace contour::k8s
