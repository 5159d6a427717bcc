#include "k8s/field_reader.h"

#include <cmath>
#include <limits>
#include <utility>

#include "absl/strings/str_cat.h"

namespace contour::k8s {

using nlohmann::json;

const json* FieldReader::Find(const json& object, std::string_view key) {
  if (!object.is_object()) return nullptr;
  auto it = object.find(key);
  if (it == object.end() || it->is_null()) return nullptr;
  return &*it;
}

bool FieldReader::ReadString(const json& object, std::string_view key, std::string& out) {
  const json* value = Find(object, key);
  if (value == nullptr) return true;
  if (!value->is_string()) {
    Scope field(*this, key);
    TypeError("a string", *value);
    return false;
  }
  out = value->get_ref<const std::string&>();
  return true;
}

bool FieldReader::ReadInt(const json& object, std::string_view key, int64_t& out) {
  const json* value = Find(object, key);
  if (value == nullptr) return true;
  Scope field(*this, key);
  return ToInt(*value, "an integer", out);
}

bool FieldReader::ReadBool(const json& object, std::string_view key, bool& out) {
  const json* value = Find(object, key);
  if (value == nullptr) return true;
  if (!value->is_boolean()) {
    Scope field(*this, key);
    TypeError("a boolean", *value);
    return false;
  }
  out = value->get<bool>();
  return true;
}

bool FieldReader::ReadIntOrString(const json& object, std::string_view key, IntOrString& out) {
  const json* value = Find(object, key);
  if (value == nullptr) return true;
  Scope field(*this, key);
  if (value->is_string()) {
    out.is_string = true;
    out.int_value = 0;
    out.string_value = value->get_ref<const std::string&>();
    return true;
  }
  int64_t number = 0;
  if (!ToInt(*value, "an integer or a string", number)) return false;
  // intstr.IntOrString holds an int32.
  if (number < std::numeric_limits<int32_t>::min() ||
      number > std::numeric_limits<int32_t>::max()) {
    Error("", absl::StrCat("integer ", number, " is out of range for int32"));
    return false;
  }
  out.is_string = false;
  out.int_value = number;
  out.string_value.clear();
  return true;
}

bool FieldReader::ReadStringMap(const json& object, std::string_view key,
                                std::map<std::string, std::string>& out) {
  const json* map = ObjectField(object, key);
  if (map == nullptr) return true;
  Scope field(*this, key);
  bool ok = true;
  for (const auto& [name, value] : map->items()) {
    if (value.is_string()) {
      out.insert_or_assign(name, value.get_ref<const std::string&>());
    } else if (!value.is_null()) {  // Go decodes null into a map as ""
      Scope entry(*this, name);
      TypeError("a string", value);
      ok = false;
    } else {
      out.insert_or_assign(name, std::string());
    }
  }
  return ok;
}

bool FieldReader::ReadStringList(const json& object, std::string_view key,
                                 std::vector<std::string>& out) {
  const json* list = ArrayField(object, key);
  if (list == nullptr) return true;
  Scope field(*this, key);
  bool ok = true;
  out.reserve(list->size());
  size_t index = 0;
  for (const json& item : *list) {
    if (item.is_string()) {
      out.push_back(item.get_ref<const std::string&>());
    } else if (item.is_null()) {
      out.emplace_back();
    } else {
      Scope element(*this, index);
      TypeError("a string", item);
      ok = false;
    }
    ++index;
  }
  return ok;
}

const json* FieldReader::ObjectField(const json& object, std::string_view key) {
  const json* value = Find(object, key);
  if (value == nullptr || value->is_object()) return value;
  Scope field(*this, key);
  TypeError("an object", *value);
  return nullptr;
}

const json* FieldReader::ArrayField(const json& object, std::string_view key) {
  const json* value = Find(object, key);
  if (value == nullptr || value->is_array()) return value;
  Scope field(*this, key);
  TypeError("an array", *value);
  return nullptr;
}

void FieldReader::Error(std::string_view key, std::string message) {
  if (errors_.size() >= kMaxErrors) return;
  errors_.push_back(FieldError{Path(key), std::move(message)});
}

void FieldReader::TypeError(const char* expected, const json& got) {
  Error("", absl::StrCat("expected ", expected, ", got ", got.type_name()));
}

bool FieldReader::ToInt(const json& value, const char* expected, int64_t& out) {
  switch (value.type()) {
    case json::value_t::number_integer:
      out = value.get<int64_t>();
      return true;
    case json::value_t::number_unsigned: {
      uint64_t number = value.get<uint64_t>();
      if (number > static_cast<uint64_t>(std::numeric_limits<int64_t>::max())) {
        Error("", absl::StrCat("integer ", number, " is out of range for int64"));
        return false;
      }
      out = static_cast<int64_t>(number);
      return true;
    }
    case json::value_t::number_float: {
      // YAML and some clients write whole numbers as floats (8080.0); Go accepts those only
      // when they are integral and fit.
      double number = value.get<double>();
      if (!std::isfinite(number) || number != std::trunc(number)) {
        Error("", absl::StrCat("expected ", expected, ", got ", number));
        return false;
      }
      // 2^63 is exact as a double; every integral double below it fits.
      if (number < -9223372036854775808.0 || number >= 9223372036854775808.0) {
        Error("", absl::StrCat("integer ", number, " is out of range for int64"));
        return false;
      }
      out = static_cast<int64_t>(number);
      return true;
    }
    default:
      TypeError(expected, value);
      return false;
  }
}

std::string FieldReader::Path(std::string_view last) const {
  std::string path;
  auto append_key = [&path](std::string_view key) {
    if (!path.empty()) path.push_back('.');
    path.append(key);
  };
  for (const Segment& segment : path_) {
    if (segment.is_index) {
      absl::StrAppend(&path, "[", segment.index, "]");
    } else {
      append_key(segment.key);
    }
  }
  if (!last.empty()) append_key(last);
  return path;
}

}  // namespace contour::k8s
