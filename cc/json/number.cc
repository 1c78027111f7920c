#include "cc/json/number.h"

#include <charconv>
#include <cmath>
#include <cstdint>
#include <cstring>
#include <string>
#include <system_error>

#include "absl/strings/str_cat.h"
#include "cc/base/error.h"

namespace ipckit {
namespace json {
namespace {

bool IsDigit(char c) { return c >= '0' && c <= '9'; }

// Token text quoted in error messages, cut so a 10 MB token stays readable.
std::string Excerpt(absl::string_view token) {
  constexpr size_t kMax = 40;
  if (token.size() <= kMax) return std::string(token);
  return absl::StrCat(token.substr(0, kMax), "...");
}

// For a token std::from_chars found out of range: true if its magnitude is
// below the smallest double (it rounds to zero), false if above the largest.
// The decimal exponent of the leading non-zero digit decides: the two cases
// lie more than 600 powers of ten apart.
bool IsTinyMagnitude(absl::string_view token) {
  size_t i = 0;
  if (i < token.size() && token[i] == '-') ++i;
  int64_t lead_exponent = 0;  // decimal exponent of the first non-zero digit
  bool found = false;
  for (; i < token.size() && IsDigit(token[i]); ++i) {
    if (!found && token[i] != '0') {
      found = true;
      lead_exponent = 0;
    } else if (found) {
      ++lead_exponent;
    }
  }
  if (i < token.size() && token[i] == '.') {
    ++i;
    int64_t position = 0;
    for (; i < token.size() && IsDigit(token[i]); ++i) {
      --position;
      if (!found && token[i] != '0') {
        found = true;
        lead_exponent = position;
      }
    }
  }
  if (!found) return true;  // all zeros: never out of range, but tiny if asked
  int64_t exponent = 0;
  bool negative = false;
  if (i < token.size() && (token[i] == 'e' || token[i] == 'E')) {
    ++i;
    if (i < token.size() && (token[i] == '+' || token[i] == '-')) negative = token[i++] == '-';
    for (; i < token.size() && IsDigit(token[i]); ++i) {
      if (exponent < 100000000) exponent = exponent * 10 + (token[i] - '0');
    }
  }
  return lead_exponent + (negative ? -exponent : exponent) < 0;
}

// The shortest digits of a positive `d` that is a short decimal fraction
// (0.5, 3.25, 1234.567: most floats in data), without the general shortest
// search: the first k in 1..17 for which m = round(d * 10^k) satisfies
// m / 10^k == d. That division and reading the text "m e-k" both round the
// same exact rational, so the text reads back as d; and with m < 2^50 the
// rounding interval of d, scaled by 10^k, is narrower than 1, so m is the
// only k-digit candidate and no shorter text exists (a smaller k failed, and
// a non-whole d below 2^50 is no integer's double). Returns false if no such
// k exists; `digits` then holds nothing useful.
bool ShortDecimalDigits(double d, char (&digits)[20], int* length, int* exponent) {
  static constexpr double kPow10[] = {1e0, 1e1, 1e2,  1e3,  1e4,  1e5,  1e6,  1e7,  1e8,
                                      1e9, 1e10, 1e11, 1e12, 1e13, 1e14, 1e15, 1e16, 1e17};
  constexpr double kMaxScaled = 1125899906842624.0;  // 2^50
  for (int k = 1; k < 18; ++k) {
    const double scaled = d * kPow10[k];
    if (scaled >= kMaxScaled) return false;
    const double m = std::nearbyint(scaled);
    if (m == 0 || m / kPow10[k] != d) continue;
    char* end = std::to_chars(digits, digits + sizeof(digits), static_cast<uint64_t>(m)).ptr;
    *length = static_cast<int>(end - digits);
    *exponent = *length - 1 - k;
    return true;
  }
  return false;
}

}  // namespace

size_t FormatDouble(double d, char (&buf)[kDoubleTextMax]) {
  if (!std::isfinite(d)) return 0;
  char* out = buf;
  if (std::signbit(d)) {
    *out++ = '-';
    d = -d;
  }
  if (d == 0) {
    std::memcpy(out, "0.0", 3);
    return static_cast<size_t>(out + 3 - buf);
  }
  // A whole number below 2^53 is its own shortest text: its integer digits
  // (the layout below pads the shortest digits with zeros up to the decimal
  // point), then ".0". The common case in data, without the scientific pass.
  if (d < 9007199254740992.0 && d == static_cast<double>(static_cast<uint64_t>(d))) {
    out = std::to_chars(out, buf + kDoubleTextMax, static_cast<uint64_t>(d)).ptr;
    std::memcpy(out, ".0", 2);
    return static_cast<size_t>(out + 2 - buf);
  }
  char digits[20];
  int length = 0;
  int exponent = 0;  // decimal exponent of the first digit
  if (!ShortDecimalDigits(d, digits, &length, &exponent)) {
    // Shortest digits that read back as `d`, nearest to it on ties: exactly
    // what std::to_chars promises. Scientific form gives "D[.DDD]e[+-]XX".
    char sci[kDoubleTextMax];
    std::to_chars_result r = std::to_chars(sci, sci + sizeof(sci), d, std::chars_format::scientific);
    const char* p = sci;
    for (; p < r.ptr && *p != 'e'; ++p) {
      if (IsDigit(*p)) digits[length++] = *p;
    }
    ++p;  // 'e'
    bool negative_exponent = *p == '-';
    ++p;  // sign
    for (; p < r.ptr; ++p) exponent = exponent * 10 + (*p - '0');
    if (negative_exponent) exponent = -exponent;
  }

  // In RapidJSON's terms: value = digits * 10^k, and 10^(kk-1) <= value < 10^kk.
  const int k = exponent - (length - 1);
  const int kk = exponent + 1;
  auto write_exponent = [&out](int e) {
    if (e < 0) {
      *out++ = '-';
      e = -e;
    }
    char tmp[4];
    int n = 0;
    do {
      tmp[n++] = static_cast<char>('0' + e % 10);
      e /= 10;
    } while (e != 0);
    while (n > 0) *out++ = tmp[--n];
  };
  if (k >= 0 && kk <= kPlainDecimalUpTo) {  // 1234e7 -> 12340000000.0
    std::memcpy(out, digits, length);
    out += length;
    for (int i = length; i < kk; ++i) *out++ = '0';
    *out++ = '.';
    *out++ = '0';
  } else if (kk > 0 && kk <= kPlainDecimalUpTo) {  // 1234e-2 -> 12.34
    std::memcpy(out, digits, kk);
    out += kk;
    *out++ = '.';
    std::memcpy(out, digits + kk, length - kk);
    out += length - kk;
  } else if (kk > kExponentFormBelow && kk <= 0) {  // 1234e-6 -> 0.001234
    *out++ = '0';
    *out++ = '.';
    for (int i = kk; i < 0; ++i) *out++ = '0';
    std::memcpy(out, digits, length);
    out += length;
  } else if (length == 1) {  // 1e30
    *out++ = digits[0];
    *out++ = 'e';
    write_exponent(kk - 1);
  } else {  // 1234e30 -> 1.234e33
    *out++ = digits[0];
    *out++ = '.';
    std::memcpy(out, digits + 1, length - 1);
    out += length - 1;
    *out++ = 'e';
    write_exponent(kk - 1);
  }
  return static_cast<size_t>(out - buf);
}

size_t NumberTokenLength(absl::string_view text) {
  size_t i = 0;
  const size_t n = text.size();
  if (i < n && text[i] == '-') ++i;
  if (i >= n || !IsDigit(text[i])) return 0;
  if (text[i] == '0') {
    ++i;
  } else {
    while (i < n && IsDigit(text[i])) ++i;
  }
  if (i + 1 < n && text[i] == '.' && IsDigit(text[i + 1])) {
    i += 2;
    while (i < n && IsDigit(text[i])) ++i;
  }
  if (i < n && (text[i] == 'e' || text[i] == 'E')) {
    size_t j = i + 1;
    if (j < n && (text[j] == '+' || text[j] == '-')) ++j;
    if (j < n && IsDigit(text[j])) {
      while (j < n && IsDigit(text[j])) ++j;
      i = j;
    }
  }
  return i;
}

absl::StatusOr<Number> ParseNumber(absl::string_view token) {
  if (token.empty() || NumberTokenLength(token) != token.size()) {
    return InvalidArgumentError(
        absl::StrCat("'", Excerpt(token), "' is not a JSON number"));
  }
  const char* first = token.data();
  const char* last = token.data() + token.size();
  const bool negative = token[0] == '-';
  Number number;
  // A plain loop: absl's find_first_of builds a lookup table on every call,
  // which showed in json_loads's profile (bench/json_profile.md).
  bool integral = true;
  for (const char c : token) integral &= c != '.' && c != 'e' && c != 'E';
  if (integral) {
    if (negative) {
      int64_t v = 0;
      std::from_chars_result r = std::from_chars(first, last, v);
      if (r.ec == std::errc() && v != 0) {
        number.kind = Number::Kind::kInt64;
        number.i64 = v;
        return number;
      }
      // "-0" (a negative zero only a double can hold) or below INT64_MIN.
    } else {
      uint64_t v = 0;
      std::from_chars_result r = std::from_chars(first, last, v);
      if (r.ec == std::errc()) {
        number.kind = Number::Kind::kUint64;
        number.u64 = v;
        return number;
      }
      // Above UINT64_MAX: a double, as serde_json and RapidJSON read it.
    }
  }
  number.kind = Number::Kind::kDouble;
  std::from_chars_result r = std::from_chars(first, last, number.f64, std::chars_format::general);
  if (r.ec == std::errc::result_out_of_range) {
    if (!IsTinyMagnitude(token)) {
      return InvalidArgumentError(absl::StrCat("JSON number ", Excerpt(token),
                                               " is too large for a double"));
    }
    number.f64 = negative ? -0.0 : 0.0;
  } else if (r.ec != std::errc() || r.ptr != last) {
    return InvalidArgumentError(
        absl::StrCat("'", Excerpt(token), "' is not a JSON number"));
  }
  return number;
}

}  // namespace json
}  // namespace ipckit
