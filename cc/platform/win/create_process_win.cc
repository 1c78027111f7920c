#include "cc/platform/win/create_process_win.h"

#include <windows.h>

#include "cc/platform/win/error_win.h"

namespace ipckit {
namespace platform {
namespace win {

absl::StatusOr<StartedProcess> CreateProcessRetrying(const std::wstring& command_line,
                                                     bool inherit) {
  DWORD err = 0;
  for (int attempt = 0; attempt < 5; ++attempt) {
    std::wstring mutable_line = command_line;  // CreateProcessW may write to it
    STARTUPINFOW si{};
    si.cb = sizeof(si);
    PROCESS_INFORMATION pi{};
    if (::CreateProcessW(nullptr, &mutable_line[0], nullptr, nullptr, inherit ? TRUE : FALSE,
                         CREATE_NO_WINDOW, nullptr, nullptr, &si, &pi)) {
      ::CloseHandle(pi.hThread);
      return StartedProcess{UniqueHandle(pi.hProcess), static_cast<uint32_t>(pi.dwProcessId)};
    }
    err = ::GetLastError();
    if (err != ERROR_INTERNAL_ERROR) break;
  }
  return WindowsError(err, "CreateProcess");
}

}  // namespace win
}  // namespace platform
}  // namespace ipckit
