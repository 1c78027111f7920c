#include "cc/json/writer.h"

#include <cmath>
#include <cstdint>
#include <cstring>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "cc/base/error.h"
#include "cc/json/internal/scan.h"

namespace ipckit {
namespace json {
namespace {

// What AppendQuoted does with each byte value.
enum ByteClass : unsigned char {
  kPlain = 0,     // copied as is
  kEscape = 1,    // '"', '\\' or a control character below 0x20
  kNonAscii = 2,  // first byte of a multi-byte UTF-8 sequence (to validate)
};

struct ByteTable {
  unsigned char cls[256];
  constexpr ByteTable() : cls() {
    for (int c = 0; c < 256; ++c) {
      cls[c] = c < 0x20 || c == '"' || c == '\\' ? kEscape : c >= 0x80 ? kNonAscii : kPlain;
    }
  }
};
constexpr ByteTable kByteTable;

// Length of the well-formed UTF-8 sequence at p (RFC 3629, table 3-7 of the
// Unicode standard: no overlong forms, no surrogates, nothing above
// U+10FFFF), or 0 if there is none.
size_t Utf8SequenceLength(const unsigned char* p, const unsigned char* end) {
  const unsigned char b0 = p[0];
  auto in = [&](size_t i, unsigned char lo, unsigned char hi) {
    return p + i < end && p[i] >= lo && p[i] <= hi;
  };
  if (b0 >= 0xC2 && b0 <= 0xDF) return in(1, 0x80, 0xBF) ? 2 : 0;
  if (b0 == 0xE0) return in(1, 0xA0, 0xBF) && in(2, 0x80, 0xBF) ? 3 : 0;
  if ((b0 >= 0xE1 && b0 <= 0xEC) || b0 == 0xEE || b0 == 0xEF) {
    return in(1, 0x80, 0xBF) && in(2, 0x80, 0xBF) ? 3 : 0;
  }
  if (b0 == 0xED) return in(1, 0x80, 0x9F) && in(2, 0x80, 0xBF) ? 3 : 0;
  if (b0 == 0xF0) return in(1, 0x90, 0xBF) && in(2, 0x80, 0xBF) && in(3, 0x80, 0xBF) ? 4 : 0;
  if (b0 >= 0xF1 && b0 <= 0xF3) {
    return in(1, 0x80, 0xBF) && in(2, 0x80, 0xBF) && in(3, 0x80, 0xBF) ? 4 : 0;
  }
  if (b0 == 0xF4) return in(1, 0x80, 0x8F) && in(2, 0x80, 0xBF) && in(3, 0x80, 0xBF) ? 4 : 0;
  return 0;
}

// memcpy, without a library call for the short strings (keys, words) that
// are most of what is written: two overlapping loads and stores.
inline void CopyBytes(char* dst, const char* src, size_t n) {
  if (n >= 8 && n <= 16) {
    uint64_t head, tail;
    std::memcpy(&head, src, 8);
    std::memcpy(&tail, src + n - 8, 8);
    std::memcpy(dst, &head, 8);
    std::memcpy(dst + n - 8, &tail, 8);
  } else if (n >= 4 && n < 8) {
    uint32_t head, tail;
    std::memcpy(&head, src, 4);
    std::memcpy(&tail, src + n - 4, 4);
    std::memcpy(dst, &head, 4);
    std::memcpy(dst + n - 4, &tail, 4);
  } else if (n > 0 && n < 4) {
    dst[0] = src[0];
    dst[n / 2] = src[n / 2];
    dst[n - 1] = src[n - 1];
  } else if (n != 0) {
    std::memcpy(dst, src, n);
  }
}

void AppendEscape(OutputBuffer& out, unsigned char c) {
  static constexpr char kHex[] = "0123456789abcdef";
  char short_form = 0;
  switch (c) {
    case '"': short_form = '"'; break;
    case '\\': short_form = '\\'; break;
    case '\b': short_form = 'b'; break;
    case '\f': short_form = 'f'; break;
    case '\n': short_form = 'n'; break;
    case '\r': short_form = 'r'; break;
    case '\t': short_form = 't'; break;
    default: break;
  }
  if (short_form != 0) {
    char* dst = out.Push(2);
    dst[0] = '\\';
    dst[1] = short_form;
    return;
  }
  char* dst = out.Push(6);
  std::memcpy(dst, "\\u00", 4);
  dst[4] = kHex[c >> 4];
  dst[5] = kHex[c & 0xF];
}

}  // namespace

bool AppendQuoted(OutputBuffer& out, absl::string_view s, size_t* bad_offset) {
  const auto* const begin = reinterpret_cast<const unsigned char*>(s.data());
  const auto* const end = begin + s.size();
  const unsigned char* p = begin;
  // Most strings need no escape and are ASCII: find out first, then copy
  // them with their quotes in one go.
  while (end - p >= 8 && !internal::WordNeedsLook(p)) p += 8;
  while (p < end && kByteTable.cls[*p] == kPlain) ++p;
  if (p == end) {
    char* dst = out.Push(s.size() + 2);
    dst[0] = '"';
    CopyBytes(dst + 1, s.data(), s.size());
    dst[s.size() + 1] = '"';
    return true;
  }
  out.Put('"');
  if (p > begin) std::memcpy(out.Push(p - begin), begin, p - begin);
  while (p < end) {
    // Copy the longest run that needs no escaping in one go, skipping plain
    // ASCII eight bytes at a time.
    const unsigned char* run = p;
    while (end - p >= 8 && !internal::WordNeedsLook(p)) p += 8;
    while (p < end) {
      const unsigned char cls = kByteTable.cls[*p];
      if (cls == kPlain) {
        ++p;
      } else if (cls == kNonAscii) {
        const size_t n = Utf8SequenceLength(p, end);
        if (n == 0) {
          *bad_offset = static_cast<size_t>(p - begin);
          return false;
        }
        p += n;
      } else {
        break;
      }
    }
    if (p > run) std::memcpy(out.Push(p - run), run, p - run);
    if (p < end) AppendEscape(out, *p++);
  }
  out.Put('"');
  return true;
}

namespace writer_internal {

absl::Status BadUtf8Error(bool is_key, absl::string_view s, size_t bad_offset) {
  return InvalidArgumentError(absl::StrFormat(
      "%s of %d bytes is not valid UTF-8: bad byte 0x%02x at offset %d",
      is_key ? "object key" : "string", s.size(),
      static_cast<unsigned char>(s[bad_offset]), bad_offset));
}

absl::Status NonFiniteError(double d) {
  const char* name = std::isnan(d) ? "NaN" : d > 0 ? "Infinity" : "-Infinity";
  return InvalidArgumentError(absl::StrCat(name, " is not valid JSON"));
}

absl::Status TooDeepError() {
  return TooLargeError(
      absl::StrCat("JSON nesting depth exceeds the limit ", kMaxDepth));
}

}  // namespace writer_internal
}  // namespace json
}  // namespace ipckit
