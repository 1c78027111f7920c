// mapping.h on Windows: views of a file mapping.
#include <windows.h>

#include "absl/strings/str_cat.h"
#include "cc/base/error.h"
#include "cc/platform/shm/internal/shm_object_state.h"
#include "cc/platform/shm/mapping.h"
#include "cc/platform/win/error_win.h"

namespace ipckit {
namespace platform {

absl::StatusOr<Mapping> Mapping::Map(const ShmObject& object, size_t length, ShmAccess access) {
  if (length == 0) return InvalidArgumentError("cannot map 0 bytes");
  const DWORD rights = access == ShmAccess::kReadWrite ? FILE_MAP_READ | FILE_MAP_WRITE
                                                       : FILE_MAP_READ;
  void* view = ::MapViewOfFile(object.state().file.handle(), rights, 0, 0, length);
  if (view == nullptr) {
    return WindowsError(::GetLastError(), absl::StrCat("MapViewOfFile(", length, " bytes)"));
  }
  HANDLE holder = nullptr;
  if (!::DuplicateHandle(::GetCurrentProcess(), object.state().file.handle(),
                         ::GetCurrentProcess(), &holder, 0, FALSE, DUPLICATE_SAME_ACCESS)) {
    const DWORD err = ::GetLastError();
    ::UnmapViewOfFile(view);
    return WindowsError(err, "DuplicateHandle(file mapping)");
  }
  return Mapping(static_cast<char*>(view), length, holder);
}

void Mapping::Reset() {
  if (data_ != nullptr) ::UnmapViewOfFile(data_);
  if (name_holder_ != nullptr) ::CloseHandle(name_holder_);
  data_ = nullptr;
  size_ = 0;
  name_holder_ = nullptr;
}

}  // namespace platform
}  // namespace ipckit
