// `contour bootstrap`: flags (and their environment variables) reach the translator, the file is
// JSON or YAML by its name and reads back as the same Bootstrap, and errors have exit codes.
#include "cli/bootstrap_command.h"

#include <stdlib.h>

#include <filesystem>
#include <fstream>
#include <functional>
#include <optional>
#include <ostream>
#include <sstream>
#include <string>
#include <vector>

#include "gmock/gmock.h"
#include "google/protobuf/util/json_util.h"
#include "google/protobuf/util/message_differencer.h"
#include "gtest/gtest.h"
#include "nlohmann/json.hpp"
#include "yaml-cpp/yaml.h"

namespace contour::cli {
namespace {

namespace fs = std::filesystem;
using envoy::config::bootstrap::v3::Bootstrap;
using ::testing::HasSubstr;

constexpr char kTlsError[] =
    "contour bootstrap: you must supply all three TLS parameters - --envoy-cafile, "
    "--envoy-cert-file, --envoy-key-file, or none of them\n";

std::string ReadFile(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream text;
  text << in.rdbuf();
  return text.str();
}

// A fresh directory per test, removed afterwards.
class TempDir {
 public:
  TempDir() {
    std::string pattern = (fs::path(testing::TempDir()) / "bootstrap-XXXXXX").string();
    path_ = ::mkdtemp(pattern.data());
  }
  ~TempDir() {
    std::error_code ignored;
    fs::remove_all(path_, ignored);
  }
  const fs::path& path() const { return path_; }
  std::vector<std::string> Entries() const {
    std::vector<std::string> names;
    for (const auto& entry : fs::directory_iterator(path_)) {
      names.push_back(entry.path().filename().string());
    }
    std::sort(names.begin(), names.end());
    return names;
  }

 private:
  fs::path path_;
};

// Sets environment variables for one test and restores them.
class ScopedEnv {
 public:
  explicit ScopedEnv(const std::vector<std::pair<std::string, std::string>>& vars) {
    for (const auto& [name, value] : vars) {
      const char* old = ::getenv(name.c_str());
      saved_.emplace_back(name, old ? std::optional<std::string>(old) : std::nullopt);
      ::setenv(name.c_str(), value.c_str(), 1);
    }
  }
  ~ScopedEnv() {
    for (const auto& [name, old] : saved_) {
      if (old) {
        ::setenv(name.c_str(), old->c_str(), 1);
      } else {
        ::unsetenv(name.c_str());
      }
    }
  }

 private:
  std::vector<std::pair<std::string, std::optional<std::string>>> saved_;
};

struct Outcome {
  int exit_code;
  std::string err;
  BootstrapOptions options;
};

// Runs `contour bootstrap ARGS...` as main does.
Outcome RunCommand(const std::vector<std::string>& args) {
  std::vector<std::string> full = {"contour", "bootstrap"};
  full.insert(full.end(), args.begin(), args.end());
  std::vector<const char*> argv;
  for (const std::string& arg : full) argv.push_back(arg.c_str());
  CLI::App app;
  BootstrapOptions options;
  AddBootstrapCommand(app, options);
  std::ostringstream out, err;
  int code;
  try {
    app.parse(static_cast<int>(argv.size()), argv.data());
    code = RunBootstrap(options, out, err);
  } catch (const CLI::ParseError& e) {
    err << e.what() << "\n";
    code = 2;
  }
  EXPECT_EQ(out.str(), "") << "bootstrap prints nothing to stdout";
  return {code, err.str(), options};
}

testing::AssertionResult SameBootstrap(const Bootstrap& want, const Bootstrap& got) {
  std::string diff;
  google::protobuf::util::MessageDifferencer differencer;
  differencer.ReportDifferencesToString(&diff);
  if (differencer.Compare(want, got)) return testing::AssertionSuccess();
  return testing::AssertionFailure() << "differences (expected → actual):\n" << diff;
}

testing::AssertionResult ParseJson(const std::string& text, Bootstrap* bootstrap) {
  const auto status = google::protobuf::util::JsonStringToMessage(text, bootstrap);
  if (status.ok()) return testing::AssertionSuccess();
  return testing::AssertionFailure() << std::string(status.message()) << "\n" << text;
}

// YAML back to JSON: quoted scalars are strings, plain ones numbers or booleans.
nlohmann::json YamlToJson(const YAML::Node& node) {
  switch (node.Type()) {
    case YAML::NodeType::Map: {
      nlohmann::json object = nlohmann::json::object();
      for (const auto& item : node) object[item.first.as<std::string>()] = YamlToJson(item.second);
      return object;
    }
    case YAML::NodeType::Sequence: {
      nlohmann::json array = nlohmann::json::array();
      for (const auto& item : node) array.push_back(YamlToJson(item));
      return array;
    }
    case YAML::NodeType::Scalar: {
      const std::string& text = node.Scalar();
      if (node.Tag() == "!") return text;
      if (text == "true" || text == "false") return text == "true";
      return nlohmann::json::parse(text);
    }
    default:
      return nullptr;
  }
}

// Each flag, or its environment variable, reaches its field.
struct FlagCase {
  std::string name;
  std::vector<std::string> args;
  std::vector<std::pair<std::string, std::string>> env;
  std::function<void(translate::BootstrapConfig&)> want;

  friend void PrintTo(const FlagCase& c, std::ostream* os) { *os << c.name; }
};

class BootstrapFlagTest : public testing::TestWithParam<FlagCase> {};

TEST_P(BootstrapFlagTest, ReachesConfig) {
  const FlagCase& c = GetParam();
  TempDir dir;
  std::vector<std::string> args = {(dir.path() / "envoy.json").string()};
  args.insert(args.end(), c.args.begin(), c.args.end());
  ScopedEnv env(c.env);
  const Outcome outcome = RunCommand(args);
  ASSERT_EQ(outcome.exit_code, 0) << outcome.err;

  translate::BootstrapConfig want;
  c.want(want);
  const translate::BootstrapConfig& got = outcome.options.config;
  EXPECT_EQ(got.admin_address, want.admin_address);
  EXPECT_EQ(got.admin_port, want.admin_port);
  EXPECT_EQ(got.xds_address, want.xds_address);
  EXPECT_EQ(got.xds_port, want.xds_port);
  EXPECT_EQ(got.namespace_, want.namespace_);
  EXPECT_EQ(got.ca_file, want.ca_file);
  EXPECT_EQ(got.cert_file, want.cert_file);
  EXPECT_EQ(got.key_file, want.key_file);
  EXPECT_EQ(got.ads, want.ads);

  Bootstrap written;
  ASSERT_TRUE(ParseJson(ReadFile(dir.path() / "envoy.json"), &written));
  EXPECT_TRUE(SameBootstrap(translate::Bootstrap(want), written));
}

INSTANTIATE_TEST_SUITE_P(
    Flags, BootstrapFlagTest,
    testing::Values(
        FlagCase{"Defaults", {}, {}, [](translate::BootstrapConfig&) {}},
        FlagCase{"AdminAddress",
                 {"--admin-address", "0.0.0.0"},
                 {},
                 [](translate::BootstrapConfig& c) { c.admin_address = "0.0.0.0"; }},
        FlagCase{"AdminPort",
                 {"--admin-port", "9100"},
                 {},
                 [](translate::BootstrapConfig& c) { c.admin_port = 9100; }},
        FlagCase{"XdsAddress",
                 {"--xds-address", "contour"},
                 {},
                 [](translate::BootstrapConfig& c) { c.xds_address = "contour"; }},
        FlagCase{"XdsPort",
                 {"--xds-port", "8444"},
                 {},
                 [](translate::BootstrapConfig& c) { c.xds_port = 8444; }},
        FlagCase{"Namespace",
                 {"--namespace", "projectcontour"},
                 {},
                 [](translate::BootstrapConfig& c) { c.namespace_ = "projectcontour"; }},
        FlagCase{"NamespaceFromEnv",
                 {},
                 {{"CONTOUR_NAMESPACE", "from-env"}},
                 [](translate::BootstrapConfig& c) { c.namespace_ = "from-env"; }},
        FlagCase{"NamespaceFlagBeatsEnv",
                 {"--namespace", "from-flag"},
                 {{"CONTOUR_NAMESPACE", "from-env"}},
                 [](translate::BootstrapConfig& c) { c.namespace_ = "from-flag"; }},
        FlagCase{"TlsFlags",
                 {"--envoy-cafile", "/ca.pem", "--envoy-cert-file", "/cert.pem", "--envoy-key-file",
                  "/key.pem"},
                 {},
                 [](translate::BootstrapConfig& c) {
                   c.ca_file = "/ca.pem";
                   c.cert_file = "/cert.pem";
                   c.key_file = "/key.pem";
                 }},
        FlagCase{"TlsFromEnv",
                 {},
                 {{"ENVOY_CAFILE", "/env/ca.pem"},
                  {"ENVOY_CERT_FILE", "/env/cert.pem"},
                  {"ENVOY_KEY_FILE", "/env/key.pem"}},
                 [](translate::BootstrapConfig& c) {
                   c.ca_file = "/env/ca.pem";
                   c.cert_file = "/env/cert.pem";
                   c.key_file = "/env/key.pem";
                 }},
        FlagCase{"Ads", {"--ads"}, {}, [](translate::BootstrapConfig& c) { c.ads = true; }}),
    [](const testing::TestParamInfo<FlagCase>& info) { return info.param.name; });

TEST(BootstrapCommandTest, JsonParsesBackToTheTranslatorsProto) {
  TempDir dir;
  const fs::path path = dir.path() / "envoy.json";
  const Outcome outcome = RunCommand({path.string(), "--xds-port", "8444", "--ads"});
  ASSERT_EQ(outcome.exit_code, 0) << outcome.err;
  EXPECT_EQ(outcome.err, "");
  const std::string text = ReadFile(path);
  // snake_case field names, as Envoy's docs spell them.
  EXPECT_THAT(text, HasSubstr("\"dynamic_resources\""));
  EXPECT_THAT(text, HasSubstr("\"alt_stat_name\": \"heptio-contour_contour_8444\""));
  Bootstrap written;
  ASSERT_TRUE(ParseJson(text, &written));
  EXPECT_TRUE(SameBootstrap(translate::Bootstrap(outcome.options.config), written));
  // The temporary file was renamed over, not left beside it.
  EXPECT_EQ(dir.Entries(), std::vector<std::string>{"envoy.json"});
  EXPECT_EQ(fs::status(path).permissions() & fs::perms::all,
            fs::perms::owner_read | fs::perms::owner_write | fs::perms::group_read |
                fs::perms::others_read);
}

TEST(BootstrapCommandTest, ReplacesAnExistingFile) {
  TempDir dir;
  const fs::path path = dir.path() / "envoy.json";
  std::ofstream(path) << "stale";
  const Outcome outcome = RunCommand({path.string()});
  ASSERT_EQ(outcome.exit_code, 0) << outcome.err;
  Bootstrap written;
  ASSERT_TRUE(ParseJson(ReadFile(path), &written));
  EXPECT_TRUE(SameBootstrap(translate::Bootstrap({}), written));
}

class BootstrapYamlTest : public testing::TestWithParam<std::string> {};

TEST_P(BootstrapYamlTest, YamlByExtensionParsesBack) {
  TempDir dir;
  const fs::path path = dir.path() / GetParam();
  const Outcome outcome = RunCommand({path.string(), "--envoy-cafile", "ca", "--envoy-cert-file",
                                      "c", "--envoy-key-file", "k", "--admin-port", "9100"});
  ASSERT_EQ(outcome.exit_code, 0) << outcome.err;
  const std::string text = ReadFile(path);
  // Block YAML (keys sorted, as ProtoToJson gives them), not JSON.
  EXPECT_EQ(text.rfind("admin:\n", 0), 0u) << text;
  EXPECT_THAT(text, HasSubstr("\ndynamic_resources:\n"));
  const nlohmann::json json = YamlToJson(YAML::Load(text));
  Bootstrap written;
  ASSERT_TRUE(ParseJson(json.dump(), &written));
  EXPECT_TRUE(SameBootstrap(translate::Bootstrap(outcome.options.config), written));
}

INSTANTIATE_TEST_SUITE_P(Extensions, BootstrapYamlTest, testing::Values("envoy.yaml", "envoy.yml"),
                         [](const testing::TestParamInfo<std::string>& info) {
                           return info.param == "envoy.yaml" ? std::string("Yaml")
                                                             : std::string("Yml");
                         });

class BootstrapPartialTlsTest : public testing::TestWithParam<std::vector<std::string>> {};

TEST_P(BootstrapPartialTlsTest, IsAUsageError) {
  TempDir dir;
  std::vector<std::string> args = {(dir.path() / "envoy.json").string()};
  args.insert(args.end(), GetParam().begin(), GetParam().end());
  const Outcome outcome = RunCommand(args);
  EXPECT_EQ(outcome.exit_code, 2);
  EXPECT_EQ(outcome.err, kTlsError);
  EXPECT_TRUE(dir.Entries().empty()) << "nothing is written";
}

INSTANTIATE_TEST_SUITE_P(
    Rows, BootstrapPartialTlsTest,
    testing::Values(std::vector<std::string>{"--envoy-cafile", "ca"},
                    std::vector<std::string>{"--envoy-cert-file", "c", "--envoy-key-file", "k"},
                    std::vector<std::string>{"--envoy-cafile", "ca", "--envoy-key-file", "k"}));

TEST(BootstrapCommandTest, PartialTlsFromEnvironmentIsAUsageError) {
  TempDir dir;
  ScopedEnv env({{"ENVOY_CERT_FILE", "/env/cert.pem"}});
  const Outcome outcome = RunCommand({(dir.path() / "envoy.json").string()});
  EXPECT_EQ(outcome.exit_code, 2);
  EXPECT_EQ(outcome.err, kTlsError);
}

TEST(BootstrapCommandTest, MissingPathIsAUsageError) { EXPECT_EQ(RunCommand({}).exit_code, 2); }

// Paths that cannot be written: exit 1 and a message that names the path.
class BootstrapUnwritableTest : public testing::TestWithParam<std::string> {};

TEST_P(BootstrapUnwritableTest, IsAnIoError) {
  TempDir dir;
  fs::create_directory(dir.path() / "a-directory");
  const std::string path = (dir.path() / GetParam()).string();
  const Outcome outcome = RunCommand({path});
  EXPECT_EQ(outcome.exit_code, 1);
  EXPECT_THAT(outcome.err, HasSubstr(path));
  EXPECT_THAT(outcome.err, ::testing::StartsWith("contour bootstrap: "));
  // No temporary file is left behind.
  EXPECT_EQ(dir.Entries(), std::vector<std::string>{"a-directory"});
  EXPECT_TRUE(fs::is_empty(dir.path() / "a-directory"));
}

INSTANTIATE_TEST_SUITE_P(Rows, BootstrapUnwritableTest,
                         testing::Values("no-such-dir/envoy.json", "a-directory"),
                         [](const testing::TestParamInfo<std::string>& info) {
                           return info.param == "a-directory" ? std::string("PathIsADirectory")
                                                              : std::string("MissingDirectory");
                         });

TEST(BootstrapCommandTest, WritesDevicesInPlace) {
  // /dev/null cannot be renamed over; it is written like /dev/stdout would be.
  const Outcome outcome = RunCommand({"/dev/null"});
  EXPECT_EQ(outcome.exit_code, 0) << outcome.err;
  EXPECT_TRUE(fs::is_character_file("/dev/null"));
}

}  // namespace
}  // namespace contour::cli
