// The bearer token to send with each request. A token file is re-read when it changes, because
// bound service-account tokens are rotated by the kubelet (which swaps in a new file), and
// re-read after the server answers 401, in case the rotation landed between two checks.
#ifndef CONTOUR_K8S_CURL_TOKEN_H_
#define CONTOUR_K8S_CURL_TOKEN_H_

#include <sys/types.h>

#include <atomic>
#include <cstdint>
#include <optional>
#include <string>

#include "absl/base/thread_annotations.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"

namespace contour::k8s {

class BearerTokenSource {
 public:
  // Either may be empty. With both, the file wins and the static token is the fallback for when
  // the file cannot be read (client-go's transport does the same).
  BearerTokenSource(std::string static_token, std::string token_file);

  // The token for the next request, or empty for none. Costs one stat() when there is a file;
  // the file itself is read only when its identity, size or times changed, after Invalidate(),
  // or when the last read is a minute old (client-go's period, for filesystems whose times
  // cannot be trusted). A file that cannot be read, or is empty, keeps the last good token.
  std::string Current();

  // The server refused the token: read the file again before the next request.
  void Invalidate();

  // How many times the file was read (successfully or not).
  uint64_t file_reads() const { return file_reads_.load(std::memory_order_relaxed); }

 private:
  struct FileStamp {
    dev_t device = 0;
    ino_t inode = 0;
    off_t size = 0;
    int64_t mtime_ns = 0;
    int64_t ctime_ns = 0;
    bool operator==(const FileStamp&) const = default;
  };

  static constexpr absl::Duration kMaxTokenAge = absl::Minutes(1);

  const std::string static_token_;
  const std::string token_file_;
  std::atomic<uint64_t> file_reads_{0};

  absl::Mutex mu_;
  std::string file_token_ ABSL_GUARDED_BY(mu_);
  std::optional<FileStamp> stamp_ ABSL_GUARDED_BY(mu_);
  absl::Time read_at_ ABSL_GUARDED_BY(mu_) = absl::InfinitePast();
  bool failing_ ABSL_GUARDED_BY(mu_) = false;  // so a lasting failure is logged once
};

}  // namespace contour::k8s

#endif  // CONTOUR_K8S_CURL_TOKEN_H_
