// Base64 as Go's encoding/json decodes []byte fields (base64.StdEncoding): the standard
// alphabet with padding; carriage returns and newlines are skipped.
#ifndef CONTOUR_K8S_BASE64_H_
#define CONTOUR_K8S_BASE64_H_

#include <optional>
#include <string>
#include <string_view>

namespace contour::k8s {

// The decoded bytes, or nullopt when `text` is not valid padded standard base64.
std::optional<std::string> DecodeStdBase64(std::string_view text);

}  // namespace contour::k8s

#endif  // CONTOUR_K8S_BASE64_H_
