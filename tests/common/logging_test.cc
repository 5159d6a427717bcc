#include "common/logging.h"

#include <string>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "nlohmann/json.hpp"
#include "spdlog/details/log_msg.h"

namespace contour {
namespace {

TEST(JsonEscapeTest, Table) {
  struct Case {
    std::string in, out;
  };
  const Case cases[] = {
      {"plain", "plain"},
      {"say \"hi\"", "say \\\"hi\\\""},
      {"back\\slash", "back\\\\slash"},
      {"two\nlines\ttab\r", "two\\nlines\\ttab\\r"},
      {std::string("nul\0x", 5), "nul\\u0000x"},
      {"\x1f", "\\u001f"},
      {"ünïcode", "ünïcode"},
  };
  for (const Case& c : cases) EXPECT_EQ(JsonEscape(c.in), c.out) << c.in;
}

TEST(JsonLogFormatterTest, EachLineIsAJsonObjectWithLogrusFields) {
  std::unique_ptr<spdlog::formatter> formatter = JsonLogFormatter();
  const std::string message = "IngressRoute default/app: \"bad\"\nsecond line";
  spdlog::details::log_msg msg("contour", spdlog::level::warn, message);
  spdlog::memory_buf_t out;
  formatter->format(msg, out);
  const std::string line(out.data(), out.size());
  ASSERT_FALSE(line.empty());
  EXPECT_EQ(line.back(), '\n');
  EXPECT_EQ(line.find('\n'), line.size() - 1) << "one line per record";
  const nlohmann::json parsed = nlohmann::json::parse(line, nullptr, false);
  ASSERT_FALSE(parsed.is_discarded()) << line;
  EXPECT_EQ(parsed["msg"], message);
  EXPECT_EQ(parsed["level"], "warning");
  EXPECT_THAT(parsed["time"].get<std::string>(),
              ::testing::MatchesRegex("[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9:.]+Z"));
}

TEST(ConfigureLoggingTest, RejectsUnknownFormatsAndLevels) {
  EXPECT_FALSE(ConfigureLogging({"xml", "info"}).ok());
  absl::Status level = ConfigureLogging({"text", "loud"});
  EXPECT_FALSE(level.ok());
  EXPECT_THAT(std::string(level.message()), ::testing::HasSubstr("loud"));
  EXPECT_TRUE(ConfigureLogging({"json", "debug"}).ok());
  EXPECT_TRUE(ConfigureLogging({"text", "off"}).ok());
  EXPECT_TRUE(ConfigureLogging({"text", "info"}).ok());
}

}  // namespace
}  // namespace contour
