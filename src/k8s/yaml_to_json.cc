#include "k8s/yaml_to_json.h"

#include <cstdint>
#include <istream>
#include <map>
#include <streambuf>
#include <string>
#include <utility>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "k8s/json_size.h"
#include "k8s/yaml_scalar.h"
#include "yaml-cpp/depthguard.h"
#include "yaml-cpp/eventhandler.h"
#include "yaml-cpp/exceptions.h"
#include "yaml-cpp/mark.h"
#include "yaml-cpp/parser.h"

namespace contour::k8s {
namespace {

using nlohmann::json;

bool IsMarker(std::string_view line, std::string_view marker) {
  if (!line.starts_with(marker)) return false;
  if (line.size() == marker.size()) return true;
  char next = line[marker.size()];
  return next == ' ' || next == '\t' || next == '\r' || next == '\n';
}

bool IsBlankOrComment(std::string_view line) {
  for (char c : line) {
    if (c == ' ' || c == '\t' || c == '\r' || c == '\n') continue;
    return c == '#';
  }
  return true;
}

// Strict UTF-8: no overlong forms, surrogates or code points past U+10FFFF. go-yaml refuses
// such input, and JSON serializers downstream would throw on it.
bool IsValidUtf8(std::string_view s) {
  size_t i = 0;
  while (i < s.size()) {
    auto byte = static_cast<uint8_t>(s[i]);
    if (byte < 0x80) {
      ++i;
      continue;
    }
    size_t length;
    uint32_t min;
    uint32_t code;
    if ((byte & 0xe0) == 0xc0) {
      length = 2, min = 0x80, code = byte & 0x1f;
    } else if ((byte & 0xf0) == 0xe0) {
      length = 3, min = 0x800, code = byte & 0x0f;
    } else if ((byte & 0xf8) == 0xf0) {
      length = 4, min = 0x10000, code = byte & 0x07;
    } else {
      return false;
    }
    if (s.size() - i < length) return false;
    for (size_t k = 1; k < length; ++k) {
      auto continuation = static_cast<uint8_t>(s[i + k]);
      if ((continuation & 0xc0) != 0x80) return false;
      code = (code << 6) | (continuation & 0x3f);
    }
    if (code < min || code > 0x10ffff || (code >= 0xd800 && code <= 0xdfff)) return false;
    i += length;
  }
  return true;
}

// An istream source over a view, so the document is not copied.
class ViewStreamBuf : public std::streambuf {
 public:
  explicit ViewStreamBuf(std::string_view text) {
    char* begin = const_cast<char*>(text.data());  // the get area is only read
    setg(begin, begin, begin + text.size());
  }
};

// Builds one JSON value from yaml-cpp's parse events. Errors of its own (depth, aliases, keys)
// are kept rather than thrown; once failed it ignores the remaining events.
class JsonBuilder final : public YAML::EventHandler {
 public:
  explicit JsonBuilder(int first_line) : first_line_(first_line) {}

  void OnDocumentStart(const YAML::Mark&) override {}
  void OnDocumentEnd() override {}

  void OnNull(const YAML::Mark& mark, YAML::anchor_t anchor) override {
    if (failed_) return;
    Remember(anchor, json(nullptr));
    AddValue(mark, json(nullptr), /*merge_key=*/false);
  }

  void OnAlias(const YAML::Mark& mark, YAML::anchor_t anchor) override {
    if (failed_) return;
    auto it = anchors_.find(anchor);
    if (it == anchors_.end()) {
      return Fail(mark, "alias refers to a node that contains it");
    }
    alias_bytes_ += it->second.second;
    if (alias_bytes_ > kMaxObjectBytes) {
      return Fail(mark, absl::StrCat("aliases expand to more than ", kMaxObjectBytes, " bytes"));
    }
    AddValue(mark, it->second.first, /*merge_key=*/false);
  }

  void OnScalar(const YAML::Mark& mark, const std::string& tag, YAML::anchor_t anchor,
                const std::string& value) override {
    if (failed_) return;
    if (!IsValidUtf8(value)) return Fail(mark, "invalid UTF-8");
    json resolved = ResolveYamlScalar(value, tag);
    Remember(anchor, resolved);
    AddValue(mark, std::move(resolved), tag == "?" && value == "<<");
  }

  void OnSequenceStart(const YAML::Mark& mark, const std::string&, YAML::anchor_t anchor,
                       YAML::EmitterStyle::value) override {
    Open(mark, json::array(), anchor);
  }
  void OnSequenceEnd() override { Close(); }

  void OnMapStart(const YAML::Mark& mark, const std::string&, YAML::anchor_t anchor,
                  YAML::EmitterStyle::value) override {
    Open(mark, json::object(), anchor);
  }
  void OnMapEnd() override { Close(); }

  bool failed() const { return failed_; }

  absl::StatusOr<json> Result() && {
    if (failed_) return absl::InvalidArgumentError(std::move(error_));
    return std::move(root_);
  }

 private:
  struct Frame {
    json value;
    YAML::Mark mark;
    YAML::anchor_t anchor = 0;
    bool has_key = false;
    bool key_is_merge = false;
    std::string key;
  };

  void Open(const YAML::Mark& mark, json value, YAML::anchor_t anchor) {
    if (failed_) return;
    if (stack_.size() >= static_cast<size_t>(kMaxNestingDepth)) {
      return Fail(mark,
                  absl::StrCat("document is nested deeper than ", kMaxNestingDepth, " levels"));
    }
    stack_.push_back(Frame{std::move(value), mark, anchor});
  }

  void Close() {
    if (failed_ || stack_.empty()) return;
    Frame frame = std::move(stack_.back());
    stack_.pop_back();
    Remember(frame.anchor, frame.value);
    AddValue(frame.mark, std::move(frame.value), /*merge_key=*/false, /*is_scalar=*/false);
  }

  void Remember(YAML::anchor_t anchor, const json& value) {
    if (anchor == 0) return;
    anchors_.insert_or_assign(anchor,
                              std::make_pair(value, EstimateJsonSize(value, kMaxObjectBytes)));
  }

  void AddValue(const YAML::Mark& mark, json value, bool merge_key, bool is_scalar = true) {
    if (stack_.empty()) {
      root_ = std::move(value);
      return;
    }
    Frame& parent = stack_.back();
    if (parent.value.is_array()) {
      parent.value.push_back(std::move(value));
    } else if (!parent.has_key) {
      SetKey(mark, parent, std::move(value), merge_key, is_scalar);
    } else if (parent.key_is_merge) {
      parent.has_key = false;
      Merge(mark, parent.value, std::move(value));
    } else {
      parent.has_key = false;
      parent.value[std::move(parent.key)] = std::move(value);
    }
  }

  // sigs.k8s.io/yaml turns scalar keys into JSON's string keys.
  void SetKey(const YAML::Mark& mark, Frame& parent, json key, bool merge_key, bool is_scalar) {
    if (!is_scalar || key.is_structured()) return Fail(mark, "mapping keys must be scalars");
    if (key.is_null()) return Fail(mark, "mapping keys must not be null");
    parent.key = key.is_string() ? std::move(key.get_ref<std::string&>()) : key.dump();
    parent.has_key = true;
    parent.key_is_merge = merge_key;
  }

  // go-yaml v2 applies "<<" in document order: merged keys overwrite earlier ones, and in a
  // list of maps the earlier maps win.
  void Merge(const YAML::Mark& mark, json& target, json source) {
    if (source.is_object()) {
      for (auto& [key, value] : source.items()) target[key] = std::move(value);
      return;
    }
    if (source.is_array()) {
      for (auto it = source.rbegin(); it != source.rend(); ++it) {
        if (!it->is_object()) return Fail(mark, "merge key << takes a map or a list of maps");
        for (auto& [key, value] : it->items()) target[key] = std::move(value);
      }
      return;
    }
    Fail(mark, "merge key << takes a map or a list of maps");
  }

  void Fail(const YAML::Mark& mark, const std::string& message) {
    failed_ = true;
    error_ = absl::StrCat("line ", first_line_ + mark.line + 1, ", column ", mark.column + 1, ": ",
                          message);
  }

  int first_line_;
  std::vector<Frame> stack_;
  json root_;
  std::map<YAML::anchor_t, std::pair<json, size_t>> anchors_;
  size_t alias_bytes_ = 0;
  bool failed_ = false;
  std::string error_;
};

}  // namespace

std::vector<YamlDocument> SplitYamlDocuments(std::string_view stream) {
  if (stream.starts_with("\xEF\xBB\xBF")) stream.remove_prefix(3);
  std::vector<YamlDocument> documents;
  size_t start = 0;
  int start_line = 0;
  bool has_marker = false;
  bool has_content = false;
  bool has_directive = false;
  auto flush = [&](size_t end) {
    if (has_marker || has_content) {
      documents.push_back(YamlDocument{stream.substr(start, end - start), start_line});
    }
  };
  size_t pos = 0;
  int line = 0;
  while (pos < stream.size()) {
    size_t eol = stream.find('\n', pos);
    size_t next = eol == std::string_view::npos ? stream.size() : eol + 1;
    std::string_view text = stream.substr(pos, next - pos);
    if (IsMarker(text, "---")) {
      // Directives before the marker belong to this document.
      if (!(has_directive && !has_content && !has_marker)) {
        flush(pos);
        start = pos;
        start_line = line;
      }
      has_marker = true;
      has_content = false;
      has_directive = false;
    } else if (IsMarker(text, "...")) {
      flush(pos);
      start = next;
      start_line = line + 1;
      has_marker = has_content = has_directive = false;
    } else if (!has_marker && !has_content && text.starts_with('%')) {
      has_directive = true;
    } else if (!IsBlankOrComment(text)) {
      has_content = true;
    }
    pos = next;
    ++line;
  }
  flush(stream.size());
  return documents;
}

absl::StatusOr<json> YamlToJson(const YamlDocument& document) {
  ViewStreamBuf buffer(document.text);
  std::istream input(&buffer);
  JsonBuilder builder(document.first_line);
  try {
    YAML::Parser parser(input);
    if (!parser.HandleNextDocument(builder)) return json(nullptr);
    // The split leaves one document per piece; anything more is a marker we did not see.
    JsonBuilder rest(document.first_line);
    if (parser.HandleNextDocument(rest)) {
      absl::StatusOr<json> extra = std::move(rest).Result();
      if (!extra.ok() || !extra->is_null()) {
        return absl::InvalidArgumentError("more than one document; separate them with \"---\"");
      }
    }
  } catch (const YAML::Exception& e) {
    // Our own error (such as the depth limit) came first; yaml-cpp only stumbled on later.
    if (builder.failed()) return std::move(builder).Result().status();
    if (dynamic_cast<const YAML::DeepRecursion*>(&e) != nullptr) {
      return absl::InvalidArgumentError(absl::StrCat(
          "line ", document.first_line + e.mark.line + 1, ", column ", e.mark.column + 1,
          ": document is nested deeper than ", kMaxNestingDepth, " levels"));
    }
    if (e.mark.is_null()) return absl::InvalidArgumentError(absl::StrCat("invalid YAML: ", e.msg));
    return absl::InvalidArgumentError(absl::StrCat("invalid YAML at line ",
                                                   document.first_line + e.mark.line + 1,
                                                   ", column ", e.mark.column + 1, ": ", e.msg));
  } catch (const std::exception& e) {
    return absl::InvalidArgumentError(absl::StrCat("invalid YAML: ", e.what()));
  }
  return std::move(builder).Result();
}

}  // namespace contour::k8s
