// Word-at-a-time scanning of JSON string bodies, shared by the writer
// (escaping) and the Python binding's parser (finding a string's end).
//
//   const char* p = begin;
//   while (end - p >= 8 && !ipckit::json::internal::WordNeedsLook(p)) p += 8;
//   // then byte by byte from p
#ifndef IPCKIT_CC_JSON_INTERNAL_SCAN_H_
#define IPCKIT_CC_JSON_INTERNAL_SCAN_H_

#include <cstdint>
#include <cstring>

namespace ipckit {
namespace json {
namespace internal {

// True if any of the 8 bytes at `p` may be one that a JSON string body cannot
// hold as is: '"', '\\', a byte below 0x20, or a non-ASCII byte (>= 0x80).
// False means all 8 are plain printable ASCII. A false positive can only
// occur in a word that also holds a true one, so callers that rescan the
// word byte by byte lose nothing.
inline bool WordNeedsLook(const void* p) {
  uint64_t v;
  std::memcpy(&v, p, sizeof(v));
  constexpr uint64_t kOnes = 0x0101010101010101ull;
  constexpr uint64_t kHigh = 0x8080808080808080ull;
  const uint64_t quote = v ^ (kOnes * '"');
  const uint64_t backslash = v ^ (kOnes * '\\');
  // Zero bytes of quote/backslash, and bytes below 0x20, set their high bit.
  const uint64_t special = ((quote - kOnes) & ~quote) | ((backslash - kOnes) & ~backslash) |
                           (v - kOnes * 0x20);
  return ((special | v) & kHigh) != 0;
}

}  // namespace internal
}  // namespace json
}  // namespace ipckit

#endif  // IPCKIT_CC_JSON_INTERNAL_SCAN_H_
