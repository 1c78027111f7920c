// What a platform::ShmObject holds on each OS. Private to cc/platform/shm:
// cc/shm and cc/shm_msg only see the opaque ShmObject.
//
//   const UniqueFd& fd = object.state().fd;                 // POSIX
//   HANDLE mapping = object.state().file.handle();          // Windows
#ifndef IPCKIT_CC_PLATFORM_SHM_INTERNAL_SHM_OBJECT_STATE_H_
#define IPCKIT_CC_PLATFORM_SHM_INTERNAL_SHM_OBJECT_STATE_H_

#include <cstdint>
#include <string>

#ifdef _WIN32
#include "cc/platform/win/shm_win.h"
#include "cc/platform/win/unique_handle_win.h"
#else
#include "cc/platform/unique_fd.h"
#endif

namespace ipckit {
namespace platform {
namespace internal {

#ifdef _WIN32
// The file mapping (with one whole view, which gives the size) and the
// creation lock: a named mutex, opened on first use.
struct ShmObjectState {
  win::FileMapping file;
  uint64_t size = 0;  // the creator's exact size; an opener's whole pages
  std::wstring lock_name;
  UniqueHandle lock;
  bool locked = false;
  ~ShmObjectState();
};
#else
struct ShmObjectState {
  UniqueFd fd;
};
#endif

}  // namespace internal
}  // namespace platform
}  // namespace ipckit

#endif  // IPCKIT_CC_PLATFORM_SHM_INTERNAL_SHM_OBJECT_STATE_H_
