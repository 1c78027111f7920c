#include "cc/platform/win/wide_win.h"

#include <windows.h>

#include <string>

namespace ipckit {
namespace platform {
namespace win {

std::wstring Widen(absl::string_view utf8) {
  if (utf8.empty()) return std::wstring();
  const int n = ::MultiByteToWideChar(CP_UTF8, 0, utf8.data(), static_cast<int>(utf8.size()), nullptr, 0);
  std::wstring out(static_cast<size_t>(n), L'\0');
  ::MultiByteToWideChar(CP_UTF8, 0, utf8.data(), static_cast<int>(utf8.size()), &out[0], n);
  return out;
}

}  // namespace win
}  // namespace platform
}  // namespace ipckit
