#include "cc/platform/win/test_util_win.h"

#include <windows.h>

#include <atomic>
#include <string>

#include "absl/strings/str_cat.h"
#include "cc/base/error.h"
#include "cc/platform/win/error_win.h"

namespace ipckit {
namespace platform {
namespace win {

std::string UniqueTestName(absl::string_view what) {
  static std::atomic<int> counter{0};
  return absl::StrCat("ipckit-test-", what, "-", ::GetCurrentProcessId(), "-", counter++);
}

absl::StatusOr<UniqueHandle> StartProcess(const std::wstring& command_line, bool inherit) {
  // Wine 8 now and then fails a CreateProcess with ERROR_INTERNAL_ERROR when
  // several processes start at once; that error says nothing about the test,
  // so it is tried again (a few times, never for any other error).
  DWORD err = 0;
  for (int attempt = 0; attempt < 5; ++attempt) {
    std::wstring mutable_line = command_line;  // CreateProcessW may write to it
    STARTUPINFOW si{};
    si.cb = sizeof(si);
    PROCESS_INFORMATION pi{};
    if (::CreateProcessW(nullptr, &mutable_line[0], nullptr, nullptr, inherit ? TRUE : FALSE, CREATE_NO_WINDOW,
                         nullptr, nullptr, &si, &pi)) {
      ::CloseHandle(pi.hThread);
      return UniqueHandle(pi.hProcess);
    }
    err = ::GetLastError();
    if (err != ERROR_INTERNAL_ERROR) break;
  }
  return WindowsError(err, "CreateProcess");
}

absl::StatusOr<uint32_t> WaitForExitCode(HANDLE process, absl::Duration timeout) {
  const DWORD wait = ::WaitForSingleObject(process, static_cast<DWORD>(absl::ToInt64Milliseconds(timeout)));
  if (wait == WAIT_TIMEOUT) return TimeoutError("waiting for a child process to exit");
  if (wait != WAIT_OBJECT_0) return WindowsError(::GetLastError(), "WaitForSingleObject");
  DWORD code = 0;
  if (!::GetExitCodeProcess(process, &code)) return WindowsError(::GetLastError(), "GetExitCodeProcess");
  return static_cast<uint32_t>(code);
}

}  // namespace win
}  // namespace platform
}  // namespace ipckit
