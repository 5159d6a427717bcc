// `contour cli lds|rds|cds|eds|sds [names...]`: subscribes to an xDS server as Envoy would and
// prints every response as YAML. Unlike Contour's, it ACKs (or NACKs) each response, asks for
// secrets on the SDS service (Contour used RDS), and speaks ADS and delta xDS on request.
//
// Exit status: 0 when the responses were printed and the stream closed cleanly; 1 when the
// stream failed, ended before any response, or a response was rejected (NACKed); 2 for usage
// errors (inconsistent TLS flags, unreadable TLS files, unknown type).
#ifndef CONTOUR_CLI_XDS_CLIENT_COMMAND_H_
#define CONTOUR_CLI_XDS_CLIENT_COMMAND_H_

#include <iosfwd>
#include <string>
#include <vector>

#include "CLI/CLI.hpp"

namespace contour::cli {

struct XdsClientOptions {
  std::string type;                // lds, rds, cds, eds or sds (set by the sub-subcommand)
  std::vector<std::string> names;  // resources to subscribe to; none means all (wildcard)
  std::string contour = "127.0.0.1:8001";
  // TLS: all three or none.
  std::string cafile;
  std::string cert_file;
  std::string key_file;
  bool ads = false;       // one AggregatedDiscoveryService stream instead of the per-type service
  bool delta = false;     // incremental xDS (the Delta* methods)
  bool watch = false;     // print every response until the stream ends, not just the first
  int max_responses = 0;  // for tests, not a flag: ends a watch after this many (0: unlimited)
};

// Registers "cli" with the sub-subcommands lds, rds, cds, eds and sds. Flags may come before or
// after the sub-subcommand.
void AddXdsClientCommand(CLI::App& app, XdsClientOptions& options);

int RunXdsClient(const XdsClientOptions& options, std::ostream& out, std::ostream& err);

}  // namespace contour::cli

#endif  // CONTOUR_CLI_XDS_CLIENT_COMMAND_H_
