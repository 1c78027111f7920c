// Starting a process on Windows, with the one retry Wine needs: the shared
// step under the tests' StartProcess (test_util_win.h) and SpawnChild
// (cc/platform/io/child_process.h).
//
//   IPCKIT_ASSIGN_OR_RETURN(win::StartedProcess p, win::CreateProcessRetrying(L"peer.exe jobs", /*inherit=*/true));
//   ::WaitForSingleObject(p.process.get(), INFINITE);
#ifndef IPCKIT_CC_PLATFORM_WIN_CREATE_PROCESS_WIN_H_
#define IPCKIT_CC_PLATFORM_WIN_CREATE_PROCESS_WIN_H_

#include <cstdint>
#include <string>

#include "absl/status/statusor.h"
#include "cc/platform/win/unique_handle_win.h"

namespace ipckit {
namespace platform {
namespace win {

struct StartedProcess {
  UniqueHandle process;
  uint32_t pid = 0;
};

// CreateProcessW of `command_line` (program and arguments, quoted as
// CommandLineToArgvW reads them), without a console window. With `inherit`,
// the child inherits this process's inheritable handles. Wine 8 now and then
// fails a CreateProcess with ERROR_INTERNAL_ERROR when several processes
// start at once; that error says nothing about the program, so it is tried
// again (a few times, never for any other error).
absl::StatusOr<StartedProcess> CreateProcessRetrying(const std::wstring& command_line,
                                                     bool inherit);

}  // namespace win
}  // namespace platform
}  // namespace ipckit

#endif  // IPCKIT_CC_PLATFORM_WIN_CREATE_PROCESS_WIN_H_
