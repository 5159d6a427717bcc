#include "cli/xds_client_command.h"

#include <fstream>
#include <memory>
#include <optional>
#include <ostream>
#include <sstream>
#include <string_view>
#include <thread>
#include <type_traits>
#include <utility>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/synchronization/notification.h"
#include "absl/time/time.h"
#include "cli/resource_printer.h"
#include "common/status_macros.h"
#include "envoy/service/cluster/v3/cds.grpc.pb.h"
#include "envoy/service/discovery/v3/ads.grpc.pb.h"
#include "envoy/service/discovery/v3/discovery.pb.h"
#include "envoy/service/endpoint/v3/eds.grpc.pb.h"
#include "envoy/service/listener/v3/lds.grpc.pb.h"
#include "envoy/service/route/v3/rds.grpc.pb.h"
#include "envoy/service/secret/v3/sds.grpc.pb.h"
#include "google/protobuf/any.pb.h"
#include "google/protobuf/descriptor.h"
#include "google/protobuf/message.h"
#include "google/rpc/status.pb.h"
#include "grpcpp/grpcpp.h"
#include "nlohmann/json.hpp"
#include "xds/resource.h"

namespace contour::cli {
namespace {

using ::envoy::service::discovery::v3::DeltaDiscoveryRequest;
using ::envoy::service::discovery::v3::DeltaDiscoveryResponse;
using ::envoy::service::discovery::v3::DiscoveryRequest;
using ::envoy::service::discovery::v3::DiscoveryResponse;

// A state-of-the-world CDS or RDS response with 10,000 resources can exceed gRPC's 4 MiB default
// receive limit; Envoy itself accepts far larger messages.
constexpr int kMaxReceiveMessageBytes = 512 << 20;
// How long a server may take to end the stream after we half-close it, before we cancel.
constexpr absl::Duration kCloseGrace = absl::Seconds(5);
constexpr char kNodeName[] = "contour-cli";
// Servers may wrap state-of-the-world resources in this (for TTLs); it is not a type mismatch.
constexpr std::string_view kResourceWrapperUrl =
    "type.googleapis.com/envoy.service.discovery.v3.Resource";

std::optional<xds::ResourceType> TypeFromShortName(std::string_view name) {
  for (xds::ResourceType type : xds::kAllResourceTypes) {
    if (xds::ShortTypeName(type) == name) return type;
  }
  return std::nullopt;
}

absl::StatusOr<std::string> ReadFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream text;
  text << in.rdbuf();
  if (!in) return absl::NotFoundError(absl::StrCat("cannot read ", path));
  return text.str();
}

// Insecure credentials, or mutual TLS that accepts the server certificate made for "contour"
// (as `contour certgen` makes it) whatever address we dial.
absl::StatusOr<std::shared_ptr<grpc::ChannelCredentials>> MakeCredentials(
    const XdsClientOptions& options, grpc::ChannelArguments& args) {
  if (options.cafile.empty()) return grpc::InsecureChannelCredentials();
  grpc::SslCredentialsOptions ssl;
  ASSIGN_OR_RETURN(ssl.pem_root_certs, ReadFile(options.cafile));
  ASSIGN_OR_RETURN(ssl.pem_cert_chain, ReadFile(options.cert_file));
  ASSIGN_OR_RETURN(ssl.pem_private_key, ReadFile(options.key_file));
  args.SetSslTargetNameOverride("contour");  // GRPC_SSL_TARGET_NAME_OVERRIDE_ARG
  return grpc::SslCredentials(ssl);
}

template <typename Request, typename Response>
using Stream = grpc::ClientReaderWriterInterface<Request, Response>;

// A stream with the stub that opened it, kept alive as long as the stream.
template <typename Request, typename Response>
struct OpenedStream {
  std::shared_ptr<void> stub;
  std::unique_ptr<Stream<Request, Response>> stream;
};

template <typename Stub, typename Request, typename Response>
OpenedStream<Request, Response> Open(const std::shared_ptr<grpc::Channel>& channel,
                                     grpc::ClientContext* context,
                                     std::unique_ptr<grpc::ClientReaderWriter<Request, Response>> (
                                         Stub::*method)(grpc::ClientContext*)) {
  auto stub = std::make_shared<Stub>(channel);
  std::unique_ptr<Stream<Request, Response>> stream = (stub.get()->*method)(context);
  return {std::move(stub), std::move(stream)};
}

// Opens the state-of-the-world stream, or the delta one when Request is the delta request, of
// the type's service (or of ADS).
template <typename Request, typename Response>
OpenedStream<Request, Response> OpenStream(xds::ResourceType type, bool ads,
                                           const std::shared_ptr<grpc::Channel>& channel,
                                           grpc::ClientContext* context) {
  namespace service = ::envoy::service;
  auto open = [&](auto sotw_method, auto delta_method) {
    if constexpr (std::is_same_v<Request, DeltaDiscoveryRequest>) {
      return Open(channel, context, delta_method);
    } else {
      return Open(channel, context, sotw_method);
    }
  };
  if (ads) {
    using Ads = service::discovery::v3::AggregatedDiscoveryService::Stub;
    return open(&Ads::StreamAggregatedResources, &Ads::DeltaAggregatedResources);
  }
  switch (type) {
    case xds::ResourceType::kListener: {
      using Lds = service::listener::v3::ListenerDiscoveryService::Stub;
      return open(&Lds::StreamListeners, &Lds::DeltaListeners);
    }
    case xds::ResourceType::kRoute: {
      using Rds = service::route::v3::RouteDiscoveryService::Stub;
      return open(&Rds::StreamRoutes, &Rds::DeltaRoutes);
    }
    case xds::ResourceType::kCluster: {
      using Cds = service::cluster::v3::ClusterDiscoveryService::Stub;
      return open(&Cds::StreamClusters, &Cds::DeltaClusters);
    }
    case xds::ResourceType::kEndpoint: {
      using Eds = service::endpoint::v3::EndpointDiscoveryService::Stub;
      return open(&Eds::StreamEndpoints, &Eds::DeltaEndpoints);
    }
    case xds::ResourceType::kSecret: {
      using Sds = service::secret::v3::SecretDiscoveryService::Stub;
      return open(&Sds::StreamSecrets, &Sds::DeltaSecrets);
    }
  }
  std::abort();  // every ResourceType is handled above
}

// The message inside `any` as JSON with its "@type", or why it cannot be used.
absl::StatusOr<nlohmann::json> DecodeAny(const google::protobuf::Any& any,
                                         const std::string& want_type_url) {
  const std::string& type_url = any.type_url();
  const std::string full_name = type_url.substr(type_url.rfind('/') + 1);
  const google::protobuf::Descriptor* descriptor =
      google::protobuf::DescriptorPool::generated_pool()->FindMessageTypeByName(full_name);
  if (descriptor == nullptr) {
    return absl::InvalidArgumentError(absl::StrCat("unknown type \"", type_url, "\""));
  }
  if (type_url != want_type_url && type_url != kResourceWrapperUrl) {
    return absl::InvalidArgumentError(
        absl::StrCat("type \"", type_url, "\" in a response for \"", want_type_url, "\""));
  }
  std::unique_ptr<google::protobuf::Message> message(
      google::protobuf::MessageFactory::generated_factory()->GetPrototype(descriptor)->New());
  if (!message->ParseFromString(any.value())) {
    return absl::InvalidArgumentError(absl::StrCat("cannot parse a ", full_name));
  }
  ASSIGN_OR_RETURN(nlohmann::json json, ProtoToJson(*message));
  json["@type"] = type_url;
  return json;
}

// An entry that shows where an undecodable resource was, in the printed response.
nlohmann::json Undecodable(const google::protobuf::Any& any, const absl::Status& status) {
  return nlohmann::json{{"@type", any.type_url()}, {"error", std::string(status.message())}};
}

// One `key: value` line (or block); concatenated, they keep the key order we choose.
std::string YamlField(const char* key, nlohmann::json value) {
  nlohmann::json field = nlohmann::json::object();
  field[key] = std::move(value);
  return JsonToYaml(field);
}

nlohmann::json Strings(const google::protobuf::RepeatedPtrField<std::string>& strings) {
  nlohmann::json array = nlohmann::json::array();
  for (const std::string& s : strings) array.push_back(s);
  return array;
}

// A response as one YAML document, and the reasons to reject it (none: ACK).
struct Examined {
  std::string yaml;
  std::vector<std::string> errors;
};

Examined Examine(const DiscoveryResponse& response) {
  Examined examined;
  nlohmann::json resources = nlohmann::json::array();
  for (int i = 0; i < response.resources_size(); ++i) {
    const google::protobuf::Any& any = response.resources(i);
    absl::StatusOr<nlohmann::json> json = DecodeAny(any, response.type_url());
    if (json.ok()) {
      resources.push_back(*std::move(json));
    } else {
      examined.errors.push_back(absl::StrCat("resources[", i, "]: ", json.status().message()));
      resources.push_back(Undecodable(any, json.status()));
    }
  }
  examined.yaml =
      absl::StrCat("---\n", YamlField("version_info", response.version_info()),
                   YamlField("nonce", response.nonce()), YamlField("type_url", response.type_url()),
                   YamlField("resources", std::move(resources)));
  return examined;
}

Examined Examine(const DeltaDiscoveryResponse& response) {
  Examined examined;
  nlohmann::json resources = nlohmann::json::array();
  for (const auto& resource : response.resources()) {
    nlohmann::json entry{{"name", resource.name()}, {"version", resource.version()}};
    if (resource.has_resource()) {
      absl::StatusOr<nlohmann::json> json = DecodeAny(resource.resource(), response.type_url());
      if (json.ok()) {
        entry["resource"] = *std::move(json);
      } else {
        examined.errors.push_back(
            absl::StrCat("resource \"", resource.name(), "\": ", json.status().message()));
        entry["resource"] = Undecodable(resource.resource(), json.status());
      }
    }
    resources.push_back(std::move(entry));
  }
  examined.yaml =
      absl::StrCat("---\n", YamlField("system_version_info", response.system_version_info()),
                   YamlField("nonce", response.nonce()), YamlField("type_url", response.type_url()),
                   YamlField("resources", std::move(resources)),
                   YamlField("removed_resources", Strings(response.removed_resources())));
  return examined;
}

void SetNode(::envoy::config::core::v3::Node& node) {
  node.set_id(kNodeName);
  node.set_cluster(kNodeName);
}

void SetErrorDetail(const std::vector<std::string>& errors, google::rpc::Status& detail) {
  // google.rpc.Code shares absl::StatusCode's numbers: INVALID_ARGUMENT is 3.
  detail.set_code(static_cast<int>(absl::StatusCode::kInvalidArgument));
  detail.set_message(absl::StrJoin(errors, "; "));
}

// State-of-the-world: every request names the resources and the last version we accepted.
class SotwProtocol {
 public:
  SotwProtocol(std::string type_url, std::vector<std::string> names)
      : type_url_(std::move(type_url)), names_(std::move(names)) {}

  DiscoveryRequest First() const {
    DiscoveryRequest request;
    SetNode(*request.mutable_node());
    request.set_type_url(type_url_);
    for (const std::string& name : names_) request.add_resource_names(name);
    return request;
  }

  DiscoveryRequest Reply(const DiscoveryResponse& response,
                         const std::vector<std::string>& errors) {
    DiscoveryRequest request;
    request.set_type_url(response.type_url());
    // An ADS server may push other types; those we subscribed to no names of.
    if (response.type_url() == type_url_) {
      for (const std::string& name : names_) request.add_resource_names(name);
    }
    request.set_response_nonce(response.nonce());
    if (errors.empty()) {
      accepted_version_ = response.version_info();
    } else {
      SetErrorDetail(errors, *request.mutable_error_detail());
    }
    request.set_version_info(accepted_version_);
    return request;
  }

  static std::string_view Version(const DiscoveryResponse& response) {
    return response.version_info();
  }

 private:
  const std::string type_url_;
  const std::vector<std::string> names_;
  std::string accepted_version_;
};

// Delta: the subscription is sent once; replies carry only the nonce (and any error).
class DeltaProtocol {
 public:
  DeltaProtocol(std::string type_url, std::vector<std::string> names)
      : type_url_(std::move(type_url)), names_(std::move(names)) {}

  DeltaDiscoveryRequest First() const {
    DeltaDiscoveryRequest request;
    SetNode(*request.mutable_node());
    request.set_type_url(type_url_);
    for (const std::string& name : names_) request.add_resource_names_subscribe(name);
    return request;
  }

  DeltaDiscoveryRequest Reply(const DeltaDiscoveryResponse& response,
                              const std::vector<std::string>& errors) const {
    DeltaDiscoveryRequest request;
    request.set_type_url(response.type_url());
    request.set_response_nonce(response.nonce());
    if (!errors.empty()) SetErrorDetail(errors, *request.mutable_error_detail());
    return request;
  }

  static std::string_view Version(const DeltaDiscoveryResponse& response) {
    return response.system_version_info();
  }

 private:
  const std::string type_url_;
  const std::vector<std::string> names_;
};

std::string Describe(const grpc::Status& status) {
  return absl::StrCat(absl::StatusCodeToString(static_cast<absl::StatusCode>(status.error_code())),
                      ": ", status.error_message());
}

// Half-closes and waits for the server to end the stream; cancels if it does not in time.
template <typename Request, typename Response>
grpc::Status Close(Stream<Request, Response>& stream, grpc::ClientContext& context,
                   bool& cancelled) {
  stream.WritesDone();
  absl::Notification finished;
  std::thread watchdog([&] {
    if (!finished.WaitForNotificationWithTimeout(kCloseGrace)) {
      cancelled = true;
      context.TryCancel();
    }
  });
  grpc::Status status = stream.Finish();
  finished.Notify();
  watchdog.join();
  return status;
}

// Sends the subscription, then prints and answers responses until done.
template <typename Protocol, typename Request, typename Response>
int Converse(Protocol& protocol, Stream<Request, Response>& stream, grpc::ClientContext& context,
             const XdsClientOptions& options, std::ostream& out, std::ostream& err) {
  int received = 0;
  bool rejected = false;
  if (stream.Write(protocol.First())) {
    Response response;
    while (stream.Read(&response)) {
      ++received;
      Examined examined = Examine(response);
      out << examined.yaml << std::flush;
      if (!examined.errors.empty()) {
        rejected = true;
        err << "contour cli: rejecting " << response.type_url() << " version \""
            << Protocol::Version(response) << "\" (nonce \"" << response.nonce()
            << "\"): " << absl::StrJoin(examined.errors, "; ") << "\n";
      }
      if (!stream.Write(protocol.Reply(response, examined.errors))) break;
      const bool done =
          !options.watch || (options.max_responses > 0 && received >= options.max_responses);
      if (!done) continue;
      bool cancelled = false;
      const grpc::Status status = Close(stream, context, cancelled);
      if (cancelled) {
        err << "contour cli: " << options.contour << " did not end the stream within "
            << absl::FormatDuration(kCloseGrace) << " of our half-close; cancelled it\n";
      } else if (!status.ok()) {
        err << "contour cli: closing the xDS stream to " << options.contour << ": "
            << Describe(status) << "\n";
        return 1;
      }
      return rejected ? 1 : 0;
    }
  }
  // The server ended the stream, or it never started.
  const grpc::Status status = stream.Finish();
  if (!status.ok()) {
    err << "contour cli: xDS stream to " << options.contour << " failed: " << Describe(status)
        << "\n";
    return 1;
  }
  if (received == 0) {
    err << "contour cli: " << options.contour << " ended the xDS stream without a response\n";
    return 1;
  }
  return rejected ? 1 : 0;
}

}  // namespace

void AddXdsClientCommand(CLI::App& app, XdsClientOptions& options) {
  CLI::App* cli = app.add_subcommand(
      "cli", "Subscribe to Contour's xDS server as Envoy would and print what it serves");
  cli->require_subcommand(1);
  cli->add_option("--contour", options.contour, "Address of Contour's xDS server (host:port)")
      ->capture_default_str();
  cli->add_option("--cafile", options.cafile, "CA bundle to verify the server (TLS)")
      ->envname("CLI_CAFILE");
  cli->add_option("--cert-file", options.cert_file, "Client certificate (TLS)")
      ->envname("CLI_CERT_FILE");
  cli->add_option("--key-file", options.key_file, "Client private key (TLS)")
      ->envname("CLI_KEY_FILE");
  cli->add_flag("--ads", options.ads, "Use the aggregated discovery service (ADS)");
  cli->add_flag("--delta", options.delta, "Use incremental (delta) xDS");
  cli->add_flag("--watch", options.watch, "Print every response, not just the first");

  struct Kind {
    const char* name;
    const char* description;
  };
  static constexpr Kind kKinds[] = {
      {"lds", "Listeners"}, {"rds", "Route configurations"},
      {"cds", "Clusters"},  {"eds", "Cluster load assignments (endpoints)"},
      {"sds", "Secrets"},
  };
  for (const Kind& kind : kKinds) {
    CLI::App* sub = cli->add_subcommand(kind.name, kind.description);
    sub->fallthrough();  // so that `cli lds --watch` works as well as `cli --watch lds`
    sub->add_option("names", options.names, "Resource names (none: all)");
    sub->parse_complete_callback([&options, name = kind.name] { options.type = name; });
  }
}

int RunXdsClient(const XdsClientOptions& options, std::ostream& out, std::ostream& err) {
  const std::optional<xds::ResourceType> type = TypeFromShortName(options.type);
  if (!type.has_value()) {
    err << "contour cli: unknown type \"" << options.type
        << "\" (want lds, rds, cds, eds or sds)\n";
    return 2;
  }
  const int tls_files =
      !options.cafile.empty() + !options.cert_file.empty() + !options.key_file.empty();
  if (tls_files != 0 && tls_files != 3) {
    err << "contour cli: --cafile, --cert-file and --key-file (CLI_CAFILE, CLI_CERT_FILE, "
           "CLI_KEY_FILE) go together: give all three or none\n";
    return 2;
  }
  grpc::ChannelArguments args;
  args.SetMaxReceiveMessageSize(kMaxReceiveMessageBytes);
  absl::StatusOr<std::shared_ptr<grpc::ChannelCredentials>> credentials =
      MakeCredentials(options, args);
  if (!credentials.ok()) {
    err << "contour cli: " << credentials.status().message() << "\n";
    return 2;
  }
  const std::shared_ptr<grpc::Channel> channel =
      grpc::CreateCustomChannel(options.contour, *credentials, args);

  grpc::ClientContext context;
  const std::string type_url(xds::TypeUrl(*type));
  if (options.delta) {
    DeltaProtocol protocol(type_url, options.names);
    auto opened = OpenStream<DeltaDiscoveryRequest, DeltaDiscoveryResponse>(*type, options.ads,
                                                                            channel, &context);
    return Converse(protocol, *opened.stream, context, options, out, err);
  }
  SotwProtocol protocol(type_url, options.names);
  auto opened =
      OpenStream<DiscoveryRequest, DiscoveryResponse>(*type, options.ads, channel, &context);
  return Converse(protocol, *opened.stream, context, options, out, err);
}

}  // namespace contour::cli
