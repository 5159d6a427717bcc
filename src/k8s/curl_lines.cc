#include "k8s/curl_lines.h"

namespace contour::k8s {

LineSplitter::Result LineSplitter::Feed(std::string_view data,
                                        const std::function<bool(std::string_view line)>& on_line) {
  while (!data.empty()) {
    size_t newline = data.find('\n');
    if (newline == std::string_view::npos) {
      // Only the new bytes are searched, so a long line arriving in many chunks costs linear time.
      if (partial_.size() + data.size() > max_line_bytes_) return Result::kLineTooLong;
      partial_.append(data);
      return Result::kContinue;
    }
    if (partial_.size() + newline > max_line_bytes_) return Result::kLineTooLong;
    bool more;
    if (partial_.empty()) {
      more = on_line(data.substr(0, newline));  // the common case: no copy
    } else {
      partial_.append(data.substr(0, newline));
      more = on_line(partial_);
      partial_.clear();
    }
    data.remove_prefix(newline + 1);
    if (!more) return Result::kStopped;
  }
  return Result::kContinue;
}

}  // namespace contour::k8s
