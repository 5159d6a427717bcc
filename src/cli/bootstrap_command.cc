#include "cli/bootstrap_command.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <ostream>
#include <system_error>

#include "absl/status/status.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "cli/resource_printer.h"

namespace contour::cli {
namespace {

absl::Status ErrnoError(const std::string& what, const std::string& path) {
  return absl::UnavailableError(absl::StrCat(
      what, " ", path, ": ", std::error_code(errno, std::generic_category()).message()));
}

absl::Status WriteAll(int fd, const std::string& text, const std::string& path) {
  size_t written = 0;
  while (written < text.size()) {
    const ssize_t n = ::write(fd, text.data() + written, text.size() - written);
    if (n < 0) {
      if (errno == EINTR) continue;
      return ErrnoError("writing", path);
    }
    written += static_cast<size_t>(n);
  }
  return absl::OkStatus();
}

// Envoy (or an init container's neighbour) never sees a half-written file: write a temporary
// file beside `path`, then rename it over. Devices and pipes (/dev/stdout) are written directly,
// since they cannot be renamed over.
absl::Status WriteFileAtomically(const std::string& path, const std::string& text) {
  struct stat existing;
  if (::stat(path.c_str(), &existing) == 0 && !S_ISREG(existing.st_mode)) {
    const int fd = ::open(path.c_str(), O_WRONLY | O_CLOEXEC);
    if (fd < 0) return ErrnoError("opening", path);
    absl::Status status = WriteAll(fd, text, path);
    if (::close(fd) != 0 && status.ok()) status = ErrnoError("closing", path);
    return status;
  }

  std::string temp = path + ".tmp-XXXXXX";
  const int fd = ::mkstemp(temp.data());
  if (fd < 0) return ErrnoError("creating a temporary file for", path);
  absl::Status status = WriteAll(fd, text, path);
  // mkstemp makes the file 0600; Envoy may run as another user than this command.
  if (status.ok() && ::fchmod(fd, 0644) != 0) status = ErrnoError("setting the mode of", path);
  if (status.ok() && ::fsync(fd) != 0) status = ErrnoError("syncing", path);
  if (::close(fd) != 0 && status.ok()) status = ErrnoError("closing", path);
  if (status.ok() && ::rename(temp.c_str(), path.c_str()) != 0) {
    status = ErrnoError("renaming a temporary file to", path);
  }
  if (!status.ok()) ::unlink(temp.c_str());
  return status;
}

}  // namespace

void AddBootstrapCommand(CLI::App& app, BootstrapOptions& options) {
  CLI::App* command =
      app.add_subcommand("bootstrap", "Write the Envoy bootstrap configuration to a file");
  command
      ->add_option("path", options.path,
                   "File to write: JSON, or YAML when the name ends in .yaml or .yml")
      ->required();
  translate::BootstrapConfig& config = options.config;
  command->add_option("--admin-address", config.admin_address, "Envoy admin interface address")
      ->capture_default_str();
  command->add_option("--admin-port", config.admin_port, "Envoy admin interface port")
      ->capture_default_str();
  command->add_option("--xds-address", config.xds_address, "xDS gRPC API address")
      ->capture_default_str();
  command->add_option("--xds-port", config.xds_port, "xDS gRPC API port")->capture_default_str();
  command
      ->add_option("--namespace", config.namespace_,
                   "The namespace the Envoy container will run in")
      ->envname("CONTOUR_NAMESPACE")
      ->capture_default_str();
  command
      ->add_option("--envoy-cafile", config.ca_file,
                   "CA filename for Envoy secure xDS gRPC communication")
      ->envname("ENVOY_CAFILE");
  command
      ->add_option("--envoy-cert-file", config.cert_file,
                   "Client certificate filename for Envoy secure xDS gRPC communication")
      ->envname("ENVOY_CERT_FILE");
  command
      ->add_option("--envoy-key-file", config.key_file,
                   "Client key filename for Envoy secure xDS gRPC communication")
      ->envname("ENVOY_KEY_FILE");
  command->add_flag("--ads", config.ads,
                    "Fetch every resource type over one aggregated (ADS) stream");
}

int RunBootstrap(const BootstrapOptions& options, std::ostream& out, std::ostream& err) {
  if (absl::Status valid = translate::ValidateBootstrapConfig(options.config); !valid.ok()) {
    err << "contour bootstrap: " << valid.message() << "\n";
    return 2;
  }
  absl::StatusOr<nlohmann::json> json = ProtoToJson(translate::Bootstrap(options.config));
  if (!json.ok()) {
    err << "contour bootstrap: " << json.status().message() << "\n";
    return 1;
  }
  const bool yaml = absl::EndsWith(options.path, ".yaml") || absl::EndsWith(options.path, ".yml");
  const std::string text = yaml ? JsonToYaml(*json) : json->dump(2) + "\n";
  if (absl::Status written = WriteFileAtomically(options.path, text); !written.ok()) {
    err << "contour bootstrap: " << written.message() << "\n";
    return 1;
  }
  return 0;
}

}  // namespace contour::cli
