#include <optional>
#include <string>

#include "gtest/gtest.h"
#include "k8s/base64.h"
#include "k8s/names.h"

namespace contour::k8s {
namespace {

struct Base64Case {
  std::string name;
  std::string input;
  std::optional<std::string> expected;
};

class Base64Test : public ::testing::TestWithParam<Base64Case> {};

TEST_P(Base64Test, Decodes) { EXPECT_EQ(DecodeStdBase64(GetParam().input), GetParam().expected); }

INSTANTIATE_TEST_SUITE_P(
    Inputs, Base64Test,
    ::testing::Values(Base64Case{"Empty", "", ""}, Base64Case{"OnePad", "YWI=", "ab"},
                      Base64Case{"TwoPads", "YQ==", "a"}, Base64Case{"NoPad", "YWJj", "abc"},
                      Base64Case{"NewlinesSkipped", "YW\r\nJj\n", "abc"},
                      Base64Case{"BinaryBytes", "AP8=", std::string("\0\xff", 2)},
                      Base64Case{"MissingPadding", "YQ", std::nullopt},
                      Base64Case{"TooMuchPadding", "YQ===", std::nullopt},
                      Base64Case{"PadInTheMiddle", "YQ==YQ==", std::nullopt},
                      Base64Case{"LonePad", "=", std::nullopt},
                      Base64Case{"UrlAlphabet", "-_8=", std::nullopt},
                      Base64Case{"Space", "YW Jj", std::nullopt},
                      Base64Case{"DanglingSextet", "YWJjZ", std::nullopt}),
    [](const auto& info) { return info.param.name; });

struct NameCase {
  std::string name;
  std::string input;
  bool subdomain;
  bool label;
};

class NamesTest : public ::testing::TestWithParam<NameCase> {};

TEST_P(NamesTest, Validates) {
  EXPECT_EQ(IsDns1123Subdomain(GetParam().input), GetParam().subdomain);
  EXPECT_EQ(IsDns1123Label(GetParam().input), GetParam().label);
}

INSTANTIATE_TEST_SUITE_P(
    Inputs, NamesTest,
    ::testing::Values(
        NameCase{"Simple", "web", true, true}, NameCase{"Dashes", "my-web-1", true, true},
        NameCase{"Dotted", "web.example.com", true, false}, NameCase{"Empty", "", false, false},
        NameCase{"Upper", "Web", false, false}, NameCase{"LeadingDash", "-web", false, false},
        NameCase{"TrailingDot", "web.", false, false}, NameCase{"DoubleDot", "a..b", false, false},
        NameCase{"Underscore", "a_b", false, false},
        NameCase{"Label63", std::string(63, 'a'), true, true},
        NameCase{"Label64", std::string(64, 'a'), true, false},
        NameCase{"Subdomain253",
                 std::string(61, 'a') + "." + std::string(63, 'b') + "." + std::string(63, 'c') +
                     "." + std::string(63, 'd'),
                 true, false},
        NameCase{"Subdomain254", std::string(254, 'a'), false, false}),
    [](const auto& info) { return info.param.name; });

}  // namespace
}  // namespace contour::k8s
