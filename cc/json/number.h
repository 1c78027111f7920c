// JSON number text in both directions, by the rules of spec/json.md.
//
// FormatDouble fixes the exact text of a double (shortest round-trip digits in
// RapidJSON's layout), so every binding writes numbers byte for byte alike.
// ParseNumber decides what a number token means: integer or double.
//
//   char buf[ipckit::json::kDoubleTextMax];
//   size_t n = ipckit::json::FormatDouble(0.1, buf);       // "0.1", n == 3
//   auto v = ipckit::json::ParseNumber("-0");              // kDouble, -0.0
#ifndef IPCKIT_CC_JSON_NUMBER_H_
#define IPCKIT_CC_JSON_NUMBER_H_

#include <cstddef>
#include <cstdint>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace ipckit {
namespace json {

// Enough room for the longest text FormatDouble writes (25 bytes).
inline constexpr size_t kDoubleTextMax = 32;

// The layout switches to exponent form outside these decimal exponents: a
// value v with 10^(kk-1) <= |v| < 10^kk is written in plain decimal iff
// kExponentFormBelow < kk <= kPlainDecimalUpTo (RapidJSON's dtoa layout).
inline constexpr int kPlainDecimalUpTo = 21;
inline constexpr int kExponentFormBelow = -6;

// Writes the JSON text of `d` into `buf` and returns its length (no NUL is
// written). Returns 0 if `d` is NaN or infinite, which JSON cannot express.
// Examples: 1.0 -> "1.0", 0.1 -> "0.1", 1e21 -> "1e21", 1e-7 -> "1e-7",
// -0.0 -> "-0.0", 5e-324 -> "5e-324", 123456.789 -> "123456.789".
size_t FormatDouble(double d, char (&buf)[kDoubleTextMax]);

// The value of a JSON number token.
struct Number {
  enum class Kind { kInt64, kUint64, kDouble };
  Kind kind = Kind::kUint64;
  int64_t i64 = 0;   // set when kind == kInt64 (always negative)
  uint64_t u64 = 0;  // set when kind == kUint64
  double f64 = 0;    // set when kind == kDouble
};

// Converts one RFC 8259 number token (the whole of `token`).
//  - no fraction and no exponent, and the value fits: a negative value is
//    kInt64, a non-negative one kUint64; "-0" is the double -0.0;
//  - otherwise a double, correctly rounded (ties to even); values too small
//    for a double become +/-0.0.
// Errors: invalid_argument if `token` is not a number token, or if the
// rounded magnitude exceeds the largest finite double ("1e400").
absl::StatusOr<Number> ParseNumber(absl::string_view token);

// Length of the longest prefix of `text` that is an RFC 8259 number token, or
// 0 if none is ("-x", ".5"). Used to find a token's end inside JSON text.
size_t NumberTokenLength(absl::string_view text);

}  // namespace json
}  // namespace ipckit

#endif  // IPCKIT_CC_JSON_NUMBER_H_
