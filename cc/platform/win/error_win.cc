#include "cc/platform/win/error_win.h"

#include <windows.h>

#include <string>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "cc/base/error.h"

namespace ipckit {
namespace platform {
namespace {

std::string SystemMessage(DWORD code) {
  char buf[512];
  const DWORD n = ::FormatMessageA(FORMAT_MESSAGE_FROM_SYSTEM | FORMAT_MESSAGE_IGNORE_INSERTS, nullptr,
                                   code, 0, buf, sizeof(buf), nullptr);
  std::string text(buf, n);
  absl::StripTrailingAsciiWhitespace(&text);
  if (text.empty()) text = "system error";
  return absl::StrCat(text, " (Win32 error ", code, ")");
}

}  // namespace

absl::Status WindowsError(uint32_t code, absl::string_view context) {
  const std::string message = absl::StrCat(context, ": ", SystemMessage(code));
  switch (code) {
    case ERROR_FILE_NOT_FOUND:
    case ERROR_PATH_NOT_FOUND:
    case ERROR_INVALID_NAME:  // a process id that names no process
      return NotFoundError(message);
    case ERROR_ALREADY_EXISTS:
    case ERROR_FILE_EXISTS:
    case ERROR_PIPE_BUSY:
    case ERROR_SHARING_VIOLATION:
    case ERROR_LOCK_VIOLATION:
    case WSAEADDRINUSE:
      return InUseError(message);
    case ERROR_ACCESS_DENIED:
    case WSAEACCES:  // also: a port another socket holds with SO_EXCLUSIVEADDRUSE
      return MakeError(absl::StatusCode::kPermissionDenied, kErrPermissionDenied, message);
    case ERROR_BROKEN_PIPE:
    case ERROR_NO_DATA:
    case ERROR_PIPE_NOT_CONNECTED:
    case WSAECONNREFUSED:
    case WSAECONNRESET:
    case WSAECONNABORTED:
    case WSAESHUTDOWN:
      return PeerClosedError(message);
    case WAIT_TIMEOUT:
    case ERROR_SEM_TIMEOUT:
    case WSAETIMEDOUT:
      return TimeoutError(message);
    case ERROR_INVALID_PARAMETER:
      return InvalidArgumentError(message);
    default:
      return MakeError(absl::StatusCode::kInternal, kErrIo, message);
  }
}

}  // namespace platform
}  // namespace ipckit
