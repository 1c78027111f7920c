// Floating-point std::to_chars / std::from_chars for emscripten 3.1.6's libc++.
//
// That libc++ (LLVM 14) has the integer overloads only; cc/json/number.cc
// uses the double ones. The WASM build force-includes this header (-include)
// into the core's sources; native builds never see it.
//
//   std::to_chars(buf, buf + 32, 0.1, std::chars_format::scientific);  // "1e-01"
//   std::from_chars(text, text + n, d, std::chars_format::general);
//   // both as the standard specifies for shortest round-trip / exact parsing
#ifndef IPCKIT_JS_WASM_CHARCONV_COMPAT_H_
#define IPCKIT_JS_WASM_CHARCONV_COMPAT_H_

#if defined(__EMSCRIPTEN__) && defined(__cplusplus)

#include <charconv>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <system_error>

#include "absl/strings/charconv.h"

#if defined(_LIBCPP_VERSION) && _LIBCPP_VERSION < 15000

namespace std {

// Shortest scientific digits that read back as `value`: the first precision
// whose correctly rounded "%.*e" text round-trips. Only `scientific` is
// provided, the one format the core asks for.
inline to_chars_result to_chars(char* first, char* last, double value, chars_format fmt) {
  char text[40];
  int n = 0;
  for (int precision = 0; precision <= 17; ++precision) {
    n = std::snprintf(text, sizeof(text), "%.*e", precision, value);
    if (fmt != chars_format::scientific || std::strtod(text, nullptr) == value) break;
  }
  if (fmt != chars_format::scientific || n <= 0 || n > last - first) {
    return {last, errc::value_too_large};
  }
  std::memcpy(first, text, static_cast<size_t>(n));
  return {first + n, errc()};
}

// Exact parsing by abseil's from_chars, which follows the standard's rules
// (round to nearest, result_out_of_range for overflow and underflow).
inline from_chars_result from_chars(const char* first, const char* last, double& value,
                                    chars_format fmt = chars_format::general) {
  absl::chars_format absl_fmt = absl::chars_format::general;
  if (fmt == chars_format::scientific) absl_fmt = absl::chars_format::scientific;
  if (fmt == chars_format::fixed) absl_fmt = absl::chars_format::fixed;
  if (fmt == chars_format::hex) absl_fmt = absl::chars_format::hex;
  double parsed = 0;
  absl::from_chars_result r = absl::from_chars(first, last, parsed, absl_fmt);
  // The standard leaves `value` untouched on any error.
  if (r.ec == errc()) value = parsed;
  return {r.ptr, r.ec};
}

}  // namespace std

#endif  // _LIBCPP_VERSION < 15000
#endif  // __EMSCRIPTEN__ && __cplusplus

#endif  // IPCKIT_JS_WASM_CHARCONV_COMPAT_H_
