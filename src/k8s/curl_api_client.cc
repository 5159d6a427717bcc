#include "k8s/curl_api_client.h"

#include <curl/curl.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>

#include <algorithm>
#include <cstring>
#include <exception>
#include <functional>
#include <optional>
#include <stop_token>
#include <utility>

#include "absl/status/status.h"
#include "absl/strings/ascii.h"
#include "absl/strings/escaping.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/string_view.h"
#include "common/openssl_ptr.h"
#include "common/status_macros.h"
#include "k8s/curl_lines.h"
#include "spdlog/spdlog.h"

namespace contour::k8s {
namespace {

// absl::string_view is not std::string_view in the Abseil we build against.
absl::string_view Av(std::string_view s) { return absl::string_view(s.data(), s.size()); }

bool ConsumePrefix(std::string_view* s, std::string_view prefix) {
  if (!s->starts_with(prefix)) return false;
  s->remove_prefix(prefix.size());
  return true;
}

// --- Checking the configuration up front -------------------------------------------------------

// OpenSSL reports through a thread-local queue; leave it empty for whoever uses it next.
std::string DrainOpenSslErrors() {
  std::string message;
  while (unsigned long e = ERR_get_error()) {
    char buffer[256];
    ERR_error_string_n(e, buffer, sizeof(buffer));
    if (!message.empty()) message += "; ";
    message += buffer;
  }
  return message.empty() ? "no PEM data" : message;
}

absl::Status CheckPem(const RestConfig& config) {
  absl::Status status;
  if (!config.ca_pem.empty()) {
    auto bio = openssl::MemoryBio(config.ca_pem);
    int certificates = 0;
    while (X509* cert = PEM_read_bio_X509(bio.get(), nullptr, nullptr, nullptr)) {
      X509_free(cert);
      ++certificates;
    }
    ERR_clear_error();  // the read past the last certificate always "fails"
    if (certificates == 0) {
      return absl::InvalidArgumentError(
          absl::StrCat(config.source, ": the certificate authority holds no PEM certificate"));
    }
  }
  if (config.client_cert_pem.empty() != config.client_key_pem.empty()) {
    return absl::InvalidArgumentError(
        absl::StrCat(config.source, ": a client certificate and its key must be given together"));
  }
  if (config.client_cert_pem.empty()) return absl::OkStatus();
  auto cert_bio = openssl::MemoryBio(config.client_cert_pem);
  openssl::CertPtr cert(PEM_read_bio_X509(cert_bio.get(), nullptr, nullptr, nullptr));
  if (cert == nullptr) {
    return absl::InvalidArgumentError(
        absl::StrCat(config.source, ": the client certificate is not PEM: ", DrainOpenSslErrors()));
  }
  auto key_bio = openssl::MemoryBio(config.client_key_pem);
  openssl::KeyPtr key(PEM_read_bio_PrivateKey(key_bio.get(), nullptr, nullptr, nullptr));
  if (key == nullptr) {
    return absl::InvalidArgumentError(
        absl::StrCat(config.source, ": the client key is not PEM: ", DrainOpenSslErrors()));
  }
  if (X509_check_private_key(cert.get(), key.get()) != 1) {
    ERR_clear_error();
    return absl::InvalidArgumentError(
        absl::StrCat(config.source, ": the client key does not match the client certificate"));
  }
  return absl::OkStatus();
}

bool HasControlOrSpace(std::string_view s) {
  return std::any_of(s.begin(), s.end(), [](char c) {
    return static_cast<unsigned char>(c) <= ' ' || static_cast<unsigned char>(c) == 0x7f;
  });
}

struct ServerUrl {
  std::string scheme;  // "http" or "https"
  std::string host;    // as written; an IPv6 address keeps its brackets
  std::string port;    // explicit, or the scheme's default
  bool port_given = false;
  std::string path;  // a prefix, possibly empty
};

absl::StatusOr<ServerUrl> ParseServer(const std::string& server) {
  auto bad = [&](std::string_view why) {
    return absl::InvalidArgumentError(absl::StrCat("server \"", server, "\": ", Av(why)));
  };
  if (HasControlOrSpace(server)) return bad("contains a space or control character");
  ServerUrl url;
  std::string_view rest = server;
  if (ConsumePrefix(&rest, "https://")) {
    url.scheme = "https";
  } else if (ConsumePrefix(&rest, "http://")) {
    url.scheme = "http";
  } else {
    return bad("must start with http:// or https://");
  }
  size_t slash = rest.find('/');
  std::string_view authority = rest.substr(0, slash);
  url.path = slash == std::string_view::npos ? "" : std::string(rest.substr(slash));
  if (authority.find('@') != std::string_view::npos)
    return bad("user information is not supported");
  if (absl::StrContains(url.path, '?') || absl::StrContains(url.path, '#')) {
    return bad("a query or fragment is not allowed");
  }
  std::string_view port;
  if (authority.starts_with("[")) {
    size_t close = authority.find(']');
    if (close == std::string_view::npos) return bad("unterminated IPv6 address");
    url.host = std::string(authority.substr(0, close + 1));
    std::string_view after = authority.substr(close + 1);
    if (!after.empty()) {
      if (!ConsumePrefix(&after, ":")) return bad("junk after the IPv6 address");
      port = after;
      url.port_given = true;
    }
  } else {
    size_t colon = authority.rfind(':');
    url.host = std::string(authority.substr(0, colon));
    if (colon != std::string_view::npos) {
      port = authority.substr(colon + 1);
      url.port_given = true;
    }
  }
  if (url.host.empty() || url.host == "[]") return bad("no host");
  if (url.port_given) {
    if (port.empty() || port.size() > 5 ||
        !std::all_of(port.begin(), port.end(), absl::ascii_isdigit)) {
      return bad("bad port");
    }
    url.port = std::string(port);
  } else {
    url.port = url.scheme == "https" ? "443" : "80";
  }
  while (absl::EndsWith(url.path, "/")) url.path.pop_back();
  return url;
}

bool IsMethod(std::string_view method) {
  return !method.empty() && method.size() <= 16 &&
         std::all_of(method.begin(), method.end(), absl::ascii_isupper);
}

absl::Status CheckPath(std::string_view path) {
  if (!path.starts_with("/")) {
    return absl::InvalidArgumentError(absl::StrCat("path \"", Av(path), "\" must start with '/'"));
  }
  if (HasControlOrSpace(path) || path.find('#') != std::string_view::npos) {
    return absl::InvalidArgumentError(absl::StrCat("path \"", absl::CEscape(Av(path)),
                                                   "\" has a space, control character or '#'"));
  }
  return absl::OkStatus();
}

long TimeoutMillis(absl::Duration timeout) {
  if (timeout == absl::InfiniteDuration()) return 0;  // curl: no limit
  int64_t ms = absl::ToInt64Milliseconds(absl::Ceil(timeout, absl::Milliseconds(1)));
  return static_cast<long>(std::clamp<int64_t>(ms, 1, int64_t{1} << 30));
}

struct SlistDeleter {
  void operator()(curl_slist* list) const { curl_slist_free_all(list); }
};
using Slist = std::unique_ptr<curl_slist, SlistDeleter>;

// Appends to a list, keeping it whole if curl cannot allocate.
bool Append(Slist& list, const std::string& entry) {
  curl_slist* grown = curl_slist_append(list.get(), entry.c_str());
  if (grown == nullptr) return false;
  list.release();
  list.reset(grown);
  return true;
}

struct MultiDeleter {
  void operator()(CURLM* multi) const { curl_multi_cleanup(multi); }
};

}  // namespace

// The state of one call, which curl's callbacks see through their user pointer. It outlives
// the handle's use: the handle is reset (forgetting every pointer into this) before it goes.
struct CurlApiClient::Exchange {
  CURL* easy = nullptr;
  std::string url;
  Slist headers;
  Slist connect_to;
  char error[CURL_ERROR_SIZE] = {};
  std::string retry_after;
  std::string body;
  size_t max_body = 0;
  bool body_too_large = false;

  // Streams only.
  bool streaming = false;
  std::optional<LineSplitter> lines;
  const std::function<bool(std::string_view)>* on_line = nullptr;
  std::stop_token stop;
  long status = -1;      // known once the first body bytes arrive
  bool stopped = false;  // by the stop token
  bool refused = false;  // on_line returned false
  bool line_too_long = false;
  bool callback_threw = false;

  // Curl calls these; nothing may throw back through C.
  static size_t OnHeader(char* data, size_t size, size_t count, void* user) noexcept;
  static size_t OnBody(char* data, size_t size, size_t count, void* user) noexcept;
  static size_t OnStreamData(char* data, size_t size, size_t count, void* user) noexcept;
  bool AppendBody(std::string_view data);
};

size_t CurlApiClient::Exchange::OnHeader(char* data, size_t size, size_t count,
                                         void* user) noexcept {
  auto* exchange = static_cast<Exchange*>(user);
  size_t length = size * count;
  std::string_view line(data, length);
  try {
    if (line.starts_with("HTTP/")) {
      exchange->retry_after.clear();  // a new response (after a 1xx) starts over
    } else if (absl::StartsWithIgnoreCase(Av(line), "retry-after:")) {
      line.remove_prefix(std::strlen("retry-after:"));
      exchange->retry_after = std::string(absl::StripAsciiWhitespace(Av(line.substr(0, 256))));
    }
  } catch (const std::exception&) {
    return CURL_WRITEFUNC_ERROR;
  }
  return length;
}

bool CurlApiClient::Exchange::AppendBody(std::string_view data) {
  if (body.size() + data.size() > max_body) {
    body_too_large = true;
    return false;
  }
  body.append(data);
  return true;
}

size_t CurlApiClient::Exchange::OnBody(char* data, size_t size, size_t count, void* user) noexcept {
  auto* exchange = static_cast<Exchange*>(user);
  size_t length = size * count;
  try {
    return exchange->AppendBody(std::string_view(data, length)) ? length : CURL_WRITEFUNC_ERROR;
  } catch (const std::exception&) {
    exchange->body_too_large = true;  // only allocation can throw here
    return CURL_WRITEFUNC_ERROR;
  }
}

size_t CurlApiClient::Exchange::OnStreamData(char* data, size_t size, size_t count,
                                             void* user) noexcept {
  auto* exchange = static_cast<Exchange*>(user);
  size_t length = size * count;
  if (exchange->stop.stop_requested()) {
    exchange->stopped = true;
    return CURL_WRITEFUNC_ERROR;
  }
  if (exchange->status < 0) {
    long status = 0;
    curl_easy_getinfo(exchange->easy, CURLINFO_RESPONSE_CODE, &status);
    exchange->status = status;
  }
  try {
    if (exchange->status != 200) {
      return exchange->AppendBody(std::string_view(data, length)) ? length : CURL_WRITEFUNC_ERROR;
    }
    switch (exchange->lines->Feed(std::string_view(data, length), *exchange->on_line)) {
      case LineSplitter::Result::kContinue:
        return length;
      case LineSplitter::Result::kStopped:
        exchange->refused = true;
        return CURL_WRITEFUNC_ERROR;
      case LineSplitter::Result::kLineTooLong:
        exchange->line_too_long = true;
        return CURL_WRITEFUNC_ERROR;
    }
  } catch (...) {
    exchange->callback_threw = true;
  }
  return CURL_WRITEFUNC_ERROR;
}

absl::StatusOr<std::unique_ptr<CurlApiClient>> CurlApiClient::Create(RestConfig config,
                                                                     CurlApiClientOptions options) {
  if (config.source.empty()) config.source = "API client configuration";
  ASSIGN_OR_RETURN(ServerUrl url, ParseServer(config.server));
  const bool tls = url.scheme == "https";
  if (tls) RETURN_IF_ERROR(CheckPem(config));
  for (const std::string* secret : {&config.token, &config.username, &config.password}) {
    if (secret->find_first_of("\r\n") != std::string::npos) {
      return absl::InvalidArgumentError(
          absl::StrCat(config.source, ": a credential contains a line break"));
    }
  }
  if (HasControlOrSpace(config.tls_server_name)) {
    return absl::InvalidArgumentError(
        absl::StrCat(config.source, ": the TLS server name has a space or control character"));
  }
  if (options.max_body_bytes == 0 || options.max_line_bytes == 0) {
    return absl::InvalidArgumentError("CurlApiClientOptions: size limits must be positive");
  }

  Endpoint endpoint;
  endpoint.url_base = config.server;
  while (absl::EndsWith(endpoint.url_base, "/")) endpoint.url_base.pop_back();
  if (tls && !config.tls_server_name.empty() && config.tls_server_name != url.host) {
    // curl has no option for a TLS name apart from the URL's host, so the URL names the TLS
    // host, CONNECT_TO sends the connection to the real one, and Host: stays the real one, as
    // Go's tls.Config.ServerName behaves.
    endpoint.url_base = absl::StrCat("https://", config.tls_server_name, ":", url.port, url.path);
    endpoint.connect_to =
        absl::StrCat(config.tls_server_name, ":", url.port, ":", url.host, ":", url.port);
    endpoint.host_header =
        absl::StrCat("Host: ", url.host, url.port_given ? ":" : "", url.port_given ? url.port : "");
  }

  // Reference-counted and thread-safe in the libcurl we build against (7.84 and later).
  if (CURLcode code = curl_global_init(CURL_GLOBAL_DEFAULT); code != CURLE_OK) {
    return absl::InternalError(absl::StrCat("curl_global_init: ", curl_easy_strerror(code)));
  }
  const curl_version_info_data* version = curl_version_info(CURLVERSION_NOW);
  if ((version->features & CURL_VERSION_THREADSAFE) == 0) {
    spdlog::warn("libcurl {} does not declare itself thread-safe", version->version);
  }
  if (tls && (version->features & CURL_VERSION_SSL) == 0) {
    curl_global_cleanup();
    return absl::FailedPreconditionError(
        absl::StrCat("libcurl ", version->version, " has no TLS, which ", config.server, " needs"));
  }
  std::unique_ptr<CurlApiClient> client(
      new CurlApiClient(std::move(config), std::move(options), std::move(endpoint)));

  // Configure one handle now, so that a libcurl that cannot take TLS from memory fails here;
  // the handle then waits in the pool for the first call.
  Exchange probe;
  probe.easy = static_cast<CURL*>(client->TakeHandle());
  if (probe.easy == nullptr) return absl::InternalError("curl_easy_init failed");
  absl::Status configured = client->Configure(probe, "/", absl::Seconds(1));
  client->ReturnHandle(probe.easy);
  RETURN_IF_ERROR(configured);
  return client;
}

CurlApiClient::CurlApiClient(RestConfig config, CurlApiClientOptions options, Endpoint endpoint)
    : config_(std::move(config)),
      options_(std::move(options)),
      endpoint_(std::move(endpoint)),
      token_(config_.token, config_.token_file) {}

CurlApiClient::~CurlApiClient() {
  std::vector<void*> idle;
  {
    absl::MutexLock lock(&pool_mu_);
    idle.swap(idle_);
  }
  for (void* easy : idle) curl_easy_cleanup(static_cast<CURL*>(easy));
  curl_global_cleanup();  // balances the curl_global_init in Create
}

void* CurlApiClient::TakeHandle() {
  {
    absl::MutexLock lock(&pool_mu_);
    if (!idle_.empty()) {
      void* easy = idle_.back();
      idle_.pop_back();
      return easy;
    }
  }
  CURL* easy = curl_easy_init();
  if (easy != nullptr) handles_created_.fetch_add(1, std::memory_order_relaxed);
  return easy;
}

void CurlApiClient::ReturnHandle(void* easy) {
  if (easy == nullptr) return;
  // Reset drops every option (and so every pointer into the finished call) but keeps the live
  // connection, TLS session and DNS cache: that is what makes the pool worth having.
  curl_easy_reset(static_cast<CURL*>(easy));
  {
    absl::MutexLock lock(&pool_mu_);
    if (idle_.size() < options_.max_idle_handles) {
      idle_.push_back(easy);
      return;
    }
  }
  curl_easy_cleanup(static_cast<CURL*>(easy));
}

namespace {

// Returns the handle to the pool however the call ends.
class HandleLease {
 public:
  HandleLease(std::function<void(void*)> give_back, void* easy)
      : give_back_(std::move(give_back)), easy_(easy) {}
  ~HandleLease() { give_back_(easy_); }
  HandleLease(const HandleLease&) = delete;
  HandleLease& operator=(const HandleLease&) = delete;

 private:
  std::function<void(void*)> give_back_;
  void* easy_;
};

}  // namespace

#define CONTOUR_CURL_SET(handle, option, value)                                              \
  do {                                                                                       \
    if (CURLcode contour_code_ = curl_easy_setopt(handle, option, value);                    \
        contour_code_ != CURLE_OK) {                                                         \
      return absl::InternalError(                                                            \
          absl::StrCat("libcurl refuses " #option ": ", curl_easy_strerror(contour_code_))); \
    }                                                                                        \
  } while (false)

absl::Status CurlApiClient::Configure(Exchange& exchange, std::string_view path,
                                      absl::Duration timeout, std::string_view accept) {
  CURL* easy = exchange.easy;
  exchange.url = absl::StrCat(endpoint_.url_base, Av(path));
  CONTOUR_CURL_SET(easy, CURLOPT_URL, exchange.url.c_str());
  CONTOUR_CURL_SET(easy, CURLOPT_ERRORBUFFER, exchange.error);
  CONTOUR_CURL_SET(easy, CURLOPT_NOSIGNAL, 1L);  // threads: no SIGALRM for DNS timeouts
  CONTOUR_CURL_SET(easy, CURLOPT_PROTOCOLS_STR, "http,https");
  CONTOUR_CURL_SET(easy, CURLOPT_FOLLOWLOCATION, 0L);
  CONTOUR_CURL_SET(easy, CURLOPT_HTTP_VERSION, static_cast<long>(CURL_HTTP_VERSION_1_1));
  CONTOUR_CURL_SET(easy, CURLOPT_USERAGENT, options_.user_agent.c_str());
  CONTOUR_CURL_SET(easy, CURLOPT_CONNECTTIMEOUT_MS, TimeoutMillis(options_.connect_timeout));
  CONTOUR_CURL_SET(easy, CURLOPT_TIMEOUT_MS, TimeoutMillis(timeout));
  CONTOUR_CURL_SET(easy, CURLOPT_TCP_KEEPALIVE, 1L);  // watches sit idle for minutes
  if (options_.accept_gzip) CONTOUR_CURL_SET(easy, CURLOPT_ACCEPT_ENCODING, "gzip");
  CONTOUR_CURL_SET(easy, CURLOPT_HEADERFUNCTION, &Exchange::OnHeader);
  CONTOUR_CURL_SET(easy, CURLOPT_HEADERDATA, &exchange);
  CONTOUR_CURL_SET(easy, CURLOPT_WRITEFUNCTION,
                   exchange.streaming ? &Exchange::OnStreamData : &Exchange::OnBody);
  CONTOUR_CURL_SET(easy, CURLOPT_WRITEDATA, &exchange);

  if (absl::StartsWith(endpoint_.url_base, "https://")) {
    // NOCOPY: the PEM lives in config_, which outlives every handle.
    if (!config_.ca_pem.empty()) {
      curl_blob ca{const_cast<char*>(config_.ca_pem.data()), config_.ca_pem.size(),
                   CURL_BLOB_NOCOPY};
      CONTOUR_CURL_SET(easy, CURLOPT_CAINFO_BLOB, &ca);
      // Only this CA, like Go's RootCAs: the blob replaces the CA file but not the CA path.
      CONTOUR_CURL_SET(easy, CURLOPT_CAPATH, static_cast<char*>(nullptr));
    }
    if (config_.insecure_skip_tls_verify) {
      CONTOUR_CURL_SET(easy, CURLOPT_SSL_VERIFYPEER, 0L);
      CONTOUR_CURL_SET(easy, CURLOPT_SSL_VERIFYHOST, 0L);
    } else {
      CONTOUR_CURL_SET(easy, CURLOPT_SSL_VERIFYPEER, 1L);
      CONTOUR_CURL_SET(easy, CURLOPT_SSL_VERIFYHOST, 2L);
    }
    if (!config_.client_cert_pem.empty()) {
      curl_blob cert{const_cast<char*>(config_.client_cert_pem.data()),
                     config_.client_cert_pem.size(), CURL_BLOB_NOCOPY};
      curl_blob key{const_cast<char*>(config_.client_key_pem.data()), config_.client_key_pem.size(),
                    CURL_BLOB_NOCOPY};
      CONTOUR_CURL_SET(easy, CURLOPT_SSLCERT_BLOB, &cert);
      CONTOUR_CURL_SET(easy, CURLOPT_SSLCERTTYPE, "PEM");
      CONTOUR_CURL_SET(easy, CURLOPT_SSLKEY_BLOB, &key);
      CONTOUR_CURL_SET(easy, CURLOPT_SSLKEYTYPE, "PEM");
    }
    if (!endpoint_.connect_to.empty()) {
      if (!Append(exchange.connect_to, endpoint_.connect_to)) {
        return absl::ResourceExhaustedError("curl_slist_append failed");
      }
      CONTOUR_CURL_SET(easy, CURLOPT_CONNECT_TO, exchange.connect_to.get());
    }
  }

  std::vector<std::string> headers = {
      absl::StrCat("Accept: ", accept.empty() ? absl::string_view("application/json") : Av(accept)),
      "Expect:"};  // no 100-continue round trip
  if (!endpoint_.host_header.empty()) headers.push_back(endpoint_.host_header);
  if (std::string token = token_.Current(); !token.empty()) {
    headers.push_back(absl::StrCat("Authorization: Bearer ", token));
  } else if (!config_.username.empty() || !config_.password.empty()) {
    CONTOUR_CURL_SET(easy, CURLOPT_HTTPAUTH, static_cast<long>(CURLAUTH_BASIC));
    CONTOUR_CURL_SET(easy, CURLOPT_USERNAME, config_.username.c_str());
    CONTOUR_CURL_SET(easy, CURLOPT_PASSWORD, config_.password.c_str());
  }
  for (const std::string& header : headers) {
    if (!Append(exchange.headers, header)) {
      return absl::ResourceExhaustedError("curl_slist_append failed");
    }
  }
  return absl::OkStatus();
}

absl::Status CurlApiClient::TransportError(const Exchange& exchange, int code,
                                           absl::Duration timeout) {
  transport_errors_.fetch_add(1, std::memory_order_relaxed);
  if (exchange.body_too_large) {
    return absl::UnavailableError(
        absl::StrCat(exchange.url, ": the response exceeds ", options_.max_body_bytes, " bytes"));
  }
  if (exchange.line_too_long) {
    return absl::UnavailableError(absl::StrCat(exchange.url, ": a line of the stream exceeds ",
                                               options_.max_line_bytes, " bytes"));
  }
  std::string message = exchange.error[0] != '\0'
                            ? std::string(absl::StripTrailingAsciiWhitespace(exchange.error))
                            : std::string(curl_easy_strerror(static_cast<CURLcode>(code)));
  if (code == CURLE_OPERATION_TIMEDOUT) {
    // A connect that times out before the call's own deadline is the server being unreachable.
    curl_off_t pretransfer = 0;
    curl_easy_getinfo(exchange.easy, CURLINFO_PRETRANSFER_TIME_T, &pretransfer);
    if (pretransfer == 0 && options_.connect_timeout < timeout) {
      return absl::UnavailableError(absl::StrCat(exchange.url, ": connecting: ", message));
    }
    return absl::DeadlineExceededError(absl::StrCat(exchange.url, ": ", message));
  }
  return absl::UnavailableError(absl::StrCat(exchange.url, ": ", message));
}

void CurlApiClient::NoteStatus(int status) {
  if (status == 401) {
    unauthorized_.fetch_add(1, std::memory_order_relaxed);
    token_.Invalidate();
  }
}

absl::StatusOr<HttpResponse> CurlApiClient::Request(std::string_view method, std::string_view path,
                                                    std::string_view body,
                                                    const RequestOptions& options) {
  if (!IsMethod(method)) {
    return absl::InvalidArgumentError(
        absl::StrCat("bad HTTP method \"", absl::CEscape(Av(method)), "\""));
  }
  RETURN_IF_ERROR(CheckPath(path));
  if (options.timeout <= absl::ZeroDuration()) {
    return absl::DeadlineExceededError(absl::StrCat(Av(method), " ", Av(path), ": no time left"));
  }
  if (HasControlOrSpace(options.content_type) || HasControlOrSpace(options.accept)) {
    return absl::InvalidArgumentError("bad content type or accept header");
  }

  Exchange exchange;  // declared before the lease: the handle is reset before this goes
  exchange.max_body = options_.max_body_bytes;
  exchange.easy = static_cast<CURL*>(TakeHandle());
  if (exchange.easy == nullptr) return absl::ResourceExhaustedError("curl_easy_init failed");
  HandleLease lease([this](void* easy) { ReturnHandle(easy); }, exchange.easy);
  RETURN_IF_ERROR(Configure(exchange, path, options.timeout, options.accept));

  CURL* easy = exchange.easy;
  const bool sends_body = !body.empty() || method == "POST" || method == "PUT" || method == "PATCH";
  if (method == "HEAD") {
    CONTOUR_CURL_SET(easy, CURLOPT_NOBODY, 1L);
  } else if (!sends_body) {
    CONTOUR_CURL_SET(easy, CURLOPT_HTTPGET, 1L);
    if (method != "GET") {
      CONTOUR_CURL_SET(easy, CURLOPT_CUSTOMREQUEST, std::string(method).c_str());
    }
  } else {
    // A null pointer would make curl read the body from a callback (stdin by default).
    CONTOUR_CURL_SET(easy, CURLOPT_POSTFIELDS, body.data() != nullptr ? body.data() : "");
    CONTOUR_CURL_SET(easy, CURLOPT_POSTFIELDSIZE_LARGE, static_cast<curl_off_t>(body.size()));
    if (method != "POST") {
      CONTOUR_CURL_SET(easy, CURLOPT_CUSTOMREQUEST, std::string(method).c_str());
    }
    // Without this curl would label the body application/x-www-form-urlencoded.
    if (!Append(exchange.headers, absl::StrCat("Content-Type: ", options.content_type.empty()
                                                                     ? "application/json"
                                                                     : options.content_type))) {
      return absl::ResourceExhaustedError("curl_slist_append failed");
    }
  }
  CONTOUR_CURL_SET(easy, CURLOPT_HTTPHEADER, exchange.headers.get());

  requests_.fetch_add(1, std::memory_order_relaxed);
  CURLcode code = curl_easy_perform(easy);
  if (code != CURLE_OK) return TransportError(exchange, code, options.timeout);
  long status = 0;
  curl_easy_getinfo(easy, CURLINFO_RESPONSE_CODE, &status);
  NoteStatus(static_cast<int>(status));
  HttpResponse response;
  response.status = static_cast<int>(status);
  response.body = std::move(exchange.body);
  response.retry_after = std::move(exchange.retry_after);
  return response;
}

absl::StatusOr<HttpResponse> CurlApiClient::Stream(
    std::string_view path, const RequestOptions& options, std::stop_token stop,
    const std::function<bool(std::string_view line)>& on_line) {
  const absl::Duration timeout = options.timeout;
  if (HasControlOrSpace(options.accept)) return absl::InvalidArgumentError("bad accept header");
  RETURN_IF_ERROR(CheckPath(path));
  if (!on_line) return absl::InvalidArgumentError("Stream needs an on_line callback");
  if (stop.stop_requested())
    return absl::CancelledError(absl::StrCat("GET ", Av(path), ": stopped"));
  if (timeout <= absl::ZeroDuration()) {
    return absl::DeadlineExceededError(absl::StrCat("GET ", Av(path), ": no time left"));
  }

  Exchange exchange;  // declared before the lease: the handle is reset before this goes
  exchange.streaming = true;
  exchange.max_body = options_.max_body_bytes;
  exchange.lines.emplace(options_.max_line_bytes);
  exchange.on_line = &on_line;
  exchange.stop = stop;
  exchange.easy = static_cast<CURL*>(TakeHandle());
  if (exchange.easy == nullptr) return absl::ResourceExhaustedError("curl_easy_init failed");
  HandleLease lease([this](void* easy) { ReturnHandle(easy); }, exchange.easy);
  RETURN_IF_ERROR(Configure(exchange, path, timeout, options.accept));
  CONTOUR_CURL_SET(exchange.easy, CURLOPT_HTTPGET, 1L);
  CONTOUR_CURL_SET(exchange.easy, CURLOPT_HTTPHEADER, exchange.headers.get());

  // A multi handle of its own, so the wait can be woken by a stop request from another thread.
  std::unique_ptr<CURLM, MultiDeleter> multi(curl_multi_init());
  if (multi == nullptr) return absl::ResourceExhaustedError("curl_multi_init failed");
  if (CURLMcode code = curl_multi_add_handle(multi.get(), exchange.easy); code != CURLM_OK) {
    return absl::InternalError(absl::StrCat("curl_multi_add_handle: ", curl_multi_strerror(code)));
  }
  streams_.fetch_add(1, std::memory_order_relaxed);

  const absl::Time deadline =
      timeout == absl::InfiniteDuration() ? absl::InfiniteFuture() : absl::Now() + timeout;
  bool past_deadline = false;
  absl::Status multi_error;
  {
    // Destroyed before the multi handle: its destructor waits for a wakeup in progress.
    CURLM* raw_multi = multi.get();
    std::stop_callback wake(stop, [raw_multi] { curl_multi_wakeup(raw_multi); });
    while (true) {
      if (stop.stop_requested()) {
        exchange.stopped = true;
        break;
      }
      int running = 0;
      if (CURLMcode code = curl_multi_perform(raw_multi, &running); code != CURLM_OK) {
        multi_error = absl::InternalError(
            absl::StrCat(exchange.url, ": curl_multi_perform: ", curl_multi_strerror(code)));
        break;
      }
      if (running == 0) break;
      absl::Duration left = deadline - absl::Now();
      if (left <= absl::ZeroDuration()) {
        past_deadline = true;
        break;
      }
      // Bounded so that the loop looks at the clock at least once a second whatever curl says.
      int wait_ms = static_cast<int>(TimeoutMillis(std::min(left, absl::Seconds(1))));
      if (CURLMcode code = curl_multi_poll(raw_multi, nullptr, 0, wait_ms, nullptr);
          code != CURLM_OK) {
        multi_error = absl::InternalError(
            absl::StrCat(exchange.url, ": curl_multi_poll: ", curl_multi_strerror(code)));
        break;
      }
    }
  }
  std::optional<CURLcode> result;
  int queued = 0;
  while (CURLMsg* message = curl_multi_info_read(multi.get(), &queued)) {
    if (message->msg == CURLMSG_DONE && message->easy_handle == exchange.easy) {
      result = message->data.result;
    }
  }
  curl_multi_remove_handle(multi.get(), exchange.easy);  // aborts a transfer still running
  multi.reset();

  if (exchange.callback_threw) {
    return absl::InternalError(absl::StrCat(exchange.url, ": the line callback threw"));
  }
  if (exchange.stopped) return absl::CancelledError(absl::StrCat(exchange.url, ": stopped"));
  if (exchange.refused) {
    return absl::CancelledError(absl::StrCat(exchange.url, ": ended by the line callback"));
  }
  if (!multi_error.ok()) {
    transport_errors_.fetch_add(1, std::memory_order_relaxed);
    return multi_error;
  }
  if (past_deadline) {
    transport_errors_.fetch_add(1, std::memory_order_relaxed);
    return absl::DeadlineExceededError(
        absl::StrCat(exchange.url, ": the stream outlived its ", absl::FormatDuration(timeout)));
  }
  if (!result.has_value()) {
    return absl::InternalError(absl::StrCat(exchange.url, ": the transfer ended without a result"));
  }
  if (*result != CURLE_OK) return TransportError(exchange, *result, timeout);

  long status = 0;
  curl_easy_getinfo(exchange.easy, CURLINFO_RESPONSE_CODE, &status);
  NoteStatus(static_cast<int>(status));
  HttpResponse response;
  response.status = static_cast<int>(status);
  if (status != 200) response.body = std::move(exchange.body);
  response.retry_after = std::move(exchange.retry_after);
  return response;
}

CurlApiClient::Counters CurlApiClient::counters() const {
  Counters counters;
  counters.requests = requests_.load(std::memory_order_relaxed);
  counters.streams = streams_.load(std::memory_order_relaxed);
  counters.transport_errors = transport_errors_.load(std::memory_order_relaxed);
  counters.unauthorized = unauthorized_.load(std::memory_order_relaxed);
  counters.handles_created = handles_created_.load(std::memory_order_relaxed);
  counters.token_file_reads = token_.file_reads();
  return counters;
}

}  // namespace contour::k8s
