// anon_pipe.h on POSIX: pipe(2) descriptors over fd_io.
#include "cc/platform/pipe/anon_pipe.h"

#include <fcntl.h>
#include <signal.h>

#include <cerrno>
#include <memory>
#include <utility>

#include "absl/strings/str_cat.h"
#include "cc/base/error.h"
#include "cc/platform/io/fd_io.h"
#include "cc/platform/pipe/internal/anon_pipe_state.h"
#include "cc/platform/unique_fd.h"

namespace ipckit {
namespace platform {

namespace {

AnonPipeEnd Wrap(UniqueFd fd) {
  auto state = std::make_unique<AnonPipeEnd::State>();
  state->fd = std::move(fd);
  return AnonPipeEnd(std::move(state));
}

}  // namespace

int AnonPipeEnd::get() const { return valid() ? state_->fd.get() : -1; }

int AnonPipeEnd::release() {
  if (!valid()) return -1;
  const int fd = state_->fd.release();
  state_.reset();
  return fd;
}

absl::StatusOr<size_t> AnonPipeEnd::ReadSome(absl::Span<char> buf, const Deadline& deadline,
                                             absl::string_view what) {
  return fd_io::ReadSome(get(), buf, deadline, what);
}

absl::Status AnonPipeEnd::ReadExact(absl::Span<char> buf, const Deadline& deadline,
                                    absl::string_view what) {
  return fd_io::ReadExact(get(), buf, deadline, what);
}

absl::StatusOr<size_t> AnonPipeEnd::WriteSome(absl::string_view data, const Deadline& deadline,
                                              absl::string_view what) {
  return fd_io::WriteSome(get(), fd_io::FdKind::kPipe, data, deadline, what);
}

absl::Status AnonPipeEnd::WriteAll(absl::string_view data, const Deadline& deadline,
                                   absl::string_view what) {
  return fd_io::WriteAll(get(), fd_io::FdKind::kPipe, data, deadline, what);
}

absl::StatusOr<AnonPipeEnds> MakeAnonPipe() {
  absl::StatusOr<fd_io::PipeFds> fds = fd_io::MakePipe();
  if (!fds.ok()) return fds.status();
  return AnonPipeEnds{Wrap(std::move(fds->reader)), Wrap(std::move(fds->writer))};
}

absl::Status ValidateAnonPipeEnd(int number, bool read) {
  absl::StatusOr<fd_io::AccessMode> mode = fd_io::AccessModeOf(number);
  if (!mode.ok()) return mode.status();
  if (read ? !mode->read : !mode->write) {
    return InvalidArgumentError(absl::StrCat("fd ", number, " passed as the ",
                                             read ? "read" : "write", " end is not open for ",
                                             read ? "reading" : "writing"));
  }
  return absl::OkStatus();
}

absl::StatusOr<AnonPipeEnd> AdoptAnonPipeEnd(int number) {
  absl::Status s = fd_io::SetCloseOnExec(number, true);
  if (s.ok()) s = fd_io::SetNonBlocking(number, true);
  if (!s.ok()) return s;
  return Wrap(UniqueFd(number));
}

absl::Status SetAnonPipeInheritable(int number, bool inheritable) {
  return fd_io::SetCloseOnExec(number, !inheritable);
}

absl::StatusOr<bool> IsAnonPipeInheritable(int number) {
  const int flags = ::fcntl(number, F_GETFD);
  if (flags < 0) return InvalidArgumentError(absl::StrCat("fd ", number, " is not open"));
  return (flags & FD_CLOEXEC) == 0;
}

bool BrokenPipeSignalPending() {
  sigset_t pending;
  sigemptyset(&pending);
  sigpending(&pending);
  return sigismember(&pending, SIGPIPE) == 1;
}

}  // namespace platform
}  // namespace ipckit
