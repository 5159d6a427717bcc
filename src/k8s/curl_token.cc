#include "k8s/curl_token.h"

#include <sys/stat.h>

#include <fstream>
#include <sstream>
#include <utility>

#include "absl/strings/ascii.h"
#include "spdlog/spdlog.h"

namespace contour::k8s {
namespace {

// A token is a few kilobytes at most; anything larger is not a token.
constexpr std::streamsize kMaxTokenBytes = 1 << 20;

}  // namespace

BearerTokenSource::BearerTokenSource(std::string static_token, std::string token_file)
    : static_token_(std::move(static_token)), token_file_(std::move(token_file)) {}

std::string BearerTokenSource::Current() {
  if (token_file_.empty()) return static_token_;

  std::optional<FileStamp> stamp;
  struct stat st;
  if (::stat(token_file_.c_str(), &st) == 0) {
    stamp = FileStamp{st.st_dev, st.st_ino, st.st_size,
                      st.st_mtim.tv_sec * int64_t{1000000000} + st.st_mtim.tv_nsec,
                      st.st_ctim.tv_sec * int64_t{1000000000} + st.st_ctim.tv_nsec};
  }
  absl::Time now = absl::Now();
  {
    absl::MutexLock lock(&mu_);
    bool fresh = stamp.has_value() && stamp_ == stamp && now - read_at_ < kMaxTokenAge;
    if (fresh) return file_token_.empty() ? static_token_ : file_token_;
  }

  // Read outside the lock: concurrent callers may both read, which is harmless.
  file_reads_.fetch_add(1, std::memory_order_relaxed);
  std::string token;
  bool ok = false;
  if (stamp.has_value() && stamp->size <= kMaxTokenBytes) {
    std::ifstream in(token_file_, std::ios::binary);
    std::ostringstream contents;
    if (in && (contents << in.rdbuf()) && !in.bad()) {
      token = std::string(absl::StripAsciiWhitespace(contents.str()));
      // A line break inside would split the Authorization header.
      ok = !token.empty() && token.find_first_of("\r\n") == std::string::npos;
    }
  }
  absl::MutexLock lock(&mu_);
  if (ok) {
    file_token_ = std::move(token);
    stamp_ = stamp;
    read_at_ = now;
    failing_ = false;
  } else {
    // Keep the last good token; the next request tries the file again.
    if (!failing_) {
      spdlog::warn("cannot read a bearer token from {}; keeping the previous one", token_file_);
    }
    failing_ = true;
    stamp_.reset();
  }
  return file_token_.empty() ? static_token_ : file_token_;
}

void BearerTokenSource::Invalidate() {
  absl::MutexLock lock(&mu_);
  stamp_.reset();
}

}  // namespace contour::k8s
