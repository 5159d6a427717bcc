#include "k8s/base64.h"

#include <array>
#include <cstdint>

namespace contour::k8s {
namespace {

constexpr uint8_t kInvalid = 0xff;
constexpr uint8_t kSkip = 0xfe;  // '\r' and '\n'
constexpr uint8_t kPad = 0xfd;

constexpr std::array<uint8_t, 256> MakeTable() {
  std::array<uint8_t, 256> table{};
  for (auto& entry : table) entry = kInvalid;
  constexpr std::string_view kAlphabet =
      "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  for (size_t i = 0; i < kAlphabet.size(); ++i) {
    table[static_cast<uint8_t>(kAlphabet[i])] = static_cast<uint8_t>(i);
  }
  table['\r'] = kSkip;
  table['\n'] = kSkip;
  table['='] = kPad;
  return table;
}

constexpr std::array<uint8_t, 256> kTable = MakeTable();

}  // namespace

std::optional<std::string> DecodeStdBase64(std::string_view text) {
  std::string out;
  out.reserve(text.size() / 4 * 3);
  uint32_t quantum = 0;
  int sextets = 0;  // sextets in `quantum`
  int padding = 0;  // '=' seen; only more '=' (and skipped bytes) may follow
  for (char c : text) {
    uint8_t value = kTable[static_cast<uint8_t>(c)];
    if (value == kSkip) continue;
    if (value == kInvalid) return std::nullopt;
    if (value == kPad) {
      // "xx==" or "xxx=" only.
      if (sextets + padding < 2) return std::nullopt;
      ++padding;
      if (sextets + padding > 4) return std::nullopt;
      continue;
    }
    if (padding > 0) return std::nullopt;
    quantum = (quantum << 6) | value;
    if (++sextets == 4) {
      out.push_back(static_cast<char>(quantum >> 16));
      out.push_back(static_cast<char>(quantum >> 8));
      out.push_back(static_cast<char>(quantum));
      quantum = 0;
      sextets = 0;
    }
  }
  if (padding == 0) return sextets == 0 ? std::optional<std::string>(std::move(out)) : std::nullopt;
  if (sextets + padding != 4) return std::nullopt;
  if (sextets == 2) {
    out.push_back(static_cast<char>(quantum >> 4));
  } else {  // three sextets
    out.push_back(static_cast<char>(quantum >> 10));
    out.push_back(static_cast<char>(quantum >> 2));
  }
  return out;
}

}  // namespace contour::k8s
