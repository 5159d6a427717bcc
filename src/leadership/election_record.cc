#include "leadership/election_record.h"

#include <cstdint>
#include <limits>
#include <optional>

#include "absl/status/status.h"
#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"

namespace contour::leadership {
namespace {

// This absl's string_view is not std::string_view.
absl::string_view Sv(std::string_view text) { return {text.data(), text.size()}; }

absl::TimeZone Utc() { return absl::UTCTimeZone(); }

// Go's zero time.Time, which encodes as null.
absl::Time GoZeroTime() { return absl::FromCivil(absl::CivilSecond(1, 1, 1, 0, 0, 0), Utc()); }

std::string FormatWithFraction(absl::Time time, bool micro) {
  const absl::CivilSecond second = absl::ToCivilSecond(time, Utc());
  std::string text = absl::StrFormat("%04d-%02d-%02dT%02d:%02d:%02d", second.year(), second.month(),
                                     second.day(), second.hour(), second.minute(), second.second());
  if (micro) {
    // ToCivilSecond floors, so the remainder is in [0, 1s); Go cuts it, never rounds.
    const int64_t micros = absl::ToInt64Microseconds(time - absl::FromCivil(second, Utc()));
    absl::StrAppendFormat(&text, ".%06d", micros);
  }
  text += 'Z';
  return text;
}

void AppendTime(std::string* out, absl::Time time, bool micro) {
  if (time == kNoTime) {
    *out += "null";
    return;
  }
  *out += '"';
  *out += FormatWithFraction(time, micro);
  *out += '"';
}

// Reads n decimal digits at text[pos].
bool Digits(std::string_view text, size_t pos, size_t n, int* value) {
  if (pos + n > text.size()) return false;
  int v = 0;
  for (size_t i = pos; i < pos + n; ++i) {
    if (!absl::ascii_isdigit(static_cast<unsigned char>(text[i]))) return false;
    v = v * 10 + (text[i] - '0');
  }
  *value = v;
  return true;
}

// encoding/json's field lookup: the exact key, else the first key equal ignoring case.
const nlohmann::json* Field(const nlohmann::json& object, std::string_view key) {
  if (auto it = object.find(std::string(key)); it != object.end()) return &*it;
  for (auto it = object.begin(); it != object.end(); ++it) {
    if (absl::EqualsIgnoreCase(it.key(), Sv(key))) return &*it;
  }
  return nullptr;
}

absl::Status FieldError(std::string_view key, std::string_view want, const nlohmann::json& got) {
  return absl::InvalidArgumentError(absl::StrCat("leader election record: ", Sv(key), " must be ",
                                                 Sv(want), ", not ", got.dump()));
}

absl::Status ReadString(const nlohmann::json& object, std::string_view key, std::string* out) {
  const nlohmann::json* value = Field(object, key);
  if (value == nullptr || value->is_null()) return absl::OkStatus();
  if (!value->is_string()) return FieldError(key, "a string", *value);
  *out = value->get<std::string>();
  return absl::OkStatus();
}

absl::Status ReadInt(const nlohmann::json& object, std::string_view key, int* out) {
  const nlohmann::json* value = Field(object, key);
  if (value == nullptr || value->is_null()) return absl::OkStatus();
  // A fraction or an exponent is a float to nlohmann and an error to encoding/json alike.
  if (value->is_number_integer() && !value->is_number_unsigned()) {
    const int64_t v = value->get<int64_t>();
    if (v >= std::numeric_limits<int>::min() && v <= std::numeric_limits<int>::max()) {
      *out = static_cast<int>(v);
      return absl::OkStatus();
    }
  } else if (value->is_number_unsigned()) {
    const uint64_t v = value->get<uint64_t>();
    if (v <= static_cast<uint64_t>(std::numeric_limits<int>::max())) {
      *out = static_cast<int>(v);
      return absl::OkStatus();
    }
  }
  return FieldError(key, "an integer that fits 32 bits", *value);
}

absl::Status ReadTime(const nlohmann::json& object, std::string_view key, absl::Time* out) {
  const nlohmann::json* value = Field(object, key);
  if (value == nullptr || value->is_null()) return absl::OkStatus();
  if (!value->is_string()) return FieldError(key, "an RFC 3339 time", *value);
  absl::StatusOr<absl::Time> time = ParseRfc3339(value->get<std::string>());
  if (!time.ok()) {
    return absl::InvalidArgumentError(
        absl::StrCat("leader election record: ", Sv(key), ": ", time.status().message()));
  }
  *out = *time;
  return absl::OkStatus();
}

absl::StatusOr<LeaderElectionRecord> DecodeObject(const nlohmann::json& object,
                                                  std::string_view transitions_key) {
  LeaderElectionRecord record;
  if (object.is_null()) return record;
  if (!object.is_object()) {
    return absl::InvalidArgumentError(
        absl::StrCat("leader election record: not a JSON object: ", object.dump()));
  }
  for (absl::Status status :
       {ReadString(object, "holderIdentity", &record.holder_identity),
        ReadInt(object, "leaseDurationSeconds", &record.lease_duration_seconds),
        ReadTime(object, "acquireTime", &record.acquire_time),
        ReadTime(object, "renewTime", &record.renew_time),
        ReadInt(object, transitions_key, &record.leader_transitions)}) {
    if (!status.ok()) return status;
  }
  return record;
}

// Decodes one UTF-8 sequence at text[pos]; the code point and its length, or nullopt when the
// bytes there are not valid UTF-8 (overlong, surrogate, beyond U+10FFFF, cut short).
std::optional<std::pair<char32_t, size_t>> DecodeUtf8(std::string_view text, size_t pos) {
  const auto byte = [&](size_t i) { return static_cast<unsigned char>(text[i]); };
  const unsigned char lead = byte(pos);
  size_t length;
  char32_t code;
  char32_t min;
  if (lead >= 0xC2 && lead <= 0xDF) {
    length = 2, code = lead & 0x1F, min = 0x80;
  } else if (lead >= 0xE0 && lead <= 0xEF) {
    length = 3, code = lead & 0x0F, min = 0x800;
  } else if (lead >= 0xF0 && lead <= 0xF4) {
    length = 4, code = lead & 0x07, min = 0x10000;
  } else {
    return std::nullopt;
  }
  if (pos + length > text.size()) return std::nullopt;
  for (size_t i = 1; i < length; ++i) {
    if ((byte(pos + i) & 0xC0) != 0x80) return std::nullopt;
    code = (code << 6) | (byte(pos + i) & 0x3F);
  }
  if (code < min || code > 0x10FFFF || (code >= 0xD800 && code <= 0xDFFF)) return std::nullopt;
  return std::make_pair(code, length);
}

}  // namespace

std::string FormatRfc3339(absl::Time time) { return FormatWithFraction(time, /*micro=*/false); }

std::string FormatRfc3339Micro(absl::Time time) { return FormatWithFraction(time, /*micro=*/true); }

absl::StatusOr<absl::Time> ParseRfc3339(std::string_view text) {
  const auto bad = [&] {
    return absl::InvalidArgumentError(absl::StrCat("not an RFC 3339 time: \"", Sv(text), "\""));
  };
  int year, month, day, hour, minute, second;
  if (!Digits(text, 0, 4, &year) || text.size() < 20 || text[4] != '-' ||
      !Digits(text, 5, 2, &month) || text[7] != '-' || !Digits(text, 8, 2, &day) ||
      text[10] != 'T' || !Digits(text, 11, 2, &hour) || text[13] != ':' ||
      !Digits(text, 14, 2, &minute) || text[16] != ':' || !Digits(text, 17, 2, &second)) {
    return bad();
  }
  size_t pos = 19;
  absl::Duration fraction;
  if (text[pos] == '.' || text[pos] == ',') {
    ++pos;
    const size_t start = pos;
    int64_t nanos = 0;
    for (; pos < text.size() && absl::ascii_isdigit(static_cast<unsigned char>(text[pos])); ++pos) {
      if (pos - start < 9) nanos = nanos * 10 + (text[pos] - '0');  // beyond 1 ns: cut
    }
    if (pos == start) return bad();
    for (size_t n = pos - start; n < 9; ++n) nanos *= 10;
    fraction = absl::Nanoseconds(nanos);
  }
  absl::Duration offset;
  if (pos < text.size() && text[pos] == 'Z') {
    ++pos;
  } else if (pos < text.size() && (text[pos] == '+' || text[pos] == '-')) {
    int offset_hours, offset_minutes;
    if (!Digits(text, pos + 1, 2, &offset_hours) || pos + 3 >= text.size() ||
        text[pos + 3] != ':' || !Digits(text, pos + 4, 2, &offset_minutes) || offset_hours > 23 ||
        offset_minutes > 59) {
      return bad();
    }
    offset = absl::Hours(offset_hours) + absl::Minutes(offset_minutes);
    if (text[pos] == '-') offset = -offset;
    pos += 6;
  } else {
    return bad();
  }
  if (pos != text.size()) return bad();
  // CivilDay normalizes (February 30th becomes March 2nd): a day that moved did not exist.
  const absl::CivilDay civil_day(year, month, day);
  if (month < 1 || month > 12 || civil_day.month() != month || civil_day.day() != day ||
      hour > 23 || minute > 59 || second > 59) {
    return bad();
  }
  const absl::Time time =
      absl::FromCivil(absl::CivilSecond(year, month, day, hour, minute, second), Utc()) + fraction -
      offset;
  return time == GoZeroTime() ? kNoTime : time;
}

void AppendGoJsonString(std::string* out, std::string_view text) {
  static constexpr char kHex[] = "0123456789abcdef";
  *out += '"';
  for (size_t pos = 0; pos < text.size();) {
    const unsigned char c = static_cast<unsigned char>(text[pos]);
    if (c < 0x80) {
      switch (c) {
        case '"':
        case '\\':
          *out += '\\';
          *out += static_cast<char>(c);
          break;
        case '\b':
          *out += "\\b";
          break;
        case '\f':
          *out += "\\f";
          break;
        case '\n':
          *out += "\\n";
          break;
        case '\r':
          *out += "\\r";
          break;
        case '\t':
          *out += "\\t";
          break;
        default:
          if (c < 0x20 || c == '<' || c == '>' || c == '&') {
            *out += "\\u00";
            *out += kHex[c >> 4];
            *out += kHex[c & 0xF];
          } else {
            *out += static_cast<char>(c);
          }
      }
      ++pos;
      continue;
    }
    std::optional<std::pair<char32_t, size_t>> decoded = DecodeUtf8(text, pos);
    if (!decoded.has_value()) {
      *out += "\\ufffd";
      ++pos;
      continue;
    }
    if (decoded->first == 0x2028 || decoded->first == 0x2029) {
      *out += decoded->first == 0x2028 ? "\\u2028" : "\\u2029";
    } else {
      out->append(text.substr(pos, decoded->second));
    }
    pos += decoded->second;
  }
  *out += '"';
}

std::string EncodeConfigMapRecord(const LeaderElectionRecord& record) {
  std::string out = "{\"holderIdentity\":";
  AppendGoJsonString(&out, record.holder_identity);
  absl::StrAppend(&out, ",\"leaseDurationSeconds\":", record.lease_duration_seconds,
                  ",\"acquireTime\":");
  AppendTime(&out, record.acquire_time, /*micro=*/false);
  out += ",\"renewTime\":";
  AppendTime(&out, record.renew_time, /*micro=*/false);
  absl::StrAppend(&out, ",\"leaderTransitions\":", record.leader_transitions, "}");
  return out;
}

absl::StatusOr<LeaderElectionRecord> DecodeConfigMapRecord(std::string_view text) {
  const nlohmann::json object = nlohmann::json::parse(text, nullptr, /*allow_exceptions=*/false);
  if (object.is_discarded()) {
    return absl::InvalidArgumentError(
        absl::StrCat("leader election record: not JSON: ", Sv(text.substr(0, 200))));
  }
  return DecodeObject(object, "leaderTransitions");
}

std::string EncodeLeaseSpec(const LeaderElectionRecord& record) {
  std::string out = "{\"holderIdentity\":";
  AppendGoJsonString(&out, record.holder_identity);
  absl::StrAppend(&out, ",\"leaseDurationSeconds\":", record.lease_duration_seconds,
                  ",\"acquireTime\":");
  AppendTime(&out, record.acquire_time, /*micro=*/true);
  out += ",\"renewTime\":";
  AppendTime(&out, record.renew_time, /*micro=*/true);
  absl::StrAppend(&out, ",\"leaseTransitions\":", record.leader_transitions, "}");
  return out;
}

std::ostream& operator<<(std::ostream& out, const LeaderElectionRecord& record) {
  return out << EncodeLeaseSpec(record);
}

absl::StatusOr<LeaderElectionRecord> DecodeLeaseSpec(const nlohmann::json& spec) {
  return DecodeObject(spec, "leaseTransitions");
}

}  // namespace contour::leadership
