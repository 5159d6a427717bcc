#include <string>

#include "config/serve_config.h"
#include "gtest/gtest.h"

namespace contour::config {
namespace {

TEST(ConfigFile, Defaults) {
  ServeConfig config;
  ASSERT_TRUE(ApplyConfigText("", "contour.yaml", config).ok());
  EXPECT_FALSE(config.disable_permit_insecure);
  EXPECT_EQ(config.min_tls_version, dag::TlsVersion::k1_1);
  EXPECT_EQ(config.leader_election.name, "contour");
  EXPECT_EQ(config.leader_election.namespace_, "heptio-contour");
  EXPECT_EQ(config.leader_election.lease_duration, absl::Seconds(15));
}

TEST(ConfigFile, EveryKey) {
  const std::string text = R"(
incluster: true
kubeconfig: /etc/kube/config
disablePermitInsecure: true
enableleaderelection: true
tls:
  minimum-protocol-version: "1.2"
leaderelection:
  configmap-name: leader
  configmap-namespace: projectcontour
  lease-duration: 1m30s
  renew-deadline: 20s
  retry-period: 5s
  lock: leases
)";
  ServeConfig config;
  ASSERT_TRUE(ApplyConfigText(text, "contour.yaml", config).ok());
  EXPECT_TRUE(config.in_cluster);
  EXPECT_EQ(config.kubeconfig, "/etc/kube/config");
  EXPECT_TRUE(config.disable_permit_insecure);
  EXPECT_TRUE(config.leader_election.enabled);
  EXPECT_EQ(config.min_tls_version, dag::TlsVersion::k1_2);
  EXPECT_EQ(config.leader_election.name, "leader");
  EXPECT_EQ(config.leader_election.namespace_, "projectcontour");
  EXPECT_EQ(config.leader_election.lease_duration, absl::Seconds(90));
  EXPECT_EQ(config.leader_election.renew_deadline, absl::Seconds(20));
  EXPECT_EQ(config.leader_election.retry_period, absl::Seconds(5));
  EXPECT_EQ(config.leader_election.lock, "leases");
}

TEST(ConfigFile, CamelCaseTlsKeyIsAccepted) {
  ServeConfig config;
  ASSERT_TRUE(ApplyConfigText("tls:\n  minimumProtocolVersion: \"1.3\"\n", "c.yaml", config).ok());
  EXPECT_EQ(config.min_tls_version, dag::TlsVersion::k1_3);
}

struct BadCase {
  std::string name;
  std::string text;
  std::string want_error;
};

TEST(ConfigFile, BadFilesNameFileLineAndKey) {
  const BadCase cases[] = {
      {"unknown key", "incluster: false\nbogus: 1\n", "c.yaml:2: bogus: unknown key"},
      {"wrong type", "disablePermitInsecure: maybe\n",
       "c.yaml:1: disablePermitInsecure: must be true or false, not \"maybe\""},
      {"quoted bool", "incluster: \"true\"\n",
       "c.yaml:1: incluster: must be true or false, not \"true\""},
      {"bad tls version", "tls:\n  minimum-protocol-version: \"1.0\"\n",
       "c.yaml:2: tls.minimum-protocol-version: must be one of 1.1, 1.2, 1.3"},
      {"unknown tls key", "tls:\n  ciphers: x\n", "c.yaml:2: tls.ciphers: unknown key"},
      {"bad duration", "leaderelection:\n  lease-duration: 15\n",
       "c.yaml:2: leaderelection.lease-duration: time: missing unit in duration \"15\""},
      {"negative duration", "leaderelection:\n  retry-period: -2s\n",
       "c.yaml:2: leaderelection.retry-period: must be positive"},
      {"lease not above renew", "leaderelection:\n  lease-duration: 10s\n  renew-deadline: 10s\n",
       "c.yaml:2: leaderelection: lease-duration must be greater than renew-deadline"},
      {"renew not above 1.2 retry", "leaderelection:\n  renew-deadline: 2s\n  retry-period: 2s\n",
       "c.yaml:2: leaderelection: renew-deadline must be greater than 1.2 × retry-period"},
      {"whole-second lease not above renew",
       "leaderelection:\n  lease-duration: 2500ms\n  renew-deadline: 2200ms\n  retry-period: "
       "300ms\n",
       "c.yaml:2: leaderelection: lease-duration in whole seconds (as the lock records it) must be "
       "greater than renew-deadline"},
      {"bad lock", "leaderelection:\n  lock: etcd\n",
       "c.yaml:2: leaderelection.lock: must be configmaps or leases"},
      {"not a mapping", "- a\n- b\n", "c.yaml:1: (top level): must be a mapping"},
      {"invalid yaml", "tls: [\n", "c.yaml:2: invalid YAML"},
  };
  for (const BadCase& c : cases) {
    ServeConfig config;
    absl::Status status = ApplyConfigText(c.text, "c.yaml", config);
    EXPECT_FALSE(status.ok()) << c.name;
    EXPECT_EQ(std::string(status.message()).substr(0, c.want_error.size()), c.want_error)
        << c.name << ": " << status.message();
  }
}

TEST(ConfigFile, TheSampleInExamplesApplies) {
  ServeConfig config;
  ASSERT_TRUE(
      ApplyConfigFile(std::string(CONTOUR_SOURCE_DIR) + "/examples/contour.yaml.example", config)
          .ok());
  EXPECT_FALSE(config.in_cluster);
  EXPECT_EQ(config.kubeconfig, "/root/.kube/config");
  EXPECT_EQ(config.min_tls_version, dag::TlsVersion::k1_2);
  EXPECT_TRUE(config.leader_election.enabled);
  EXPECT_EQ(config.leader_election.lock, "configmaps");
  EXPECT_EQ(config.leader_election.name, "contour");
  EXPECT_EQ(config.leader_election.namespace_, "heptio-contour");
  EXPECT_EQ(config.leader_election.lease_duration, absl::Seconds(15));
  EXPECT_EQ(config.leader_election.renew_deadline, absl::Seconds(10));
  EXPECT_EQ(config.leader_election.retry_period, absl::Seconds(2));
}

TEST(ConfigFile, MissingFile) {
  ServeConfig config;
  absl::Status status = ApplyConfigFile("/nonexistent/contour.yaml", config);
  EXPECT_EQ(status.code(), absl::StatusCode::kNotFound);
}

TEST(RootNamespaces, Table) {
  const std::pair<std::string, std::vector<std::string>> cases[] = {
      {"", {}},
      {"   ", {}},
      {"roots", {"roots"}},
      {"a,b", {"a", "b"}},
      {" a , b ,, c ", {"a", "b", "c"}},
  };
  for (const auto& [flag, want] : cases) EXPECT_EQ(ParseRootNamespaces(flag), want) << flag;
}

TEST(TlsVersion, ContourRule) {
  EXPECT_EQ(ParseTlsVersion("1.3"), dag::TlsVersion::k1_3);
  EXPECT_EQ(ParseTlsVersion("1.2"), dag::TlsVersion::k1_2);
  EXPECT_EQ(ParseTlsVersion("1.1"), dag::TlsVersion::k1_1);
  EXPECT_EQ(ParseTlsVersion("1.0"), dag::TlsVersion::k1_1);
  EXPECT_EQ(ParseTlsVersion(""), dag::TlsVersion::k1_1);
}

}  // namespace
}  // namespace contour::config
