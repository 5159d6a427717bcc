// Golden cases: tests/testdata/golden/<case>/input.yaml → expected.yaml (what `contour translate
// --status` prints) and expected-errors.txt (exit status and stderr). Optional `args` holds
// extra translate flags, one per line; a contour.yaml beside it may be named with -c.
//
// CONTOUR_UPDATE_GOLDEN=1 rewrites the expected files; review the diff before committing.
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "cli/translate_command.h"
#include "gtest/gtest.h"

namespace contour::cli {
namespace {

namespace fs = std::filesystem;

const fs::path kGoldenDir = fs::path(CONTOUR_SOURCE_DIR) / "tests/testdata/golden";

std::string ReadFile(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream text;
  text << in.rdbuf();
  return text.str();
}

void WriteFile(const fs::path& path, const std::string& text) {
  std::ofstream out(path, std::ios::binary);
  out << text;
}

std::vector<std::string> CaseNames() {
  std::vector<std::string> names;
  for (const auto& entry : fs::directory_iterator(kGoldenDir)) {
    if (entry.is_directory() && fs::exists(entry.path() / "input.yaml")) {
      names.push_back(entry.path().filename().string());
    }
  }
  std::sort(names.begin(), names.end());
  return names;
}

// Runs translate as the command line would, from inside the case directory (so that -c and
// file names in messages are relative and stable).
struct Outcome {
  int exit_code;
  std::string out;
  std::string err;
};

Outcome RunCase(const fs::path& dir) {
  std::vector<std::string> args = {"contour", "translate", "-f", "input.yaml", "--status"};
  std::istringstream extra(fs::exists(dir / "args") ? ReadFile(dir / "args") : "");
  for (std::string line; std::getline(extra, line);) {
    if (!line.empty() && line[0] != '#') args.push_back(line);
  }
  const fs::path previous = fs::current_path();
  fs::current_path(dir);
  CLI::App app;
  TranslateOptions options;
  AddTranslateCommand(app, options);
  std::vector<const char*> argv;
  for (const std::string& arg : args) argv.push_back(arg.c_str());
  std::ostringstream out, err;
  int code;
  try {
    app.parse(static_cast<int>(argv.size()), argv.data());
    code = RunTranslate(options, out, err);
  } catch (const CLI::ParseError& e) {
    err << e.what() << "\n";
    code = 2;
  }
  fs::current_path(previous);
  return {code, out.str(), err.str()};
}

class GoldenTest : public testing::TestWithParam<std::string> {};

TEST_P(GoldenTest, MatchesExpected) {
  const fs::path dir = kGoldenDir / GetParam();
  const Outcome outcome = RunCase(dir);
  const std::string errors = "exit: " + std::to_string(outcome.exit_code) + "\n" + outcome.err;
  if (std::getenv("CONTOUR_UPDATE_GOLDEN") != nullptr) {
    WriteFile(dir / "expected.yaml", outcome.out);
    WriteFile(dir / "expected-errors.txt", errors);
    GTEST_SKIP() << "rewrote " << dir;
  }
  ASSERT_TRUE(fs::exists(dir / "expected.yaml"))
      << "no expected.yaml: run with CONTOUR_UPDATE_GOLDEN=1 and review it";
  EXPECT_EQ(outcome.out, ReadFile(dir / "expected.yaml"));
  EXPECT_EQ(errors, ReadFile(dir / "expected-errors.txt"));
}

// Same input twice: byte-identical output (house rule 1).
TEST_P(GoldenTest, IsDeterministic) {
  const fs::path dir = kGoldenDir / GetParam();
  EXPECT_EQ(RunCase(dir).out, RunCase(dir).out);
}

INSTANTIATE_TEST_SUITE_P(Cases, GoldenTest, testing::ValuesIn(CaseNames()),
                         [](const testing::TestParamInfo<std::string>& info) {
                           std::string name = info.param;
                           for (char& c : name) {
                             if (!isalnum(static_cast<unsigned char>(c))) c = '_';
                           }
                           return name;
                         });

}  // namespace
}  // namespace contour::cli
