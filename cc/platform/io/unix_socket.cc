#include "cc/platform/io/unix_socket.h"

#include <fcntl.h>
#include <poll.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <utility>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "cc/base/error.h"
#include "cc/platform/io/fd_io.h"

namespace ipckit {
namespace uds {
namespace {

// Bind/reclaim rounds before giving up: each round follows a stale file being
// removed, so more than a few means another process keeps racing us.
constexpr int kMaxBindAttempts = 3;
constexpr absl::Duration kFirstBackoff = absl::Milliseconds(1);
constexpr absl::Duration kMaxBackoff = absl::Milliseconds(50);

absl::StatusOr<UniqueFd> NewSocket() {
#ifdef SOCK_CLOEXEC
  UniqueFd fd(::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0));
  if (!fd.valid()) return ErrnoError(errno, "socket(AF_UNIX)");
#else
  UniqueFd fd(::socket(AF_UNIX, SOCK_STREAM, 0));
  if (!fd.valid()) return ErrnoError(errno, "socket(AF_UNIX)");
  absl::Status s = fd_io::SetCloseOnExec(fd.get(), true);
  if (s.ok()) s = fd_io::SetNonBlocking(fd.get(), true);
  if (!s.ok()) return s;
#endif
#ifdef SO_NOSIGPIPE
  // macOS has no MSG_NOSIGNAL; the socket option does the same job.
  int one = 1;
  ::setsockopt(fd.get(), SOL_SOCKET, SO_NOSIGPIPE, &one, sizeof(one));
#endif
  return fd;
}

absl::Status PermissionDenied(absl::string_view message) {
  return MakeError(absl::StatusCode::kPermissionDenied, kErrPermissionDenied, message);
}

absl::Status FillAddress(const std::string& path, sockaddr_un* addr, socklen_t* len) {
  std::memset(addr, 0, sizeof(*addr));
  addr->sun_family = AF_UNIX;
  if (path.empty() || path.size() >= sizeof(addr->sun_path)) {
    return InvalidArgumentError(absl::StrCat("socket path '", path, "' is ", path.size(),
                                             " bytes; this system allows 1 to ",
                                             sizeof(addr->sun_path) - 1));
  }
  std::memcpy(addr->sun_path, path.data(), path.size());
  *len = static_cast<socklen_t>(offsetof(sockaddr_un, sun_path) + path.size() + 1);
  return absl::OkStatus();
}

// One connect attempt. Returns 0 or the errno of the failure; for a
// connection still in progress, waits for its outcome up to the deadline.
int TryConnect(int fd, const sockaddr_un& addr, socklen_t len, const Deadline& deadline) {
  int r;
  do {
    r = ::connect(fd, reinterpret_cast<const sockaddr*>(&addr), len);
  } while (r != 0 && errno == EINTR);
  if (r == 0) return 0;
  if (errno != EINPROGRESS) return errno;
  if (!fd_io::WaitReady(fd, POLLOUT, deadline, "connect").ok()) return ETIMEDOUT;
  int err = 0;
  socklen_t err_len = sizeof(err);
  if (::getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &err_len) != 0) return errno;
  return err;
}

// Called when bind found something at `path`. OK if the path is free again
// (a stale socket was removed, or the file vanished); in_use if a live server
// owns it or it is not a socket; permission_denied if another user owns it
// (checked before probing: connecting would talk to a possible impostor, and
// root could unlink it even in sticky /tmp).
absl::Status ReclaimIfStale(const std::string& path, const sockaddr_un& addr, socklen_t len) {
  struct stat st;
  if (::lstat(path.c_str(), &st) != 0) {
    if (errno == ENOENT) return absl::OkStatus();
    return ErrnoError(errno, absl::StrCat("lstat ", path));
  }
  if (!S_ISSOCK(st.st_mode)) {
    return InUseError(absl::StrCat(path, " exists and is not a socket; refusing to replace it"));
  }
  if (st.st_uid != ::geteuid()) {
    return PermissionDenied(absl::StrCat(path, " is owned by uid ", st.st_uid,
                                         ", another user; refusing to replace or connect to it"));
  }
  absl::StatusOr<UniqueFd> probe = NewSocket();
  if (!probe.ok()) return probe.status();
  int err = TryConnect(probe->get(), addr, len, Deadline::After(absl::Seconds(1)));
  switch (err) {
    case ECONNREFUSED: {
      // Nobody listens: a dead server left its socket file behind.
      if (::unlink(path.c_str()) != 0 && errno != ENOENT) {
        return ErrnoError(errno, absl::StrCat("removing stale socket ", path));
      }
      return absl::OkStatus();
    }
    case ENOENT:
      return absl::OkStatus();
    case 0:
    case EAGAIN:  // Backlog full: very much alive.
    case ETIMEDOUT:
      return InUseError(absl::StrCat(path, " is in use by a live server"));
    default:
      return ErrnoError(err, absl::StrCat("probing existing socket ", path));
  }
}

}  // namespace

absl::StatusOr<uid_t> PeerUid(int fd) {
#if defined(SO_PEERCRED)
  struct ucred cred;
  socklen_t len = sizeof(cred);
  if (::getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cred, &len) != 0) {
    return ErrnoError(errno, "getsockopt(SO_PEERCRED)");
  }
  return cred.uid;
#else
  uid_t uid;
  gid_t gid;
  if (::getpeereid(fd, &uid, &gid) != 0) return ErrnoError(errno, "getpeereid");
  return uid;
#endif
}

absl::Status CheckPeer(int fd, const PeerAccess& access, const std::string& what) {
  if (access.allow_other_users) return absl::OkStatus();
  absl::StatusOr<uid_t> peer = PeerUid(fd);
  if (!peer.ok()) return peer.status();
  const uid_t self = ::geteuid();
  if (*peer == self) return absl::OkStatus();
  return PermissionDenied(absl::StrCat(what, ": the peer runs as uid ", *peer,
                                       ", not as this user (uid ", self,
                                       "); refused (allow_other_users permits it)"));
}

absl::StatusOr<UnixListener> UnixListener::Listen(const std::string& path, PeerAccess access,
                                                  int backlog) {
  sockaddr_un addr;
  socklen_t len;
  absl::Status filled = FillAddress(path, &addr, &len);
  if (!filled.ok()) return filled;

  UniqueFd fd;
  for (int attempt = 0;; ++attempt) {
    absl::StatusOr<UniqueFd> sock = NewSocket();
    if (!sock.ok()) return sock.status();
    if (::bind(sock->get(), reinterpret_cast<const sockaddr*>(&addr), len) == 0) {
      fd = std::move(*sock);
      break;
    }
    if (errno != EADDRINUSE) return ErrnoError(errno, absl::StrCat("bind ", path));
    if (attempt + 1 == kMaxBindAttempts) {
      return InUseError(absl::StrCat(path, " is in use: another server keeps recreating it"));
    }
    absl::Status reclaimed = ReclaimIfStale(path, addr, len);
    if (!reclaimed.ok()) return reclaimed;
  }

  UnixListener listener;
  listener.path_ = path;
  // From here on the file is ours: the destructor removes it on any error.
  struct stat st;
  if (::lstat(path.c_str(), &st) != 0) return ErrnoError(errno, absl::StrCat("lstat ", path));
  listener.dev_ = st.st_dev;
  listener.ino_ = st.st_ino;
  listener.owner_pid_ = ::getpid();
  listener.access_ = access;
  // bind() applied the umask; set the mode before listen(), so no client can
  // have connected under another mode (connect to a bound but not listening
  // socket is refused).
  const mode_t mode = access.allow_other_users ? 0666 : 0600;
  if (::chmod(path.c_str(), mode) != 0) return ErrnoError(errno, absl::StrCat("chmod ", path));
  if (::listen(fd.get(), backlog) != 0) return ErrnoError(errno, absl::StrCat("listen ", path));
  listener.fd_ = std::move(fd);
  return listener;
}

UnixListener::UnixListener(UnixListener&& other) noexcept
    : fd_(std::move(other.fd_)),
      path_(std::move(other.path_)),
      dev_(other.dev_),
      ino_(other.ino_),
      owner_pid_(std::exchange(other.owner_pid_, -1)),
      access_(other.access_) {}

UnixListener& UnixListener::operator=(UnixListener&& other) noexcept {
  if (this != &other) {
    Release();
    fd_ = std::move(other.fd_);
    path_ = std::move(other.path_);
    dev_ = other.dev_;
    ino_ = other.ino_;
    owner_pid_ = std::exchange(other.owner_pid_, -1);
    access_ = other.access_;
  }
  return *this;
}

UnixListener::~UnixListener() { Release(); }

void UnixListener::Release() {
  if (owner_pid_ == ::getpid()) {
    struct stat st;
    if (::lstat(path_.c_str(), &st) == 0 && st.st_dev == dev_ && st.st_ino == ino_) {
      ::unlink(path_.c_str());
    }
  }
  owner_pid_ = -1;
  fd_.reset();
}

absl::StatusOr<UniqueFd> UnixListener::Accept(const Deadline& deadline) {
  std::string what = absl::StrCat("accept on ", path_);
  for (;;) {
#ifdef __linux__
    UniqueFd conn(::accept4(fd_.get(), nullptr, nullptr, SOCK_CLOEXEC | SOCK_NONBLOCK));
#else
    UniqueFd conn(::accept(fd_.get(), nullptr, nullptr));
#endif
    if (conn.valid()) {
#ifndef __linux__
      absl::Status s = fd_io::SetCloseOnExec(conn.get(), true);
      if (s.ok()) s = fd_io::SetNonBlocking(conn.get(), true);
      if (!s.ok()) return s;
#endif
#ifdef SO_NOSIGPIPE
      int one = 1;
      ::setsockopt(conn.get(), SOL_SOCKET, SO_NOSIGPIPE, &one, sizeof(one));
#endif
      absl::Status allowed = CheckPeer(conn.get(), access_, what);
      if (!allowed.ok()) return allowed;  // Closes the connection unread.
      return conn;
    }
    // A client that gave up before being accepted is not our error.
    if (errno == EINTR || errno == ECONNABORTED || errno == EPROTO) continue;
    if (errno != EAGAIN && errno != EWOULDBLOCK) return ErrnoError(errno, what);
    absl::Status ready = fd_io::WaitReady(fd_.get(), POLLIN, deadline, what);
    if (!ready.ok()) return ready;
  }
}

absl::StatusOr<UniqueFd> ConnectUnix(const std::string& path, const Deadline& deadline,
                                     PeerAccess access) {
  sockaddr_un addr;
  socklen_t len;
  absl::Status filled = FillAddress(path, &addr, &len);
  if (!filled.ok()) return filled;
  // A zero timeout asks "is anyone serving?", not "wait for a server".
  const bool single_attempt = deadline.Expired();
  absl::Duration backoff = kFirstBackoff;
  for (;;) {
    absl::StatusOr<UniqueFd> sock = NewSocket();
    if (!sock.ok()) return sock.status();
    int err = TryConnect(sock->get(), addr, len, deadline);
    if (err == 0) {
      absl::Status allowed = CheckPeer(sock->get(), access, absl::StrCat("connect to ", path));
      if (!allowed.ok()) return allowed;  // Closes the socket before anything is sent.
      return std::move(*sock);
    }
    // Missing or refused: the server may not be up yet. EAGAIN: its backlog
    // is full for the moment.
    bool retry = err == ENOENT || err == ECONNREFUSED || err == EAGAIN || err == ETIMEDOUT;
    if (!retry) return ErrnoError(err, absl::StrCat("connect to ", path));
    if (single_attempt && (err == ENOENT || err == ECONNREFUSED)) {
      return NotFoundError(absl::StrCat("connect to ", path, ": no server is listening (",
                                        std::strerror(err), ")"));
    }
    if (deadline.Expired()) {
      return TimeoutError(absl::StrCat("connect to ", path,
                                       ": timed out waiting for a server (last attempt: ",
                                       std::strerror(err), ")"));
    }
    absl::SleepFor(std::min(backoff, deadline.Remaining()));
    backoff = std::min(backoff * 2, kMaxBackoff);
  }
}

}  // namespace uds
}  // namespace ipckit
