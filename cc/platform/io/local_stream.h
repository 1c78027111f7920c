// A connected local byte stream and the listener that hands them out, with
// one API on every OS: the transport under NamedPipe and IpcChannel.
//
//   IPCKIT_ASSIGN_OR_RETURN(std::string address, platform::LocalStreamAddress("jobs"));
//   IPCKIT_ASSIGN_OR_RETURN(platform::LocalStreamListener server,
//                           platform::LocalStreamListener::Listen(address));
//   IPCKIT_ASSIGN_OR_RETURN(platform::LocalStream conn, server.Accept(deadline));
//   // another process:
//   IPCKIT_ASSIGN_OR_RETURN(platform::LocalStream client,
//                           platform::ConnectLocalStream(address, deadline));
//   IPCKIT_RETURN_IF_ERROR(client.WriteAll("hello", deadline, "named pipe jobs"));
//
// POSIX: a Unix-domain stream socket at /tmp/{name}.sock or an absolute path
// (uds::UnixListener, fd_io; peer uid checks). Windows: a byte-mode named
// pipe \\.\pipe\{name} (win::PipeListener, PipeEnd; spec/windows.md). One
// server per name on both. Every call takes the Deadline of the whole
// user-level call and a `what` naming the object for error messages. Error
// classes are the same on both OSes: timeout, peer_closed, truncated, in_use,
// not_found, permission_denied.
#ifndef IPCKIT_CC_PLATFORM_IO_LOCAL_STREAM_H_
#define IPCKIT_CC_PLATFORM_IO_LOCAL_STREAM_H_

#include <cstddef>
#include <memory>
#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/types/span.h"
#include "cc/base/deadline.h"

#ifdef _WIN32
namespace ipckit::platform::win {
class PipeEnd;
class PipeListener;
}  // namespace ipckit::platform::win
#else
#include <optional>

#include "cc/platform/io/unix_socket.h"
#include "cc/platform/unique_fd.h"
#endif

namespace ipckit {
namespace platform {

// What carries a LocalStream on this OS, for the few callers whose checks
// differ (a socket file exists only for kUnixSocket; only it has a pollable
// descriptor, fd()).
enum class LocalStreamKind { kUnixSocket, kNamedPipe };
#ifdef _WIN32
inline constexpr LocalStreamKind kLocalStreamKind = LocalStreamKind::kNamedPipe;
#else
inline constexpr LocalStreamKind kLocalStreamKind = LocalStreamKind::kUnixSocket;
#endif

// Who may be at the other end (spec/naming.md, "Who may connect").
struct LocalStreamAccess {
  // false (the default): the peer must run as this user. POSIX: a server's
  // socket file is 0600 and both ends check the peer's uid. Windows: the
  // pipe's DACL admits this user and SYSTEM only, and a client checks the
  // server process's user. true: any local user (0666; Everyone may read and
  // write the pipe). Remote clients are always refused on Windows.
  bool allow_other_users = false;
};

// Where the server of `name` listens: "/tmp/{name}.sock" or `name` itself if
// it is an absolute path (POSIX); "\\.\pipe\{name}", or `name` itself if it
// already starts with that prefix (Windows, as ipckit 0.1). invalid_argument
// for a bad name, and on Windows for an absolute POSIX path.
absl::StatusOr<std::string> LocalStreamAddress(absl::string_view name);

// One connected end, server's or client's. Move-only; closes on destruction.
// One thread may read while another writes; two concurrent readers (or
// writers) need a lock, and Close must not race with either.
class LocalStream {
 public:
  LocalStream();  // Not connected.
  LocalStream(LocalStream&&) noexcept;
  LocalStream& operator=(LocalStream&&) noexcept;
  ~LocalStream();

  // Reads at least one byte, waiting as needed. 0 at end of stream (the peer
  // closed, or reset, the connection), and 0 at once for an empty buf.
  absl::StatusOr<size_t> ReadSome(absl::Span<char> buf, const Deadline& deadline,
                                  absl::string_view what);
  // Fills all of `buf`. End of stream before the first byte is peer_closed;
  // after some, truncated. On timeout the bytes already read are lost.
  absl::Status ReadExact(absl::Span<char> buf, const Deadline& deadline, absl::string_view what);
  // Writes at least one byte of `data` (0 for empty data; on Windows all of
  // it unless the deadline cuts it short). A closed reader is peer_closed;
  // never SIGPIPE.
  absl::StatusOr<size_t> WriteSome(absl::string_view data, const Deadline& deadline,
                                   absl::string_view what);
  absl::Status WriteAll(absl::string_view data, const Deadline& deadline, absl::string_view what);
  // Writes all of `parts` in order, as one gathered write where the OS has
  // one (POSIX writev: a frame header and its payload in one system call, no
  // copy). `*written` receives the bytes written, also on error, so a caller
  // can keep the unsent rest after a timeout.
  absl::Status WriteAllGathered(absl::Span<const absl::string_view> parts, const Deadline& deadline,
                                absl::string_view what, size_t* written);

  void Close();
  bool is_open() const;
  // POSIX: the socket, for an event loop that waits for readiness itself
  // (then calls with a zero timeout never wait); -1 if closed. Windows: -1
  // (a pipe handle cannot be polled).
  int fd() const;

 private:
  friend class LocalStreamListener;
  friend absl::StatusOr<LocalStream> ConnectLocalStream(const std::string& address,
                                                        const Deadline& deadline,
                                                        LocalStreamAccess access);
#ifdef _WIN32
  std::unique_ptr<win::PipeEnd> pipe_;
#else
  explicit LocalStream(UniqueFd fd) : fd_(std::move(fd)) {}
  UniqueFd fd_;
#endif
};

// The server side of an address: owns it, accepts clients one by one.
class LocalStreamListener {
 public:
  // in_use if a live server has the address (POSIX: also a file that is not
  // a socket); a socket file left by a dead server is reclaimed (POSIX; on
  // Windows a dead server leaves nothing). permission_denied for another
  // user's socket file (POSIX).
  static absl::StatusOr<LocalStreamListener> Listen(const std::string& address,
                                                    LocalStreamAccess access = {});

  LocalStreamListener(LocalStreamListener&&) noexcept;
  LocalStreamListener& operator=(LocalStreamListener&&) noexcept;
  // Gives up the address (POSIX: removes the socket file if still ours).
  ~LocalStreamListener();

  // The next client, waiting until the deadline (timeout; the listener stays
  // usable). A client of another user (unless allowed) is disconnected
  // unread: permission_denied (POSIX).
  absl::StatusOr<LocalStream> Accept(const Deadline& deadline);

  // POSIX: the listening socket (readable when a client waits); Windows: -1.
  int fd() const;

 private:
  LocalStreamListener();
#ifdef _WIN32
  std::unique_ptr<win::PipeListener> listener_;
#else
  std::optional<uds::UnixListener> listener_;
#endif
};

// Connects to the server at `address`. While there is none yet, retries with
// a backoff (1 ms up to 50 ms) until the deadline, then timeout naming the
// address; with an already expired deadline (a zero timeout), one attempt,
// and no server is not_found. A server of another user (unless allowed) is
// permission_denied before anything is sent (POSIX).
absl::StatusOr<LocalStream> ConnectLocalStream(const std::string& address, const Deadline& deadline,
                                               LocalStreamAccess access = {});

}  // namespace platform
}  // namespace ipckit

#endif  // IPCKIT_CC_PLATFORM_IO_LOCAL_STREAM_H_
