// Helpers for the Windows tests under cc/platform only: names no other test
// uses, and child processes with a bounded wait for their exit.
//
//   const std::string name = win::UniqueTestName("pipe");
//   IPCKIT_ASSIGN_OR_RETURN(UniqueHandle child, win::StartProcess(L"cc\\platform\\win\\peer.exe " + ...));
//   IPCKIT_ASSIGN_OR_RETURN(uint32_t code, win::WaitForExitCode(child.get(), absl::Seconds(30)));
#ifndef IPCKIT_CC_PLATFORM_WIN_TEST_UTIL_WIN_H_
#define IPCKIT_CC_PLATFORM_WIN_TEST_UTIL_WIN_H_

#include <cstdint>
#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "cc/platform/win/unique_handle_win.h"

namespace ipckit {
namespace platform {
namespace win {

// "ipckit-test-{what}-{pid}-{n}", n counting up within the process.
std::string UniqueTestName(absl::string_view what);

// CreateProcess of `command_line` (program and arguments, as cmd.exe would
// take them); the process handle. Relative program paths are relative to the
// test's working directory, its runfiles root. With `inherit`, the child
// inherits this process's inheritable handles.
absl::StatusOr<UniqueHandle> StartProcess(const std::wstring& command_line, bool inherit = false);

// The exit code of `process` once it exits; timeout after `timeout`.
absl::StatusOr<uint32_t> WaitForExitCode(HANDLE process, absl::Duration timeout);

}  // namespace win
}  // namespace platform
}  // namespace ipckit

#endif  // IPCKIT_CC_PLATFORM_WIN_TEST_UTIL_WIN_H_
