#include "tests/support/fake_apiserver_http.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <openssl/bio.h>
#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <limits>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"
#include "nlohmann/json.hpp"

namespace contour::testing::fake_apiserver_internal {
namespace {

constexpr size_t kMaxHead = 64 * 1024;
constexpr size_t kMaxBody = 512 * 1024 * 1024;
constexpr absl::Duration kHandshakeTimeout = absl::Seconds(10);

absl::string_view ReasonPhrase(int code) {
  switch (code) {
    case 100:
      return "Continue";
    case 200:
      return "OK";
    case 201:
      return "Created";
    case 202:
      return "Accepted";
    case 400:
      return "Bad Request";
    case 401:
      return "Unauthorized";
    case 403:
      return "Forbidden";
    case 404:
      return "Not Found";
    case 405:
      return "Method Not Allowed";
    case 406:
      return "Not Acceptable";
    case 409:
      return "Conflict";
    case 410:
      return "Gone";
    case 411:
      return "Length Required";
    case 413:
      return "Payload Too Large";
    case 415:
      return "Unsupported Media Type";
    case 422:
      return "Unprocessable Entity";
    case 429:
      return "Too Many Requests";
    case 431:
      return "Request Header Fields Too Large";
    case 500:
      return "Internal Server Error";
    case 501:
      return "Not Implemented";
    case 502:
      return "Bad Gateway";
    case 503:
      return "Service Unavailable";
    case 504:
      return "Gateway Timeout";
    default:
      return "Unknown";
  }
}

int PollTimeoutMs(absl::Time deadline) {
  if (deadline == absl::InfiniteFuture()) return -1;
  absl::Duration left = deadline - absl::Now();
  if (left <= absl::ZeroDuration()) return 0;
  // Round up so that a wait does not end a little before its deadline and spin.
  int64_t ms = absl::ToInt64Milliseconds(left + absl::Milliseconds(1) - absl::Nanoseconds(1));
  return static_cast<int>(std::min<int64_t>(ms, std::numeric_limits<int>::max()));
}

bool HexValue(char c, int* value) {
  if (c >= '0' && c <= '9')
    *value = c - '0';
  else if (c >= 'a' && c <= 'f')
    *value = c - 'a' + 10;
  else if (c >= 'A' && c <= 'F')
    *value = c - 'A' + 10;
  else
    return false;
  return true;
}

// Percent-decodes `text` ('+' is a space in a query); false on a malformed escape.
bool PercentDecode(absl::string_view text, bool plus_is_space, std::string* out) {
  out->clear();
  out->reserve(text.size());
  for (size_t i = 0; i < text.size(); ++i) {
    char c = text[i];
    if (c == '%') {
      int hi = 0, lo = 0;
      if (i + 2 >= text.size() || !HexValue(text[i + 1], &hi) || !HexValue(text[i + 2], &lo)) {
        return false;
      }
      out->push_back(static_cast<char>(hi * 16 + lo));
      i += 2;
    } else if (c == '+' && plus_is_space) {
      out->push_back(' ');
    } else {
      out->push_back(c);
    }
  }
  return true;
}

struct BadRequest {
  int code;
  std::string message;
};

std::string StatusBody(int code, absl::string_view reason, absl::string_view message) {
  nlohmann::json status = {
      {"kind", "Status"},    {"apiVersion", "v1"}, {"metadata", nlohmann::json::object()},
      {"status", "Failure"}, {"message", message}, {"reason", reason},
      {"code", code}};
  return status.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

// Parses the head (request line and headers, without the blank line) into `request`.
std::optional<BadRequest> ParseHead(absl::string_view head, HttpRequest* request) {
  std::vector<absl::string_view> lines = absl::StrSplit(head, "\r\n");
  if (lines.empty()) return BadRequest{400, "empty request"};
  std::vector<absl::string_view> parts = absl::StrSplit(lines[0], ' ');
  if (parts.size() != 3) return BadRequest{400, "malformed request line"};
  absl::string_view method = parts[0], target = parts[1], version = parts[2];
  if (method.empty() || target.empty()) return BadRequest{400, "malformed request line"};
  for (char c : method) {
    if (!absl::ascii_isupper(static_cast<unsigned char>(c))) {
      return BadRequest{400, "malformed method"};
    }
  }
  if (version == "HTTP/1.1") {
    request->keep_alive = true;
  } else if (version == "HTTP/1.0") {
    request->keep_alive = false;
  } else {
    return BadRequest{400, "unsupported HTTP version"};
  }
  if (target[0] != '/') return BadRequest{400, "request target must be a path"};
  request->method = std::string(method);
  request->target = std::string(target);
  absl::string_view raw_path = target, raw_query;
  if (size_t q = target.find('?'); q != absl::string_view::npos) {
    raw_path = target.substr(0, q);
    raw_query = target.substr(q + 1);
  }
  if (!PercentDecode(raw_path, false, &request->path)) return BadRequest{400, "malformed path"};
  for (absl::string_view param : absl::StrSplit(raw_query, '&', absl::SkipEmpty())) {
    std::pair<absl::string_view, absl::string_view> kv =
        absl::StrSplit(param, absl::MaxSplits('=', 1));
    std::string key, value;
    if (!PercentDecode(kv.first, true, &key) || !PercentDecode(kv.second, true, &value)) {
      return BadRequest{400, "malformed query"};
    }
    request->query.emplace_back(std::move(key), std::move(value));
  }
  for (size_t i = 1; i < lines.size(); ++i) {
    absl::string_view line = lines[i];
    if (line.empty()) continue;
    if (line[0] == ' ' || line[0] == '\t') return BadRequest{400, "folded header"};
    size_t colon = line.find(':');
    if (colon == absl::string_view::npos || colon == 0) return BadRequest{400, "malformed header"};
    absl::string_view name = line.substr(0, colon);
    for (char c : name) {
      if (c == ' ' || c == '\t') return BadRequest{400, "malformed header name"};
    }
    absl::string_view value = absl::StripAsciiWhitespace(line.substr(colon + 1));
    request->headers.emplace_back(absl::AsciiStrToLower(name), std::string(value));
  }
  std::string connection = absl::AsciiStrToLower(request->Header("connection"));
  if (absl::StrContains(connection, "close")) request->keep_alive = false;
  if (absl::StrContains(connection, "keep-alive")) request->keep_alive = true;
  return std::nullopt;
}

enum class ReadOutcome { kOk, kClosed, kBad };

// Reads one request from `conn` into `request`; bytes after it stay in `buffer`.
ReadOutcome ReadRequest(HttpConnection& conn, std::string& buffer, HttpRequest* request,
                        BadRequest* bad, const std::function<size_t(char*, size_t)>& read_some) {
  char chunk[64 * 1024];
  auto read_more = [&]() {
    size_t n = read_some(chunk, sizeof(chunk));
    if (n == 0) return false;
    buffer.append(chunk, n);
    return true;
  };
  // The head.
  size_t head_end;
  for (;;) {
    // Blank lines before a request line are allowed (RFC 9112 §2.2).
    size_t skip = 0;
    while (skip + 1 < buffer.size() && buffer[skip] == '\r' && buffer[skip + 1] == '\n') skip += 2;
    if (skip > 0) buffer.erase(0, skip);
    head_end = buffer.find("\r\n\r\n");
    if (head_end != std::string::npos) break;
    if (buffer.size() > kMaxHead) {
      *bad = {431, "request head too large"};
      return ReadOutcome::kBad;
    }
    if (!read_more()) return ReadOutcome::kClosed;
  }
  if (head_end > kMaxHead) {
    *bad = {431, "request head too large"};
    return ReadOutcome::kBad;
  }
  if (std::optional<BadRequest> error =
          ParseHead(absl::string_view(buffer).substr(0, head_end), request)) {
    *bad = *error;
    return ReadOutcome::kBad;
  }
  buffer.erase(0, head_end + 4);

  absl::string_view transfer_encoding = request->Header("transfer-encoding");
  absl::string_view content_length = request->Header("content-length");
  bool chunked = false;
  if (!transfer_encoding.empty()) {
    if (!absl::EqualsIgnoreCase(transfer_encoding, "chunked")) {
      *bad = {501, "unsupported transfer-encoding"};
      return ReadOutcome::kBad;
    }
    if (!content_length.empty()) {
      *bad = {400, "both content-length and transfer-encoding"};
      return ReadOutcome::kBad;
    }
    chunked = true;
  }
  size_t length = 0;
  if (!content_length.empty()) {
    uint64_t value = 0;
    for (char c : content_length) {
      if (!absl::ascii_isdigit(static_cast<unsigned char>(c))) {
        *bad = {400, "malformed content-length"};
        return ReadOutcome::kBad;
      }
    }
    if (!absl::SimpleAtoi(content_length, &value)) {
      *bad = {400, "malformed content-length"};
      return ReadOutcome::kBad;
    }
    if (value > kMaxBody) {
      *bad = {413, "request body too large"};
      return ReadOutcome::kBad;
    }
    length = static_cast<size_t>(value);
    for (const auto& [name, other] : request->headers) {
      if (name == "content-length" && other != content_length) {
        *bad = {400, "conflicting content-length"};
        return ReadOutcome::kBad;
      }
    }
  }
  bool has_body = chunked || length > 0;
  if (has_body && absl::EqualsIgnoreCase(request->Header("expect"), "100-continue") &&
      buffer.empty()) {
    if (!conn.WriteAll("HTTP/1.1 100 Continue\r\n\r\n")) return ReadOutcome::kClosed;
  }
  if (!chunked) {
    while (buffer.size() < length) {
      if (!read_more()) return ReadOutcome::kClosed;
    }
    request->body = buffer.substr(0, length);
    buffer.erase(0, length);
    return ReadOutcome::kOk;
  }
  // Chunked: size line, data, CRLF; ... ; "0" line, trailers, blank line.
  for (;;) {
    size_t line_end;
    while ((line_end = buffer.find("\r\n")) == std::string::npos) {
      if (buffer.size() > 1024) {
        *bad = {400, "malformed chunk size"};
        return ReadOutcome::kBad;
      }
      if (!read_more()) return ReadOutcome::kClosed;
    }
    absl::string_view size_text = absl::string_view(buffer).substr(0, line_end);
    size_text = size_text.substr(0, size_text.find(';'));  // chunk extensions are ignored
    size_text = absl::StripAsciiWhitespace(size_text);
    uint64_t size = 0;
    if (size_text.empty() || size_text.size() > 8) {
      *bad = {400, "malformed chunk size"};
      return ReadOutcome::kBad;
    }
    for (char c : size_text) {
      int digit = 0;
      if (!HexValue(c, &digit)) {
        *bad = {400, "malformed chunk size"};
        return ReadOutcome::kBad;
      }
      size = size * 16 + static_cast<uint64_t>(digit);
    }
    buffer.erase(0, line_end + 2);
    if (size == 0) {
      // Trailers until a blank line.
      for (;;) {
        while ((line_end = buffer.find("\r\n")) == std::string::npos) {
          if (buffer.size() > kMaxHead) {
            *bad = {400, "malformed trailers"};
            return ReadOutcome::kBad;
          }
          if (!read_more()) return ReadOutcome::kClosed;
        }
        buffer.erase(0, line_end + 2);
        if (line_end == 0) return ReadOutcome::kOk;
      }
    }
    if (request->body.size() + size > kMaxBody) {
      *bad = {413, "request body too large"};
      return ReadOutcome::kBad;
    }
    while (buffer.size() < size + 2) {
      if (!read_more()) return ReadOutcome::kClosed;
    }
    if (buffer.compare(size, 2, "\r\n") != 0) {
      *bad = {400, "malformed chunk"};
      return ReadOutcome::kBad;
    }
    request->body.append(buffer, 0, size);
    buffer.erase(0, size + 2);
  }
}

}  // namespace

absl::string_view HttpRequest::Header(absl::string_view lower_name) const {
  for (const auto& [name, value] : headers) {
    if (name == lower_name) return value;
  }
  return "";
}

std::optional<std::string> HttpRequest::Query(absl::string_view name) const {
  for (const auto& [key, value] : query) {
    if (key == name) return value;
  }
  return std::nullopt;
}

std::string ResponseHead(int code, absl::string_view content_type, size_t content_length,
                         bool keep_alive, absl::string_view extra_headers) {
  return absl::StrCat("HTTP/1.1 ", code, " ", ReasonPhrase(code),
                      "\r\nContent-Type: ", content_type,
                      "\r\nCache-Control: no-cache, private\r\nContent-Length: ", content_length,
                      keep_alive ? "" : "\r\nConnection: close", "\r\n", extra_headers, "\r\n");
}

std::string ChunkedResponseHead(int code, absl::string_view content_type) {
  return absl::StrCat("HTTP/1.1 ", code, " ", ReasonPhrase(code),
                      "\r\nContent-Type: ", content_type,
                      "\r\nCache-Control: no-cache, private\r\nTransfer-Encoding: chunked\r\n\r\n");
}

std::string Chunk(absl::string_view data) {
  return absl::StrCat(absl::Hex(data.size()), "\r\n", data, "\r\n");
}

// ---------------------------------------------------------------------------------------------
// HttpConnection

HttpConnection::HttpConnection(int fd, SSL* ssl)
    : fd_(fd), ssl_(ssl), wake_fd_(eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC)) {}

HttpConnection::~HttpConnection() {
  if (ssl_ != nullptr) SSL_free(ssl_);
  if (fd_ >= 0) close(fd_);
  if (wake_fd_ >= 0) close(wake_fd_);
}

void HttpConnection::Wake() {
  uint64_t one = 1;
  // Fails only when the counter would overflow, which means a wake-up is pending anyway.
  [[maybe_unused]] ssize_t ignored = write(wake_fd_, &one, sizeof(one));
}

void HttpConnection::RequestClose() {
  closing_.store(true, std::memory_order_release);
  Wake();
}

void HttpConnection::DrainWake() {
  uint64_t value;
  [[maybe_unused]] ssize_t ignored = read(wake_fd_, &value, sizeof(value));
}

HttpConnection::PollResult HttpConnection::Poll(short events, absl::Time deadline) {
  for (;;) {
    if (closing()) return PollResult::kClosed;
    pollfd fds[2] = {{fd_, events, 0}, {wake_fd_, POLLIN, 0}};
    int n = poll(fds, 2, PollTimeoutMs(deadline));
    if (n < 0) {
      if (errno == EINTR) continue;
      return PollResult::kClosed;
    }
    if (fds[1].revents != 0) {
      DrainWake();
      return closing() ? PollResult::kClosed : PollResult::kWoken;
    }
    if (fds[0].revents & (events | POLLHUP | POLLERR | POLLNVAL)) {
      // For a read, a hang-up still has bytes (or EOF) to deliver: let the read find out.
      if ((events & (POLLIN | POLLOUT)) == 0) return PollResult::kClosed;
      if (fds[0].revents & POLLNVAL) return PollResult::kClosed;
      return PollResult::kReady;
    }
    if (n == 0) return PollResult::kTimeout;
  }
}

bool HttpConnection::Handshake(absl::Time deadline) {
  for (;;) {
    ERR_clear_error();
    int r = SSL_accept(ssl_);
    if (r == 1) break;
    int err = SSL_get_error(ssl_, r);
    short events;
    if (err == SSL_ERROR_WANT_READ) {
      events = POLLIN;
    } else if (err == SSL_ERROR_WANT_WRITE) {
      events = POLLOUT;
    } else {
      ERR_clear_error();
      return false;
    }
    PollResult result = Poll(events, deadline);
    if (result == PollResult::kClosed || result == PollResult::kTimeout) return false;
  }
  X509* peer = SSL_get1_peer_certificate(ssl_);
  peer_verified_ = peer != nullptr && SSL_get_verify_result(ssl_) == X509_V_OK;
  if (peer != nullptr) X509_free(peer);
  return true;
}

size_t HttpConnection::ReadSome(char* buffer, size_t size) {
  for (;;) {
    if (closing()) return 0;
    short events = POLLIN;
    if (ssl_ != nullptr) {
      ERR_clear_error();
      int r = SSL_read(ssl_, buffer, static_cast<int>(std::min<size_t>(size, 1 << 30)));
      if (r > 0) return static_cast<size_t>(r);
      int err = SSL_get_error(ssl_, r);
      if (err == SSL_ERROR_WANT_WRITE) {
        events = POLLOUT;
      } else if (err != SSL_ERROR_WANT_READ) {
        ERR_clear_error();
        return 0;
      }
    } else {
      ssize_t r = recv(fd_, buffer, size, 0);
      if (r > 0) return static_cast<size_t>(r);
      if (r == 0) return 0;
      if (errno == EINTR) continue;
      if (errno != EAGAIN && errno != EWOULDBLOCK) return 0;
    }
    if (Poll(events, absl::InfiniteFuture()) == PollResult::kClosed) return 0;
  }
}

bool HttpConnection::WriteAll(absl::string_view data) {
  while (!data.empty()) {
    if (closing()) return false;
    short events = POLLOUT;
    size_t chunk = std::min<size_t>(data.size(), 1 << 30);
    if (ssl_ != nullptr) {
      ERR_clear_error();
      int r = SSL_write(ssl_, data.data(), static_cast<int>(chunk));
      if (r > 0) {
        data.remove_prefix(static_cast<size_t>(r));
        continue;
      }
      int err = SSL_get_error(ssl_, r);
      if (err == SSL_ERROR_WANT_READ) {
        events = POLLIN;
      } else if (err != SSL_ERROR_WANT_WRITE) {
        ERR_clear_error();
        return false;
      }
    } else {
      ssize_t r = send(fd_, data.data(), chunk, MSG_NOSIGNAL);
      if (r > 0) {
        data.remove_prefix(static_cast<size_t>(r));
        continue;
      }
      if (r < 0 && errno == EINTR) continue;
      if (r < 0 && errno != EAGAIN && errno != EWOULDBLOCK) return false;
    }
    if (Poll(events, absl::InfiniteFuture()) == PollResult::kClosed) return false;
  }
  return true;
}

bool HttpConnection::WriteAllV(const std::vector<absl::string_view>& pieces) {
  if (ssl_ != nullptr) {
    // TLS records want contiguous input: gather small pieces, write big ones as they are.
    constexpr size_t kGather = 256 * 1024;
    std::string gathered;
    for (absl::string_view piece : pieces) {
      if (piece.size() >= kGather) {
        if (!gathered.empty() && !WriteAll(gathered)) return false;
        gathered.clear();
        if (!WriteAll(piece)) return false;
        continue;
      }
      gathered.append(piece.data(), piece.size());
      if (gathered.size() >= kGather) {
        if (!WriteAll(gathered)) return false;
        gathered.clear();
      }
    }
    return gathered.empty() || WriteAll(gathered);
  }
  constexpr size_t kMaxIov = 512;
  size_t index = 0;   // the first piece not fully written
  size_t offset = 0;  // bytes of it already written
  while (index < pieces.size()) {
    if (closing()) return false;
    iovec iov[kMaxIov];
    size_t count = 0;
    for (size_t i = index; i < pieces.size() && count < kMaxIov; ++i) {
      absl::string_view piece = pieces[i];
      if (i == index) piece.remove_prefix(offset);
      if (piece.empty()) continue;
      iov[count++] = {const_cast<char*>(piece.data()), piece.size()};
    }
    if (count == 0) return true;
    msghdr message{};
    message.msg_iov = iov;
    message.msg_iovlen = count;
    ssize_t written = sendmsg(fd_, &message, MSG_NOSIGNAL);
    if (written < 0) {
      if (errno == EINTR) continue;
      if (errno != EAGAIN && errno != EWOULDBLOCK) return false;
      if (Poll(POLLOUT, absl::InfiniteFuture()) == PollResult::kClosed) return false;
      continue;
    }
    size_t left = static_cast<size_t>(written);
    while (left > 0 && index < pieces.size()) {
      size_t rest = pieces[index].size() - offset;
      if (left >= rest) {
        left -= rest;
        ++index;
        offset = 0;
      } else {
        offset += left;
        left = 0;
      }
    }
    while (index < pieces.size() && pieces[index].size() == offset) {
      ++index;
      offset = 0;
    }
  }
  return true;
}

HttpConnection::WaitResult HttpConnection::Wait(absl::Time deadline) {
  switch (Poll(POLLRDHUP, deadline)) {
    case PollResult::kWoken:
      return WaitResult::kWoken;
    case PollResult::kTimeout:
      return WaitResult::kTimeout;
    default:
      return WaitResult::kClosed;
  }
}

// ---------------------------------------------------------------------------------------------
// HttpServer

HttpServer::HttpServer(Handler handler, SSL_CTX* ssl_ctx)
    : handler_(std::move(handler)), ssl_ctx_(ssl_ctx) {}

HttpServer::~HttpServer() {
  Stop();
  if (ssl_ctx_ != nullptr) SSL_CTX_free(ssl_ctx_);
}

absl::Status HttpServer::Listen(int port) {
  if (listen_fd_ >= 0) return absl::FailedPreconditionError("already listening");
  int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return absl::InternalError(absl::StrCat("socket: ", strerror(errno)));
  int one = 1;
  // Lets a restart bind the same port while connections it closed linger in TIME_WAIT.
  setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  addr.sin_port = htons(static_cast<uint16_t>(port));
  if (bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) != 0 || listen(fd, 256) != 0) {
    absl::Status status =
        absl::UnavailableError(absl::StrCat("listen on 127.0.0.1:", port, ": ", strerror(errno)));
    close(fd);
    return status;
  }
  socklen_t len = sizeof(addr);
  getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len);
  port_ = ntohs(addr.sin_port);
  listen_fd_ = fd;
  listener_wake_fd_ = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
  accept_thread_ = std::thread([this] { AcceptLoop(); });
  return absl::OkStatus();
}

void HttpServer::Stop() {
  if (accept_thread_.joinable()) {
    uint64_t one = 1;
    [[maybe_unused]] ssize_t ignored = write(listener_wake_fd_, &one, sizeof(one));
    accept_thread_.join();
  }
  if (listen_fd_ >= 0) close(listen_fd_);
  if (listener_wake_fd_ >= 0) close(listener_wake_fd_);
  listen_fd_ = listener_wake_fd_ = -1;
  std::list<std::unique_ptr<Slot>> slots;
  {
    absl::MutexLock lock(&mu_);
    slots.swap(slots_);
    for (auto& slot : slots) slot->conn->RequestClose();
  }
  for (auto& slot : slots) slot->thread.join();
}

void HttpServer::WakeAll() {
  absl::MutexLock lock(&mu_);
  for (auto& slot : slots_) slot->conn->Wake();
}

void HttpServer::ReapFinished() {
  std::list<std::unique_ptr<Slot>> finished;
  {
    absl::MutexLock lock(&mu_);
    for (auto it = slots_.begin(); it != slots_.end();) {
      if ((*it)->done.load(std::memory_order_acquire)) {
        finished.splice(finished.end(), slots_, it++);
      } else {
        ++it;
      }
    }
  }
  for (auto& slot : finished) slot->thread.join();
}

void HttpServer::AcceptLoop() {
  for (;;) {
    pollfd fds[2] = {{listen_fd_, POLLIN, 0}, {listener_wake_fd_, POLLIN, 0}};
    if (poll(fds, 2, -1) < 0) {
      if (errno == EINTR) continue;
      return;
    }
    if (fds[1].revents != 0) return;
    if ((fds[0].revents & POLLIN) == 0) continue;
    int fd = accept4(listen_fd_, nullptr, nullptr, SOCK_NONBLOCK | SOCK_CLOEXEC);
    if (fd < 0) continue;  // e.g. the peer gave up already
    int one = 1;
    setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
    SSL* ssl = nullptr;
    if (ssl_ctx_ != nullptr) {
      ssl = SSL_new(ssl_ctx_);
      if (ssl == nullptr || SSL_set_fd(ssl, fd) != 1) {
        if (ssl != nullptr) SSL_free(ssl);
        close(fd);
        continue;
      }
    }
    ReapFinished();
    auto slot = std::make_unique<Slot>();
    slot->conn = std::make_unique<HttpConnection>(fd, ssl);
    Slot* raw = slot.get();
    absl::MutexLock lock(&mu_);
    slots_.push_back(std::move(slot));
    raw->thread = std::thread([this, raw] { Serve(raw); });
  }
}

void HttpServer::Serve(Slot* slot) {
  // OpenSSL writes with write(2), which raises SIGPIPE when the peer is gone; blocked here, a
  // signal aimed at this thread stays pending and dies with it instead of killing the process.
  sigset_t pipe_only;
  sigemptyset(&pipe_only);
  sigaddset(&pipe_only, SIGPIPE);
  pthread_sigmask(SIG_BLOCK, &pipe_only, nullptr);
  HttpConnection& conn = *slot->conn;
  bool ok = conn.ssl_ == nullptr || conn.Handshake(absl::Now() + kHandshakeTimeout);
  std::string buffer;
  while (ok) {
    HttpRequest request;
    BadRequest bad{};
    ReadOutcome outcome = ReadRequest(conn, buffer, &request, &bad, [&](char* data, size_t size) {
      return conn.ReadSome(data, size);
    });
    if (outcome == ReadOutcome::kClosed) break;
    if (outcome == ReadOutcome::kBad) {
      std::string reason = bad.code == 400   ? "BadRequest"
                           : bad.code == 413 ? "RequestEntityTooLarge"
                                             : "BadRequest";
      std::string body = StatusBody(bad.code, reason, bad.message);
      conn.WriteAll(ResponseHead(bad.code, "application/json", body.size(), false) + body);
      break;
    }
    request.client_cert_verified = conn.peer_verified_;
    if (!handler_(conn, request) || !request.keep_alive) break;
  }
  // No TLS close_notify: every close looks like a cut TCP connection, which is what the faults
  // mean and what a crashed server does; clients treat an idle one as gone either way.
  // The descriptor itself is closed when the slot is reaped (so it cannot be reused while
  // another thread might still wake this connection); shut it down now so the peer sees EOF.
  shutdown(conn.fd_, SHUT_RDWR);
  slot->done.store(true, std::memory_order_release);
}

absl::StatusOr<SSL_CTX*> MakeServerTlsContext(absl::string_view cert_pem, absl::string_view key_pem,
                                              absl::string_view client_ca_pem,
                                              bool require_client_cert) {
  auto openssl_error = [](absl::string_view what) {
    unsigned long code = ERR_get_error();
    char text[256] = "no OpenSSL error queued";
    if (code != 0) ERR_error_string_n(code, text, sizeof(text));
    ERR_clear_error();
    return absl::InternalError(absl::StrCat(what, ": ", text));
  };
  SSL_CTX* ctx = SSL_CTX_new(TLS_server_method());
  if (ctx == nullptr) return openssl_error("SSL_CTX_new");
  auto fail = [&](absl::string_view what) {
    absl::Status status = openssl_error(what);
    SSL_CTX_free(ctx);
    return status;
  };
  SSL_CTX_set_min_proto_version(ctx, TLS1_2_VERSION);
  // Clients resume sessions (curl does on every new connection); with client certificates
  // verified, OpenSSL refuses to resume without a session id context (an "internal error" alert).
  static constexpr unsigned char kSessionContext[] = "contour-fake-apiserver";
  SSL_CTX_set_session_id_context(ctx, kSessionContext, sizeof(kSessionContext) - 1);
  SSL_CTX_set_mode(ctx, SSL_MODE_ENABLE_PARTIAL_WRITE | SSL_MODE_ACCEPT_MOVING_WRITE_BUFFER);
  BIO* cert_bio = BIO_new_mem_buf(cert_pem.data(), static_cast<int>(cert_pem.size()));
  X509* cert = PEM_read_bio_X509(cert_bio, nullptr, nullptr, nullptr);
  BIO_free(cert_bio);
  if (cert == nullptr) return fail("server certificate");
  int ok = SSL_CTX_use_certificate(ctx, cert);
  X509_free(cert);
  if (ok != 1) return fail("SSL_CTX_use_certificate");
  BIO* key_bio = BIO_new_mem_buf(key_pem.data(), static_cast<int>(key_pem.size()));
  EVP_PKEY* key = PEM_read_bio_PrivateKey(key_bio, nullptr, nullptr, nullptr);
  BIO_free(key_bio);
  if (key == nullptr) return fail("server key");
  ok = SSL_CTX_use_PrivateKey(ctx, key);
  EVP_PKEY_free(key);
  if (ok != 1 || SSL_CTX_check_private_key(ctx) != 1) return fail("server key");
  if (!client_ca_pem.empty()) {
    BIO* ca_bio = BIO_new_mem_buf(client_ca_pem.data(), static_cast<int>(client_ca_pem.size()));
    X509* ca = PEM_read_bio_X509(ca_bio, nullptr, nullptr, nullptr);
    BIO_free(ca_bio);
    if (ca == nullptr) return fail("client CA");
    X509_STORE* store = SSL_CTX_get_cert_store(ctx);
    ok = X509_STORE_add_cert(store, ca);
    // The CertificateRequest names the CA, so clients that pick a certificate by issuer
    // (Go's, and so kubectl) find theirs.
    if (ok == 1) ok = SSL_CTX_add_client_CA(ctx, ca);
    X509_free(ca);
    if (ok != 1) return fail("client CA");
    SSL_CTX_set_verify(
        ctx, SSL_VERIFY_PEER | (require_client_cert ? SSL_VERIFY_FAIL_IF_NO_PEER_CERT : 0),
        nullptr);
  }
  return ctx;
}

}  // namespace contour::testing::fake_apiserver_internal
