#include "cc/platform/io/fd_io.h"

#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <ctime>

#include "absl/strings/str_cat.h"
#include "absl/types/optional.h"
#include "cc/base/error.h"
#include "cc/platform/internal/io_loops.h"

namespace ipckit {
namespace fd_io {
namespace {

#ifdef MSG_NOSIGNAL
constexpr int kSendFlags = MSG_NOSIGNAL;
#else
constexpr int kSendFlags = 0;  // macOS: sockets get SO_NOSIGPIPE when created.
#endif

// Keeps a write to a pipe whose reader is gone from killing the process.
//
// A library must not change process-wide signal dispositions (the host may
// rely on SIGPIPE), and pipes have no MSG_NOSIGNAL. So SIGPIPE is blocked in
// this thread for the duration of one write call; if the write failed with
// EPIPE, the SIGPIPE it raised is pending for this thread and is consumed
// with a zero-timeout sigtimedwait before the old mask comes back. A SIGPIPE
// that was already pending before the write is left alone. Costs three
// system calls per pipe write call, not per byte.
class ScopedSigpipeBlock {
 public:
  ScopedSigpipeBlock() {
    sigemptyset(&sigpipe_);
    sigaddset(&sigpipe_, SIGPIPE);
    pthread_sigmask(SIG_BLOCK, &sigpipe_, &old_mask_);
    sigset_t pending;
    sigemptyset(&pending);
    if (sigpending(&pending) == 0) was_pending_ = sigismember(&pending, SIGPIPE) == 1;
  }
  ScopedSigpipeBlock(const ScopedSigpipeBlock&) = delete;
  ScopedSigpipeBlock& operator=(const ScopedSigpipeBlock&) = delete;

  void NoteEpipe() { saw_epipe_ = true; }

  ~ScopedSigpipeBlock() {
    if (saw_epipe_ && !was_pending_) {
#ifdef __linux__
      struct timespec zero = {0, 0};
      while (sigtimedwait(&sigpipe_, nullptr, &zero) < 0 && errno == EINTR) {
      }
#else
      int sig;
      sigset_t pending;
      if (sigpending(&pending) == 0 && sigismember(&pending, SIGPIPE) == 1) {
        sigwait(&sigpipe_, &sig);
      }
#endif
    }
    pthread_sigmask(SIG_SETMASK, &old_mask_, nullptr);
  }

 private:
  sigset_t sigpipe_;
  sigset_t old_mask_;
  bool was_pending_ = false;
  bool saw_epipe_ = false;
};

absl::Status PeerGoneOnWrite(absl::string_view what) {
  return PeerClosedError(absl::StrCat(what, ": the other end is closed"));
}

// One writev/sendmsg. Returns bytes written, or -1 with errno set.
ssize_t WriteOnce(int fd, FdKind kind, const iovec* iov, int iovcnt) {
  if (kind == FdKind::kSocket) {
    msghdr msg = {};
    msg.msg_iov = const_cast<iovec*>(iov);
    msg.msg_iovlen = iovcnt;
    return ::sendmsg(fd, &msg, kSendFlags);
  }
  return ::writev(fd, iov, iovcnt);
}

// Drops fully written iovecs from the front and trims a partly written one.
absl::Span<iovec> Advance(absl::Span<iovec> iov, size_t n) {
  while (!iov.empty() && n >= iov.front().iov_len) {
    n -= iov.front().iov_len;
    iov.remove_prefix(1);
  }
  if (n > 0) {
    iov.front().iov_base = static_cast<char*>(iov.front().iov_base) + n;
    iov.front().iov_len -= n;
  }
  return iov;
}

// The loop shared by WriteSome (stop after the first progress) and WriteVAll.
absl::Status WriteLoop(int fd, FdKind kind, absl::Span<iovec> iov, bool stop_after_progress,
                       const Deadline& deadline, absl::string_view what, size_t* written) {
  *written = 0;
  while (!iov.empty() && iov.front().iov_len == 0) iov.remove_prefix(1);
  if (iov.empty()) return absl::OkStatus();
  absl::optional<ScopedSigpipeBlock> sigpipe_block;
  if (kind == FdKind::kPipe) sigpipe_block.emplace();
  for (;;) {
    // IOV_MAX is at least 16 everywhere; ipckit never passes more.
    int iovcnt = static_cast<int>(std::min<size_t>(iov.size(), 16));
    ssize_t n = WriteOnce(fd, kind, iov.data(), iovcnt);
    if (n > 0) {
      *written += static_cast<size_t>(n);
      iov = Advance(iov, static_cast<size_t>(n));
      while (!iov.empty() && iov.front().iov_len == 0) iov.remove_prefix(1);
      if (iov.empty() || stop_after_progress) return absl::OkStatus();
      continue;
    }
    if (n < 0 && errno == EINTR) continue;
    if (n < 0 && (errno == EPIPE || errno == ECONNRESET)) {
      if (sigpipe_block) sigpipe_block->NoteEpipe();
      return PeerGoneOnWrite(what);
    }
    if (n < 0 && errno != EAGAIN && errno != EWOULDBLOCK) {
      return ErrnoError(errno, absl::StrCat(what, ": write"));
    }
    absl::Status ready = WaitReady(fd, POLLOUT, deadline, what);
    if (!ready.ok()) return ready;
  }
}

}  // namespace

absl::StatusOr<PipeFds> MakePipe() {
  int fds[2];
#ifdef __linux__
  if (::pipe2(fds, O_CLOEXEC | O_NONBLOCK) != 0) return ErrnoError(errno, "pipe2");
  return PipeFds{UniqueFd(fds[0]), UniqueFd(fds[1])};
#else
  if (::pipe(fds) != 0) return ErrnoError(errno, "pipe");
  PipeFds ends{UniqueFd(fds[0]), UniqueFd(fds[1])};
  for (int fd : fds) {
    absl::Status s = SetCloseOnExec(fd, true);
    if (s.ok()) s = SetNonBlocking(fd, true);
    if (!s.ok()) return s;
  }
  return ends;
#endif
}

absl::Status SetNonBlocking(int fd, bool non_blocking) {
  int flags = ::fcntl(fd, F_GETFL);
  if (flags < 0) return ErrnoError(errno, absl::StrCat("fcntl(F_GETFL) on fd ", fd));
  int wanted = non_blocking ? (flags | O_NONBLOCK) : (flags & ~O_NONBLOCK);
  if (wanted != flags && ::fcntl(fd, F_SETFL, wanted) != 0) {
    return ErrnoError(errno, absl::StrCat("fcntl(F_SETFL) on fd ", fd));
  }
  return absl::OkStatus();
}

absl::Status SetCloseOnExec(int fd, bool close_on_exec) {
  int flags = ::fcntl(fd, F_GETFD);
  if (flags < 0) return ErrnoError(errno, absl::StrCat("fcntl(F_GETFD) on fd ", fd));
  int wanted = close_on_exec ? (flags | FD_CLOEXEC) : (flags & ~FD_CLOEXEC);
  if (wanted != flags && ::fcntl(fd, F_SETFD, wanted) != 0) {
    return ErrnoError(errno, absl::StrCat("fcntl(F_SETFD) on fd ", fd));
  }
  return absl::OkStatus();
}

absl::StatusOr<AccessMode> AccessModeOf(int fd) {
  int flags = ::fcntl(fd, F_GETFL);
  if (flags < 0) {
    if (errno == EBADF) return InvalidArgumentError(absl::StrCat("fd ", fd, " is not open"));
    return ErrnoError(errno, absl::StrCat("fcntl(F_GETFL) on fd ", fd));
  }
  const int mode = flags & O_ACCMODE;
  return AccessMode{mode == O_RDONLY || mode == O_RDWR, mode == O_WRONLY || mode == O_RDWR};
}

absl::Status WaitReady(int fd, short poll_events, const Deadline& deadline,
                       absl::string_view what) {
  for (;;) {
    if (deadline.Expired()) {
      return TimeoutError(absl::StrCat(what, ": timed out waiting to ",
                                       (poll_events & POLLOUT) ? "write" : "read"));
    }
    pollfd p = {fd, poll_events, 0};
    int r = ::poll(&p, 1, deadline.PollTimeoutMs());
    if (r < 0) {
      if (errno == EINTR) continue;
      return ErrnoError(errno, absl::StrCat(what, ": poll"));
    }
    if (r == 0) continue;  // Re-checks the deadline; poll may wake a hair early.
    if (p.revents & POLLNVAL) {
      return InvalidArgumentError(absl::StrCat(what, ": fd ", fd, " is not open"));
    }
    return absl::OkStatus();  // Ready, or POLLHUP/POLLERR for the next call to report.
  }
}

absl::StatusOr<size_t> ReadSome(int fd, absl::Span<char> buf, const Deadline& deadline,
                                absl::string_view what) {
  if (buf.empty()) return size_t{0};
  for (;;) {
    ssize_t n = ::read(fd, buf.data(), buf.size());
    if (n >= 0) return static_cast<size_t>(n);
    if (errno == EINTR) continue;
    // Linux reports ECONNRESET on a Unix socket whose peer closed while data
    // it had not read was queued; for the reader the peer is simply gone.
    if (errno == ECONNRESET) return size_t{0};
    if (errno != EAGAIN && errno != EWOULDBLOCK) {
      return ErrnoError(errno, absl::StrCat(what, ": read"));
    }
    absl::Status ready = WaitReady(fd, POLLIN, deadline, what);
    if (!ready.ok()) return ready;
  }
}

absl::Status ReadExact(int fd, absl::Span<char> buf, const Deadline& deadline,
                       absl::string_view what) {
  return platform::internal::ReadExactLoop(
      buf, deadline, what,
      [&](absl::Span<char> rest, const Deadline& d) { return ReadSome(fd, rest, d, what); });
}

absl::StatusOr<size_t> WriteSome(int fd, FdKind kind, absl::string_view data,
                                 const Deadline& deadline, absl::string_view what) {
  iovec iov = {const_cast<char*>(data.data()), data.size()};
  size_t written = 0;
  absl::Status s = WriteLoop(fd, kind, absl::MakeSpan(&iov, 1), /*stop_after_progress=*/true,
                             deadline, what, &written);
  if (!s.ok()) return s;
  return written;
}

absl::Status WriteAll(int fd, FdKind kind, absl::string_view data, const Deadline& deadline,
                      absl::string_view what) {
  return platform::internal::WriteAllNoted(
      data, deadline, [&](absl::string_view rest, const Deadline& d, size_t* written) {
        iovec iov = {const_cast<char*>(rest.data()), rest.size()};
        return WriteLoop(fd, kind, absl::MakeSpan(&iov, 1), /*stop_after_progress=*/false, d,
                         what, written);
      });
}

absl::Status WriteVAll(int fd, FdKind kind, absl::Span<iovec> iov, const Deadline& deadline,
                       absl::string_view what, size_t* written) {
  return WriteLoop(fd, kind, iov, /*stop_after_progress=*/false, deadline, what, written);
}

}  // namespace fd_io
}  // namespace ipckit
