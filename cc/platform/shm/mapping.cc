#include "cc/platform/shm/mapping.h"

#include <sys/mman.h>

#include <cerrno>

#include "absl/strings/str_cat.h"
#include "cc/base/error.h"
#include "cc/platform/shm/internal/shm_object_state.h"

namespace ipckit {
namespace platform {

absl::StatusOr<Mapping> Mapping::Map(const ShmObject& object, size_t length, ShmAccess access) {
  const int fd = object.state().fd.get();
  if (length == 0) return InvalidArgumentError("cannot map 0 bytes");
  const int prot = PROT_READ | (access == ShmAccess::kReadWrite ? PROT_WRITE : 0);
  void* addr = ::mmap(nullptr, length, prot, MAP_SHARED, fd, 0);
  if (addr == MAP_FAILED) return ErrnoError(errno, absl::StrCat("mmap(", length, " bytes)"));
  return Mapping(static_cast<char*>(addr), length);
}

void Mapping::Reset() {
  if (data_ != nullptr) ::munmap(data_, size_);
  data_ = nullptr;
  size_ = 0;
}

}  // namespace platform
}  // namespace ipckit
