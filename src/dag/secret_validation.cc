#include "dag/secret_validation.h"

#include <openssl/bio.h>
#include <openssl/decoder.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>

#include <memory>
#include <optional>
#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"

namespace contour::dag {
namespace {

struct PemBlock {
  std::string type;
  std::string der;
};

// Clears OpenSSL's thread-local error queue on scope exit, so failures here leave no residue
// for unrelated TLS code on this thread.
struct ErrorQueueGuard {
  ~ErrorQueueGuard() { ERR_clear_error(); }
};

bool IsBlank(std::string_view text) {
  for (char c : text) {
    if (!absl::ascii_isspace(static_cast<unsigned char>(c))) return false;
  }
  return true;
}

// The position of "-----BEGIN " at the start of a line, or npos.
size_t FindBeginLine(std::string_view text) {
  constexpr std::string_view kBegin = "-----BEGIN ";
  size_t pos = 0;
  while ((pos = text.find(kBegin, pos)) != std::string_view::npos) {
    if (pos == 0 || text[pos - 1] == '\n') return pos;
    pos += kBegin.size();
  }
  return std::string_view::npos;
}

// Takes the next PEM block from `rest`, skipping text before it as Go's pem.Decode does.
// nullopt at the end of the input (only whitespace left); an error for anything else.
absl::StatusOr<std::optional<PemBlock>> NextPemBlock(std::string_view& rest) {
  const size_t begin = FindBeginLine(rest);
  if (begin == std::string_view::npos) {
    if (IsBlank(rest)) {
      rest = {};
      return std::nullopt;
    }
    return absl::InvalidArgumentError("failed to parse PEM block");
  }
  size_t line_end = rest.find('\n', begin);
  if (line_end == std::string_view::npos) line_end = rest.size();
  const std::string_view raw_line = rest.substr(begin, line_end - begin);
  const absl::string_view stripped =
      absl::StripTrailingAsciiWhitespace(absl::string_view(raw_line.data(), raw_line.size()));
  const std::string_view begin_line(stripped.data(), stripped.size());
  constexpr std::string_view kDashes = "-----";
  if (begin_line.size() < 16 || begin_line.substr(begin_line.size() - 5) != kDashes) {
    return absl::InvalidArgumentError("failed to parse PEM block");
  }
  const std::string type(begin_line.substr(11, begin_line.size() - 16));
  const std::string end_marker = absl::StrCat("-----END ", type, "-----");
  const size_t end = rest.find(end_marker, line_end);
  if (end == std::string_view::npos) {
    return absl::InvalidArgumentError("failed to parse PEM block");
  }
  const size_t block_end = end + end_marker.size();
  const std::string block(rest.substr(begin, block_end - begin));
  size_t next = rest.find('\n', block_end);
  rest = next == std::string_view::npos ? std::string_view() : rest.substr(next + 1);

  std::unique_ptr<BIO, decltype(&BIO_free)> bio(
      BIO_new_mem_buf(block.data(), static_cast<int>(block.size())), &BIO_free);
  char* name = nullptr;
  char* header = nullptr;
  unsigned char* data = nullptr;
  long length = 0;
  if (bio == nullptr || PEM_read_bio(bio.get(), &name, &header, &data, &length) != 1) {
    return absl::InvalidArgumentError("failed to parse PEM block");
  }
  PemBlock out{type, std::string(reinterpret_cast<const char*>(data), static_cast<size_t>(length))};
  OPENSSL_free(name);
  OPENSSL_free(header);
  OPENSSL_free(data);
  return out;
}

bool ParsesAsCertificate(const std::string& der) {
  const unsigned char* p = reinterpret_cast<const unsigned char*>(der.data());
  const unsigned char* end = p + der.size();
  X509* cert = d2i_X509(nullptr, &p, static_cast<long>(der.size()));
  const bool ok = cert != nullptr && p == end;  // trailing bytes are an error, as in Go
  X509_free(cert);
  return ok;
}

bool IsPkcs8(const std::string& der) {
  const unsigned char* p = reinterpret_cast<const unsigned char*>(der.data());
  PKCS8_PRIV_KEY_INFO* info = d2i_PKCS8_PRIV_KEY_INFO(nullptr, &p, static_cast<long>(der.size()));
  PKCS8_PRIV_KEY_INFO_free(info);
  return info != nullptr;
}

// structure: "PrivateKeyInfo" (PKCS8) or "type-specific" (PKCS1 / SEC1); key_type may be null.
bool ParsesAsPrivateKey(const std::string& der, const char* structure, const char* key_type) {
  if (std::string_view(structure) == "type-specific" && IsPkcs8(der)) {
    return false;  // OpenSSL's PKCS1/SEC1 decoders fall back to PKCS8; Go's do not
  }
  EVP_PKEY* key = nullptr;
  OSSL_DECODER_CTX* ctx = OSSL_DECODER_CTX_new_for_pkey(&key, "DER", structure, key_type,
                                                        EVP_PKEY_KEYPAIR, nullptr, nullptr);
  if (ctx == nullptr) return false;
  const unsigned char* data = reinterpret_cast<const unsigned char*>(der.data());
  size_t length = der.size();
  const bool ok = OSSL_DECODER_from_data(ctx, &data, &length) == 1 && key != nullptr;
  OSSL_DECODER_CTX_free(ctx);
  EVP_PKEY_free(key);
  return ok;
}

}  // namespace

absl::Status ValidateCertificatePem(std::string_view pem) {
  ErrorQueueGuard guard;
  bool found = false;
  std::string_view rest = pem;
  while (!rest.empty()) {
    absl::StatusOr<std::optional<PemBlock>> block = NextPemBlock(rest);
    if (!block.ok()) return block.status();
    if (!block->has_value()) break;
    if ((*block)->type != "CERTIFICATE") {
      return absl::InvalidArgumentError(
          absl::StrCat("unexpected block type in certificate: ", (*block)->type));
    }
    if (!ParsesAsCertificate((*block)->der)) {
      return absl::InvalidArgumentError("failed to parse certificate");
    }
    found = true;
  }
  if (!found) return absl::InvalidArgumentError("failed to locate certificate");
  return absl::OkStatus();
}

absl::Status ValidatePrivateKeyPem(std::string_view pem) {
  ErrorQueueGuard guard;
  int keys = 0;
  std::string_view rest = pem;
  while (!rest.empty()) {
    absl::StatusOr<std::optional<PemBlock>> block = NextPemBlock(rest);
    if (!block.ok()) return block.status();
    if (!block->has_value()) break;
    const PemBlock& b = **block;
    bool parsed = false;
    if (b.type == "PRIVATE KEY") {
      parsed = ParsesAsPrivateKey(b.der, "PrivateKeyInfo", nullptr);
    } else if (b.type == "RSA PRIVATE KEY") {
      parsed = ParsesAsPrivateKey(b.der, "type-specific", "RSA");
    } else if (b.type == "EC PRIVATE KEY") {
      parsed = ParsesAsPrivateKey(b.der, "type-specific", "EC");
    } else if (b.type == "EC PARAMETERS") {
      continue;
    } else {
      return absl::InvalidArgumentError(
          absl::StrCat("unexpected block type in private key: ", b.type));
    }
    if (!parsed) {
      return absl::InvalidArgumentError(absl::StrCat("failed to parse ", b.type));
    }
    ++keys;
  }
  if (keys == 0) return absl::InvalidArgumentError("failed to locate private key");
  if (keys > 1) return absl::InvalidArgumentError("multiple private keys");
  return absl::OkStatus();
}

absl::Status ValidateSecret(const k8s::Secret& secret) {
  if (secret.type == kSecretTypeServiceAccountToken) {
    return absl::FailedPreconditionError("service account token");
  }
  if (secret.type != kSecretTypeTls && !secret.data.contains(kCaCertKey)) {
    return absl::FailedPreconditionError("neither kubernetes.io/tls nor carrying ca.crt");
  }
  if (auto it = secret.data.find(kTlsCertKey); it != secret.data.end()) {
    if (absl::Status status = ValidateCertificatePem(it->second); !status.ok()) {
      return absl::InvalidArgumentError(absl::StrCat("data.tls.crt: ", status.message()));
    }
  }
  if (auto it = secret.data.find(kTlsPrivateKeyKey); it != secret.data.end()) {
    if (absl::Status status = ValidatePrivateKeyPem(it->second); !status.ok()) {
      return absl::InvalidArgumentError(absl::StrCat("data.tls.key: ", status.message()));
    }
  }
  return absl::OkStatus();
}

}  // namespace contour::dag
