#include "k8s/json_size.h"

#include <algorithm>
#include <string>

namespace contour::k8s {
namespace {

using nlohmann::json;

// Adds to `size`; returns false once past `limit`. `depth` bounds recursion even on values
// that nobody depth-checked.
bool AddSize(const json& value, size_t limit, int depth, size_t& size) {
  if (depth > kMaxNestingDepth) {
    size = limit + 1;
    return false;
  }
  switch (value.type()) {
    case json::value_t::object:
      size += 2;
      for (const auto& [key, member] : value.items()) {
        size += key.size() + 4;  // quotes, colon, comma
        if (size > limit || !AddSize(member, limit, depth + 1, size)) return false;
      }
      break;
    case json::value_t::array:
      size += 2;
      for (const json& element : value) {
        size += 1;
        if (size > limit || !AddSize(element, limit, depth + 1, size)) return false;
      }
      break;
    case json::value_t::string:
      size += value.get_ref<const std::string&>().size() + 2;
      break;
    case json::value_t::number_integer:
    case json::value_t::number_unsigned:
    case json::value_t::number_float:
      size += 8;
      break;
    default:
      size += 5;
      break;
  }
  return size <= limit;
}

}  // namespace

size_t EstimateJsonSize(const json& value, size_t limit) {
  size_t size = 0;
  AddSize(value, limit, 1, size);
  return size;
}

int JsonTextDepth(std::string_view text) {
  int depth = 0;
  int max_depth = 0;
  bool in_string = false;
  for (size_t i = 0; i < text.size(); ++i) {
    char c = text[i];
    if (in_string) {
      if (c == '\\') {
        ++i;
      } else if (c == '"') {
        in_string = false;
      }
      continue;
    }
    switch (c) {
      case '"':
        in_string = true;
        break;
      case '[':
      case '{':
        max_depth = std::max(max_depth, ++depth);
        break;
      case ']':
      case '}':
        --depth;
        break;
      default:
        break;
    }
  }
  return max_depth;
}

}  // namespace contour::k8s
