// An owned POSIX file descriptor, closed when it goes out of scope.
//
//   ipckit::UniqueFd fd(::open(path, O_RDONLY | O_CLOEXEC));
//   if (!fd.valid()) return ipckit::ErrnoError(errno, path);
//   ::read(fd.get(), buf, n);
//
// valid(), get(), release() (gives up ownership without closing) and
// reset(fd = -1) (closes the held descriptor, if any, and takes `fd`) come
// from cc/platform/internal/unique_resource.h. close(2) errors are ignored:
// the descriptor is gone either way and retrying is unsafe.
#ifndef IPCKIT_CC_PLATFORM_UNIQUE_FD_H_
#define IPCKIT_CC_PLATFORM_UNIQUE_FD_H_

#include <unistd.h>

#include "cc/platform/internal/unique_resource.h"

namespace ipckit {
namespace platform {
namespace internal {

struct FdPolicy {
  using Handle = int;
  static constexpr int kNone = -1;
  static bool IsValid(int fd) { return fd >= 0; }
  static void Close(int fd) { ::close(fd); }
};

}  // namespace internal
}  // namespace platform

using UniqueFd = platform::internal::UniqueResource<platform::internal::FdPolicy>;

}  // namespace ipckit

#endif  // IPCKIT_CC_PLATFORM_UNIQUE_FD_H_
