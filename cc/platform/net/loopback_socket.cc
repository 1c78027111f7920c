#include "cc/platform/net/loopback_socket.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>

#include "absl/strings/str_cat.h"
#include "cc/base/error.h"

namespace ipckit {
namespace {

absl::Status MakeNonBlockingCloexec(int fd, absl::string_view what) {
  int flags = ::fcntl(fd, F_GETFL);
  if (flags < 0 || ::fcntl(fd, F_SETFL, flags | O_NONBLOCK) < 0 ||
      ::fcntl(fd, F_SETFD, FD_CLOEXEC) < 0) {
    return ErrnoError(errno, absl::StrCat("fcntl on ", what));
  }
  return absl::OkStatus();
}

#ifdef MSG_NOSIGNAL
constexpr int kSendFlags = MSG_NOSIGNAL;
#else
constexpr int kSendFlags = 0;  // macOS: SO_NOSIGPIPE is set on the socket instead
#endif

}  // namespace

void CloseSocket(SocketHandle socket) { ::close(socket); }

absl::StatusOr<LoopbackListener> LoopbackListener::Bind(uint16_t port) {
  UniqueSocket fd(::socket(AF_INET, SOCK_STREAM, 0));
  if (!fd.valid()) return ErrnoError(errno, "socket(AF_INET)");
  absl::Status s = MakeNonBlockingCloexec(fd.get(), "the listening socket");
  if (!s.ok()) return s;
  int one = 1;
  // A restarted bridge can take its port back while old connections linger in TIME_WAIT.
  ::setsockopt(fd.get(), SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(port);
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);  // 127.0.0.1 only, never another interface
  if (::bind(fd.get(), reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) != 0) {
    return ErrnoError(errno, absl::StrCat("bind 127.0.0.1:", port));
  }
  // A deep backlog: a burst of connections (slow clients refilling the slots
  // they lost) must not make the kernel drop a legitimate SYN for a second.
  if (::listen(fd.get(), SOMAXCONN) != 0) {
    return ErrnoError(errno, absl::StrCat("listen on 127.0.0.1:", port));
  }
  socklen_t len = sizeof(addr);
  if (::getsockname(fd.get(), reinterpret_cast<sockaddr*>(&addr), &len) != 0) {
    return ErrnoError(errno, "getsockname");
  }
  return LoopbackListener(std::move(fd), ntohs(addr.sin_port));
}

absl::StatusOr<UniqueSocket> LoopbackListener::Accept() {
  for (;;) {
    UniqueSocket conn(::accept(fd_.get(), nullptr, nullptr));
    if (!conn.valid()) {
      if (errno == EINTR) continue;
      // A connection that died in the queue is not the listener's failure.
      if (errno == EAGAIN || errno == EWOULDBLOCK || errno == ECONNABORTED || errno == EPROTO) {
        return UniqueSocket();
      }
      return ErrnoError(errno, "accept on the bridge socket");
    }
    absl::Status s = MakeNonBlockingCloexec(conn.get(), "a bridge connection");
    if (!s.ok()) return s;
#ifdef SO_NOSIGPIPE
    int one = 1;
    ::setsockopt(conn.get(), SOL_SOCKET, SO_NOSIGPIPE, &one, sizeof(one));
#endif
    return conn;
  }
}

absl::StatusOr<UniqueSocket> ConnectToLoopback(uint16_t port) {
  UniqueSocket fd(::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0));
  if (!fd.valid()) return ErrnoError(errno, "socket(AF_INET)");
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(port);
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  while (::connect(fd.get(), reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) != 0) {
    if (errno != EINTR) return ErrnoError(errno, absl::StrCat("connect to 127.0.0.1:", port));
  }
  return fd;
}

absl::StatusOr<Transfer> ReceiveSome(SocketHandle fd, char* buffer, size_t size) {
  for (;;) {
    ssize_t n = ::recv(fd, buffer, size, 0);
    if (n >= 0) return Transfer{static_cast<size_t>(n), false};
    if (errno == EINTR) continue;
    if (errno == EAGAIN || errno == EWOULDBLOCK) return Transfer{0, true};
    return ErrnoError(errno, "recv from a bridge client");
  }
}

absl::StatusOr<Transfer> SendSome(SocketHandle fd, absl::string_view data) {
  for (;;) {
    ssize_t n = ::send(fd, data.data(), data.size(), kSendFlags);
    if (n >= 0) return Transfer{static_cast<size_t>(n), false};
    if (errno == EINTR) continue;
    if (errno == EAGAIN || errno == EWOULDBLOCK) return Transfer{0, true};
    return ErrnoError(errno, "send to a bridge client");
  }
}

void ShutdownWrite(SocketHandle fd) { ::shutdown(fd, SHUT_WR); }

absl::StatusOr<WakePipe> MakeWakePipe() {
  int fds[2];
  if (::pipe(fds) != 0) return ErrnoError(errno, "pipe");
  WakePipe p{UniqueSocket(fds[0]), UniqueSocket(fds[1])};
  absl::Status s = MakeNonBlockingCloexec(fds[0], "the wake pipe");
  if (s.ok()) s = MakeNonBlockingCloexec(fds[1], "the wake pipe");
  if (!s.ok()) return s;
  return p;
}

void Wake(SocketHandle write_fd) {
  int saved_errno = errno;  // a signal handler must not clobber the interrupted code's errno
  char byte = 1;
  ssize_t ignored = ::write(write_fd, &byte, 1);  // EAGAIN: a wake is already pending
  (void)ignored;
  errno = saved_errno;
}

void DrainWakes(SocketHandle read_fd) {
  char buffer[64];
  while (::read(read_fd, buffer, sizeof(buffer)) > 0) {
  }
}

absl::StatusOr<bool> WaitForSockets(std::vector<SocketInterest>& sockets, absl::Duration timeout) {
  std::vector<pollfd> fds;
  fds.reserve(sockets.size());
  for (SocketInterest& s : sockets) {
    s.ready = false;
    fds.push_back({s.fd, static_cast<short>((s.read ? POLLIN : 0) | (s.write ? POLLOUT : 0)), 0});
  }
  int wait_ms = -1;
  if (timeout != absl::InfiniteDuration()) {
    wait_ms = static_cast<int>(
        std::clamp<int64_t>(absl::ToInt64Milliseconds(timeout + absl::Microseconds(999)), 0, 1 << 30));
  }
  if (::poll(fds.data(), fds.size(), wait_ms) < 0) {
    if (errno == EINTR) return false;
    return ErrnoError(errno, "poll on loopback sockets");
  }
  for (size_t i = 0; i < sockets.size(); ++i) sockets[i].ready = fds[i].revents != 0;
  return true;
}

}  // namespace ipckit
