#include "cc/file_channel/uuid.h"

#include <cstdint>
#include <cstring>

#include "cc/base/error.h"
#include "cc/platform/random/secure_random.h"

namespace ipckit {
namespace {

absl::Status FillRandom(uint8_t* out, size_t n) {
  absl::StatusOr<std::string> bytes = SecureRandomBytes(n);
  if (!bytes.ok()) return bytes.status();
  std::memcpy(out, bytes->data(), n);
  return absl::OkStatus();
}

void AppendHex(const uint8_t* bytes, size_t n, std::string* out) {
  static constexpr char kDigits[] = "0123456789abcdef";
  for (size_t i = 0; i < n; ++i) {
    out->push_back(kDigits[bytes[i] >> 4]);
    out->push_back(kDigits[bytes[i] & 15]);
  }
}

}  // namespace

absl::StatusOr<std::string> NewUuidV4() {
  uint8_t b[16];
  absl::Status s = FillRandom(b, sizeof(b));
  if (!s.ok()) return s;
  b[6] = static_cast<uint8_t>((b[6] & 0x0f) | 0x40);  // version 4
  b[8] = static_cast<uint8_t>((b[8] & 0x3f) | 0x80);  // RFC 4122 variant
  std::string out;
  out.reserve(36);
  AppendHex(b, 4, &out);
  out.push_back('-');
  AppendHex(b + 4, 2, &out);
  out.push_back('-');
  AppendHex(b + 6, 2, &out);
  out.push_back('-');
  AppendHex(b + 8, 2, &out);
  out.push_back('-');
  AppendHex(b + 10, 6, &out);
  return out;
}

absl::StatusOr<std::string> RandomHex(size_t bytes) {
  if (bytes > 128) return InvalidArgumentError("RandomHex: at most 128 bytes");
  uint8_t b[128];
  absl::Status s = FillRandom(b, bytes);
  if (!s.ok()) return s;
  std::string out;
  AppendHex(b, bytes, &out);
  return out;
}

}  // namespace ipckit
