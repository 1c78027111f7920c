// An owned Win32 HANDLE, closed when it goes out of scope: the Windows
// counterpart of UniqueFd (cc/platform/unique_fd.h).
//
//   platform::UniqueHandle process(::OpenProcess(SYNCHRONIZE, FALSE, pid));
//   if (!process.valid()) return platform::WindowsError(::GetLastError(), "OpenProcess");
//   ::WaitForSingleObject(process.get(), 0);
//
// Both null and INVALID_HANDLE_VALUE count as "no handle" (Win32 functions
// return one or the other on failure); release() leaves null. The owner
// itself is cc/platform/internal/unique_resource.h.
#ifndef IPCKIT_CC_PLATFORM_WIN_UNIQUE_HANDLE_WIN_H_
#define IPCKIT_CC_PLATFORM_WIN_UNIQUE_HANDLE_WIN_H_

#include <windows.h>

#include "cc/platform/internal/unique_resource.h"

namespace ipckit {
namespace platform {
namespace internal {

struct HandlePolicy {
  using Handle = HANDLE;
  static constexpr HANDLE kNone = nullptr;
  static bool IsValid(HANDLE h) { return h != nullptr && h != INVALID_HANDLE_VALUE; }
  static void Close(HANDLE h) { ::CloseHandle(h); }
};

}  // namespace internal

using UniqueHandle = internal::UniqueResource<internal::HandlePolicy>;

}  // namespace platform
}  // namespace ipckit

#endif  // IPCKIT_CC_PLATFORM_WIN_UNIQUE_HANDLE_WIN_H_
