#include "cc/platform/win/test_util_win.h"

#include <windows.h>

#include <atomic>
#include <string>
#include <utility>

#include "absl/strings/str_cat.h"
#include "cc/base/error.h"
#include "cc/platform/win/create_process_win.h"
#include "cc/platform/win/error_win.h"

namespace ipckit {
namespace platform {
namespace win {

std::string UniqueTestName(absl::string_view what) {
  static std::atomic<int> counter{0};
  return absl::StrCat("ipckit-test-", what, "-", ::GetCurrentProcessId(), "-", counter++);
}

absl::StatusOr<UniqueHandle> StartProcess(const std::wstring& command_line, bool inherit) {
  absl::StatusOr<StartedProcess> started = CreateProcessRetrying(command_line, inherit);
  if (!started.ok()) return started.status();
  return std::move(started->process);
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
