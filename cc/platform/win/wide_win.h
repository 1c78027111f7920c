// UTF-8 to UTF-16 for the W functions of the Win32 API, which every Windows
// implementation calls (names may hold any Unicode character).
//
//   const std::wstring path = platform::win::Widen("jobs");
//   ::CreateFileMappingW(..., path.c_str());
#ifndef IPCKIT_CC_PLATFORM_WIN_WIDE_WIN_H_
#define IPCKIT_CC_PLATFORM_WIN_WIDE_WIN_H_

#include <string>

#include "absl/strings/string_view.h"

namespace ipckit {
namespace platform {
namespace win {

// `utf8` as UTF-16; invalid sequences become U+FFFD.
std::wstring Widen(absl::string_view utf8);

}  // namespace win
}  // namespace platform
}  // namespace ipckit

#endif  // IPCKIT_CC_PLATFORM_WIN_WIDE_WIN_H_
