// Reads typed fields out of parsed JSON the way Go's encoding/json fills a Kubernetes struct:
// a missing or null field leaves the default, a value of the wrong type is an error naming the
// field's path. The path is kept as a stack of views and formatted only when an error occurs,
// so reading valid objects allocates nothing beyond the values themselves.
#ifndef CONTOUR_K8S_FIELD_READER_H_
#define CONTOUR_K8S_FIELD_READER_H_

#include <cstddef>
#include <cstdint>
#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "k8s/objects.h"
#include "nlohmann/json.hpp"

namespace contour::k8s {

struct FieldError {
  std::string field;  // e.g. "spec.ports[0].port"; empty for the object itself
  std::string message;
};

class FieldReader {
 public:
  // Past this many errors an object is hopeless; more would only flood the report.
  static constexpr size_t kMaxErrors = 10;

  // Extends the path for as long as it lives.
  class Scope {
   public:
    Scope(FieldReader& reader, std::string_view key) : reader_(reader) {
      reader_.path_.push_back({key, 0, false});
    }
    Scope(FieldReader& reader, size_t index) : reader_(reader) {
      reader_.path_.push_back({{}, index, true});
    }
    ~Scope() { reader_.path_.pop_back(); }
    Scope(const Scope&) = delete;
    Scope& operator=(const Scope&) = delete;

   private:
    FieldReader& reader_;
  };

  // The member `key` of `object`, or nullptr when `object` is not an object or the member is
  // absent or null (Go treats null as absent).
  static const nlohmann::json* Find(const nlohmann::json& object, std::string_view key);

  // Each reads object[key] into `out`, leaving `out` alone when the member is absent or null.
  // They return false only on a type or range error (already recorded).
  bool ReadString(const nlohmann::json& object, std::string_view key, std::string& out);
  bool ReadInt(const nlohmann::json& object, std::string_view key, int64_t& out);
  bool ReadBool(const nlohmann::json& object, std::string_view key, bool& out);
  bool ReadIntOrString(const nlohmann::json& object, std::string_view key, IntOrString& out);
  bool ReadStringMap(const nlohmann::json& object, std::string_view key,
                     std::map<std::string, std::string>& out);
  bool ReadStringList(const nlohmann::json& object, std::string_view key,
                      std::vector<std::string>& out);

  // The member `key` when it is an object; nullptr when absent or null, or (recording an
  // error) when it has another type.
  const nlohmann::json* ObjectField(const nlohmann::json& object, std::string_view key);

  // Reads object[key] as an array of objects: for each element, appends a T to `out` and calls
  // read(element, *this, out.back()) with the path at that element.
  template <typename T, typename ReadItem>
  void ReadList(const nlohmann::json& object, std::string_view key, std::vector<T>& out,
                ReadItem&& read) {
    const nlohmann::json* list = ArrayField(object, key);
    if (list == nullptr) return;
    Scope field(*this, key);
    out.reserve(list->size());
    size_t index = 0;
    for (const nlohmann::json& item : *list) {
      Scope element(*this, index++);
      if (!item.is_object()) {
        if (!item.is_null()) TypeError("an object", item);
        continue;
      }
      read(item, *this, out.emplace_back());
    }
  }

  // Records an error at the current path plus `key` (empty `key`: the current path).
  void Error(std::string_view key, std::string message);
  void Required(std::string_view key) { Error(key, "is required"); }

  bool ok() const { return errors_.empty(); }
  std::vector<FieldError>& errors() { return errors_; }

 private:
  struct Segment {
    std::string_view key;
    size_t index;
    bool is_index;
  };

  const nlohmann::json* ArrayField(const nlohmann::json& object, std::string_view key);
  void TypeError(const char* expected, const nlohmann::json& got);
  // Converts a JSON number to int64, recording an error at the current path if it is not one.
  bool ToInt(const nlohmann::json& value, const char* expected, int64_t& out);
  std::string Path(std::string_view last) const;

  std::vector<Segment> path_;
  std::vector<FieldError> errors_;
};

}  // namespace contour::k8s

#endif  // CONTOUR_K8S_FIELD_READER_H_
