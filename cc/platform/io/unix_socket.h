// Unix-domain stream sockets at a filesystem path: the transport under
// NamedPipe and IpcChannel.
//
//   IPCKIT_ASSIGN_OR_RETURN(uds::UnixListener server, uds::UnixListener::Listen("/tmp/jobs.sock"));
//   IPCKIT_ASSIGN_OR_RETURN(UniqueFd client, uds::ConnectUnix("/tmp/jobs.sock", deadline));
//   IPCKIT_ASSIGN_OR_RETURN(ipckit::UniqueFd conn, server.Accept(deadline));
//
// All sockets are close-on-exec and non-blocking (use cc/platform/io/fd_io.h
// with FdKind::kSocket on them) and never raise SIGPIPE.
//
// Both ends check who the peer is (spec/naming.md, "Who may connect"): a
// client refuses a server, and a server a client, that runs as another user
// (permission_denied), unless PeerAccess::allow_other_users says otherwise.
#ifndef IPCKIT_CC_PLATFORM_IO_UNIX_SOCKET_H_
#define IPCKIT_CC_PLATFORM_IO_UNIX_SOCKET_H_

#include <sys/types.h>

#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "cc/base/deadline.h"
#include "cc/platform/unique_fd.h"

namespace ipckit {
namespace uds {

// Who may be at the other end of a socket.
struct PeerAccess {
  // false (the default): the peer must run as this process's effective uid;
  // the socket file is 0600. true: any local user may be the peer, and a
  // server's socket file is 0666, so every local user can connect to it.
  bool allow_other_users = false;
};

// The effective uid of the process at the other end of connected socket
// `fd` (for a client: the uid that created the listening socket).
absl::StatusOr<uid_t> PeerUid(int fd);

// OK if `fd`'s peer may talk to us under `access`; otherwise
// permission_denied naming both uids. `what` names the socket in the message.
absl::Status CheckPeer(int fd, const PeerAccess& access, const std::string& what);

// A listening socket that owns its socket file.
class UnixListener {
 public:
  // Binds and listens at `path`; the socket file gets mode 0600 (0666 if
  // `access` allows other users) before any client can connect. A socket
  // file left by a dead server (connecting to it is refused) is replaced; a
  // live server's is not: in_use. A path that is not a socket is never
  // touched: in_use. A socket file owned by another user is never unlinked
  // or probed: permission_denied naming its owner's uid.
  static absl::StatusOr<UnixListener> Listen(const std::string& path, PeerAccess access = {},
                                             int backlog = 128);

  UnixListener(UnixListener&& other) noexcept;
  UnixListener& operator=(UnixListener&& other) noexcept;
  UnixListener(const UnixListener&) = delete;
  UnixListener& operator=(const UnixListener&) = delete;
  // Closes the socket and removes the socket file, but only if the path still
  // names the file this listener created (another server may have replaced it)
  // and only in the process that created it (not in a forked child).
  ~UnixListener();

  // Accepts one connection, waiting up to the deadline (timeout error). A
  // client running as another user (unless allowed) is disconnected at once,
  // before anything is read from or written to it: permission_denied.
  absl::StatusOr<UniqueFd> Accept(const Deadline& deadline);

  const std::string& path() const { return path_; }
  int fd() const { return fd_.get(); }

 private:
  UnixListener() = default;
  void Release();

  UniqueFd fd_;
  std::string path_;
  dev_t dev_ = 0;
  ino_t ino_ = 0;
  pid_t owner_pid_ = -1;  // -1: owns no socket file.
  PeerAccess access_;
};

// Connects to the server listening at `path`. While the path is missing or
// the connection is refused (no server yet, or a stale file), retries with a
// backoff from 1 ms up to 50 ms until the deadline, then a timeout error
// naming the path; with a deadline that has already expired (a zero timeout)
// there is one attempt, and no server is not_found. Other failures (e.g.
// permission_denied) return at once. A server running as another user
// (unless `access` allows it) is disconnected before anything is sent:
// permission_denied.
absl::StatusOr<UniqueFd> ConnectUnix(const std::string& path, const Deadline& deadline,
                                     PeerAccess access = {});

}  // namespace uds
}  // namespace ipckit

#endif  // IPCKIT_CC_PLATFORM_IO_UNIX_SOCKET_H_
