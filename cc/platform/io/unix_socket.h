// Unix-domain stream sockets at a filesystem path: the transport under
// NamedPipe and IpcChannel.
//
//   IPCKIT_ASSIGN_OR_RETURN(uds::UnixListener server, uds::UnixListener::Listen("/tmp/jobs.sock"));
//   IPCKIT_ASSIGN_OR_RETURN(UniqueFd client, uds::ConnectUnix("/tmp/jobs.sock", deadline));
//   IPCKIT_ASSIGN_OR_RETURN(ipckit::UniqueFd conn, server.Accept(deadline));
//
// All sockets are close-on-exec and non-blocking (use cc/platform/io/fd_io.h
// with FdKind::kSocket on them) and never raise SIGPIPE.
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

// A listening socket that owns its socket file.
class UnixListener {
 public:
  // Binds and listens at `path`; the socket file gets mode 0600 before any
  // client can connect. A socket file left by a dead server (connecting to it
  // is refused) is replaced; a live server's is not: in_use. A path that is
  // not a socket is never touched: in_use.
  static absl::StatusOr<UnixListener> Listen(const std::string& path, int backlog = 128);

  UnixListener(UnixListener&& other) noexcept;
  UnixListener& operator=(UnixListener&& other) noexcept;
  UnixListener(const UnixListener&) = delete;
  UnixListener& operator=(const UnixListener&) = delete;
  // Closes the socket and removes the socket file, but only if the path still
  // names the file this listener created (another server may have replaced it)
  // and only in the process that created it (not in a forked child).
  ~UnixListener();

  // Accepts one connection, waiting up to the deadline (timeout error).
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
};

// Connects to the server listening at `path`. While the path is missing or
// the connection is refused (no server yet, or a stale file), retries with a
// backoff from 1 ms up to 50 ms until the deadline, then a timeout error
// naming the path. Other failures (e.g. permission_denied) return at once.
absl::StatusOr<UniqueFd> ConnectUnix(const std::string& path, const Deadline& deadline);

}  // namespace uds
}  // namespace ipckit

#endif  // IPCKIT_CC_PLATFORM_IO_UNIX_SOCKET_H_
