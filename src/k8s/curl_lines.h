// Splits a response body that arrives in arbitrary chunks into '\n'-terminated lines, so watch
// events are handed over as soon as their newline arrives and never before.
#ifndef CONTOUR_K8S_CURL_LINES_H_
#define CONTOUR_K8S_CURL_LINES_H_

#include <cstddef>
#include <functional>
#include <string>
#include <string_view>

namespace contour::k8s {

class LineSplitter {
 public:
  enum class Result {
    kContinue,     // every complete line was delivered; wants more data
    kStopped,      // on_line returned false
    kLineTooLong,  // a line grew past the limit: the server is not sending what we expect
  };

  explicit LineSplitter(size_t max_line_bytes) : max_line_bytes_(max_line_bytes) {}

  // Delivers each line that `data` completes ('\n' removed), in order, and keeps the unfinished
  // tail for the next call. Stops at the first line on_line refuses.
  Result Feed(std::string_view data, const std::function<bool(std::string_view line)>& on_line);

  // Bytes of an unfinished line held back (what a cut stream leaves undelivered).
  size_t pending_bytes() const { return partial_.size(); }

 private:
  const size_t max_line_bytes_;
  std::string partial_;
};

}  // namespace contour::k8s

#endif  // CONTOUR_K8S_CURL_LINES_H_
