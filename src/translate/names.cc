#include "translate/names.h"

#include <openssl/evp.h>

#include <algorithm>

#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"

namespace contour::translate {
namespace {

// Contour hashes the joined parts and uses this many hex digits as the truncation suffix.
constexpr int kShortHashLength = 6;
// Cluster and secret names carry the first 5 bytes (10 hex digits) of a SHA-1.
constexpr size_t kContentHashLength = 10;
constexpr int kMaxNameLength = 60;

std::string DigestHex(const EVP_MD* md, std::string_view data) {
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned int length = 0;
  EVP_Digest(data.data(), data.size(), digest, &length, md, nullptr);
  return absl::BytesToHexString(
      absl::string_view(reinterpret_cast<const char*>(digest), static_cast<size_t>(length)));
}

}  // namespace

std::string Sha1Hex(std::string_view data) { return DigestHex(EVP_sha1(), data); }

std::string Sha256Hex(std::string_view data) { return DigestHex(EVP_sha256(), data); }

std::string GoSecondsString(int64_t seconds) {
  if (seconds == 0) return "0s";
  std::string sign = seconds < 0 ? "-" : "";
  uint64_t remaining = seconds < 0 ? -static_cast<uint64_t>(seconds) : seconds;
  const uint64_t hours = remaining / 3600;
  remaining %= 3600;
  const uint64_t minutes = remaining / 60;
  const uint64_t secs = remaining % 60;
  if (hours > 0) return absl::StrCat(sign, hours, "h", minutes, "m", secs, "s");
  if (minutes > 0) return absl::StrCat(sign, minutes, "m", secs, "s");
  return absl::StrCat(sign, secs, "s");
}

std::string Truncate(int limit, std::string_view s, std::string_view suffix) {
  if (limit < 0) limit = 0;
  const size_t l = static_cast<size_t>(limit);
  if (l >= s.size()) return std::string(s);
  if (l <= suffix.size()) return std::string(suffix.substr(0, l));
  std::string out(s.substr(0, l - suffix.size() - 1));
  out += '-';
  out += suffix;
  return out;
}

std::string Hashname(int limit, absl::Span<const absl::string_view> parts) {
  std::string joined = absl::StrJoin(parts, "/");
  if (limit > static_cast<int>(joined.size())) return joined;
  const std::string hash = Sha256Hex(joined);
  const std::string_view short_hash = std::string_view(hash).substr(0, kShortHashLength);
  std::vector<std::string> truncated(parts.begin(), parts.end());
  for (size_t i = truncated.size(); i-- > 0;) {
    truncated[i] = Truncate(limit / static_cast<int>(truncated.size()), truncated[i], short_hash);
    joined = absl::StrJoin(truncated, "/");
    if (limit > static_cast<int>(joined.size())) return joined;
  }
  return hash.substr(0, static_cast<size_t>(std::max(limit, 0)));
}

std::string Hashname(int limit, const std::vector<std::string>& parts) {
  const std::vector<absl::string_view> views(parts.begin(), parts.end());
  return Hashname(limit, views);
}

std::string ClusterName(const dag::Cluster& cluster) {
  std::string buf = cluster.load_balancer_strategy;
  if (const auto& hc = cluster.health_check) {
    // The user's values, not the defaults: Contour hashed the IngressRoute fields as written.
    if (hc->given_timeout_seconds > 0) buf += GoSecondsString(hc->given_timeout_seconds);
    if (hc->given_interval_seconds > 0) buf += GoSecondsString(hc->given_interval_seconds);
    if (hc->given_unhealthy_threshold > 0) absl::StrAppend(&buf, hc->given_unhealthy_threshold);
    if (hc->given_healthy_threshold > 0) absl::StrAppend(&buf, hc->given_healthy_threshold);
    buf += hc->path;
  }
  if (const auto& uv = cluster.validation) {
    buf += uv->ca_secret_name;
    buf += uv->subject_name;
  }
  // Most clusters hash nothing: skip the digest for the SHA-1 of "" (da39a3ee5e...).
  constexpr std::string_view kEmptySha1Prefix = "da39a3ee5e";
  const std::string content_hash =
      buf.empty() ? std::string(kEmptySha1Prefix) : Sha1Hex(buf).substr(0, kContentHashLength);
  const dag::Service& service = *cluster.upstream;
  const std::string port = absl::StrCat(service.port);
  const absl::string_view parts[] = {service.namespace_, service.name, port, content_hash};
  return Hashname(kMaxNameLength, parts);
}

std::string AltStatName(const dag::Service& service) {
  return absl::StrCat(service.namespace_, "_", service.name, "_", service.port);
}

std::string SecretName(const dag::Secret& secret) {
  const std::string content_hash = Sha1Hex(secret.certificate_chain).substr(0, kContentHashLength);
  const absl::string_view parts[] = {secret.namespace_, secret.name, content_hash};
  return Hashname(kMaxNameLength, parts);
}

std::string VirtualHostName(const std::string& fqdn) {
  const absl::string_view parts[] = {fqdn};
  return Hashname(kMaxNameLength, parts);
}

}  // namespace contour::translate
