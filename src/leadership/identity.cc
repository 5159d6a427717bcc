#include "leadership/identity.h"

#include <unistd.h>

#include <climits>
#include <cstdint>
#include <cstdlib>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"

namespace contour::leadership {
namespace {

// RFC 4122 version 4, as Go's uuid.New() prints it: 8-4-4-4-12 lowercase hex.
std::string RandomUuid(std::mt19937_64& random) {
  uint64_t high = random();
  uint64_t low = random();
  high = (high & ~uint64_t{0xF000}) | uint64_t{0x4000};          // version 4
  low = (low & ~(uint64_t{0xC} << 60)) | (uint64_t{0x8} << 60);  // variant 10xx
  return absl::StrFormat("%08x-%04x-%04x-%04x-%012x", high >> 32, (high >> 16) & 0xFFFF,
                         high & 0xFFFF, low >> 48, low & 0xFFFFFFFFFFFF);
}

}  // namespace

std::string MakeIdentity(std::optional<std::string_view> pod_name, std::string_view hostname,
                         std::mt19937_64& random) {
  if (pod_name.has_value() && !pod_name->empty()) return std::string(*pod_name);
  if (hostname.empty()) return RandomUuid(random);
  return absl::StrCat(absl::string_view(hostname.data(), hostname.size()), "_", RandomUuid(random));
}

std::string IdentityFromEnvironment() {
  std::optional<std::string_view> pod_name;
  if (const char* value = std::getenv("POD_NAME"); value != nullptr) pod_name = value;
  char host[HOST_NAME_MAX + 1] = {};
  if (gethostname(host, sizeof(host) - 1) != 0) host[0] = '\0';
  std::random_device device;
  std::mt19937_64 random((uint64_t{device()} << 32) | device());
  return MakeIdentity(pod_name, host, random);
}

}  // namespace contour::leadership
