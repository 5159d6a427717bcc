// Cheap bounds on parsed and unparsed JSON, checked before recursive code sees a document.
#ifndef CONTOUR_K8S_JSON_SIZE_H_
#define CONTOUR_K8S_JSON_SIZE_H_

#include <cstddef>
#include <string_view>

#include "nlohmann/json.hpp"

namespace contour::k8s {

// The API server refuses requests over 3 MiB; no object bigger than that can exist.
constexpr size_t kMaxObjectBytes = 3 * 1024 * 1024;
// Real objects nest about a dozen levels; this leaves room and bounds our recursion.
constexpr int kMaxNestingDepth = 64;

// About the size of `value` serialized as compact JSON. Stops counting once past `limit`
// (returns something greater than `limit`), so a huge value costs no more than `limit`.
size_t EstimateJsonSize(const nlohmann::json& value, size_t limit);

// The deepest nesting of [ and { in JSON text (strings skipped), without parsing it.
int JsonTextDepth(std::string_view text);

}  // namespace contour::k8s

#endif  // CONTOUR_K8S_JSON_SIZE_H_
