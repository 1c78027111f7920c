// Win32 error codes (GetLastError()) as ipckit errors: the Windows counterpart
// of ErrnoError (cc/base/error.h), with the same error classes.
//
//   HANDLE h = ::CreateFileW(path, ...);
//   if (h == INVALID_HANDLE_VALUE) return platform::WindowsError(::GetLastError(), "open " + name);
//
// ERROR_FILE_NOT_FOUND is not_found, ERROR_ALREADY_EXISTS and ERROR_PIPE_BUSY
// in_use, ERROR_ACCESS_DENIED permission_denied, a broken pipe peer_closed,
// WAIT_TIMEOUT timeout; anything else is io. The message carries the system's
// text for the code and the code itself. Winsock's WSAGetLastError() codes
// share the space: a refused or reset connection is peer_closed, a taken
// port in_use.
#ifndef IPCKIT_CC_PLATFORM_WIN_ERROR_WIN_H_
#define IPCKIT_CC_PLATFORM_WIN_ERROR_WIN_H_

#include <cstdint>

#include "absl/status/status.h"
#include "absl/strings/string_view.h"

namespace ipckit {
namespace platform {

// `code` is a DWORD from GetLastError() (or a WAIT_* result).
absl::Status WindowsError(uint32_t code, absl::string_view context);

}  // namespace platform
}  // namespace ipckit

#endif  // IPCKIT_CC_PLATFORM_WIN_ERROR_WIN_H_
