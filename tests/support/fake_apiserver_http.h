// The fake API server's HTTP/1.1 layer: a listener on 127.0.0.1, one thread per connection,
// plain or TLS (OpenSSL) on the same code path, keep-alive, Content-Length and chunked request
// bodies, and a wake-up file descriptor per connection so that every blocking wait (reading the
// next request, writing, a watch waiting for events) can be interrupted for shutdown and faults.
#ifndef CONTOUR_TESTS_SUPPORT_FAKE_APISERVER_HTTP_H_
#define CONTOUR_TESTS_SUPPORT_FAKE_APISERVER_HTTP_H_

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <list>
#include <memory>
#include <optional>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"

typedef struct ssl_ctx_st SSL_CTX;
typedef struct ssl_st SSL;

namespace contour::testing::fake_apiserver_internal {

struct HttpRequest {
  std::string method;
  std::string target;                                        // as sent: path and query
  std::string path;                                          // percent-decoded, without the query
  std::vector<std::pair<std::string, std::string>> query;    // decoded, in order
  std::vector<std::pair<std::string, std::string>> headers;  // names lower-cased
  std::string body;
  bool keep_alive = true;
  bool client_cert_verified = false;  // TLS: the peer showed a certificate the CA signed

  // The first header named `lower_name`, or "".
  absl::string_view Header(absl::string_view lower_name) const;
  // The first query parameter named `name`.
  std::optional<std::string> Query(absl::string_view name) const;
};

// Bytes for a response head. `extra_headers` are complete "Name: value\r\n" lines.
std::string ResponseHead(int code, absl::string_view content_type, size_t content_length,
                         bool keep_alive, absl::string_view extra_headers = "");
// The head of a chunked (streamed) response.
std::string ChunkedResponseHead(int code, absl::string_view content_type);
// One chunk of a chunked body ("" would end the body: use kLastChunk for that).
std::string Chunk(absl::string_view data);
inline constexpr absl::string_view kLastChunk = "0\r\n\r\n";

class HttpConnection {
 public:
  HttpConnection(int fd, SSL* ssl);
  ~HttpConnection();
  HttpConnection(const HttpConnection&) = delete;
  HttpConnection& operator=(const HttpConnection&) = delete;

  enum class WaitResult { kWoken, kTimeout, kClosed };

  // Writes everything; false when the peer is gone or the connection is closing.
  bool WriteAll(absl::string_view data);
  // Writes the pieces in order, without joining them first (a list of 50 MB is sent from the
  // stored objects' own text).
  bool WriteAllV(const std::vector<absl::string_view>& pieces);
  // Waits until Wake() is called (kWoken, the wake-up consumed), the deadline passes, or the
  // peer hangs up / the connection is closing (kClosed). Request bytes that arrive meanwhile
  // are left unread.
  WaitResult Wait(absl::Time deadline);
  // Thread-safe; wakes the connection's thread from any wait. Cheap: an eventfd write.
  void Wake();
  // The descriptor Wake() writes to, for others that want to wake this connection's thread.
  int wake_fd() const { return wake_fd_; }
  // Asks the connection to close: every wait and I/O returns at once, and stays failing.
  void RequestClose();
  bool closing() const { return closing_.load(std::memory_order_acquire); }

 private:
  friend class HttpServer;
  enum class PollResult { kReady, kWoken, kTimeout, kClosed };
  PollResult Poll(short events, absl::Time deadline);
  bool Handshake(absl::Time deadline);
  // Some bytes (>0), or 0 when the peer is gone or the connection is closing.
  size_t ReadSome(char* buffer, size_t size);
  void DrainWake();

  const int fd_;
  SSL* const ssl_;  // null: plain TCP
  const int wake_fd_;
  std::atomic<bool> closing_{false};
  bool peer_verified_ = false;
};

class HttpServer {
 public:
  // Serves one request and writes its whole response; false when the connection must close.
  using Handler = std::function<bool(HttpConnection&, HttpRequest&)>;

  // `ssl_ctx` null: plain HTTP. The server takes ownership of the context.
  HttpServer(Handler handler, SSL_CTX* ssl_ctx);
  ~HttpServer();  // Stop()
  HttpServer(const HttpServer&) = delete;
  HttpServer& operator=(const HttpServer&) = delete;

  // Listens on 127.0.0.1:`port` (0: any free port) and starts accepting.
  absl::Status Listen(int port);
  int port() const { return port_; }
  // Closes the listener and every connection, and joins every thread. Listen() may follow.
  void Stop();
  // Wakes every connection's thread (e.g. after a fault changed).
  void WakeAll();

 private:
  struct Slot {
    std::unique_ptr<HttpConnection> conn;
    std::thread thread;
    std::atomic<bool> done{false};
  };
  void AcceptLoop();
  void Serve(Slot* slot);
  void ReapFinished();

  const Handler handler_;
  SSL_CTX* const ssl_ctx_;
  // Owned by the thread that calls Listen() and Stop() (one at a time); the accept thread reads
  // them between the two.
  int listen_fd_ = -1;
  int listener_wake_fd_ = -1;
  int port_ = 0;
  std::thread accept_thread_;
  mutable absl::Mutex mu_;
  std::list<std::unique_ptr<Slot>> slots_ ABSL_GUARDED_BY(mu_);
};

// A server-side TLS context with this certificate and key. With `client_ca_pem`, client
// certificates are asked for and verified against it (a bad one fails the handshake); with
// `require_client_cert` one must also be shown.
absl::StatusOr<SSL_CTX*> MakeServerTlsContext(absl::string_view cert_pem, absl::string_view key_pem,
                                              absl::string_view client_ca_pem,
                                              bool require_client_cert);

}  // namespace contour::testing::fake_apiserver_internal

#endif  // CONTOUR_TESTS_SUPPORT_FAKE_APISERVER_HTTP_H_
