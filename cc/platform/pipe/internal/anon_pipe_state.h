// What a platform::AnonPipeEnd holds on each OS. Private to cc/platform/pipe.
//
//   int fd = end_state.fd.get();            // POSIX
//   HANDLE h = end_state.end.handle();      // Windows
#ifndef IPCKIT_CC_PLATFORM_PIPE_INTERNAL_ANON_PIPE_STATE_H_
#define IPCKIT_CC_PLATFORM_PIPE_INTERNAL_ANON_PIPE_STATE_H_

#include "cc/platform/pipe/anon_pipe.h"

#ifdef _WIN32
#include "cc/platform/win/pipe_win.h"
#else
#include "cc/platform/unique_fd.h"
#endif

namespace ipckit {
namespace platform {

#ifdef _WIN32
// An overlapped pipe handle with its I/O events.
struct AnonPipeEnd::State {
  win::PipeEnd end;
};
#else
struct AnonPipeEnd::State {
  UniqueFd fd;
};
#endif

}  // namespace platform
}  // namespace ipckit

#endif  // IPCKIT_CC_PLATFORM_PIPE_INTERNAL_ANON_PIPE_STATE_H_
