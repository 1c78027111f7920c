// NamedPipe: a byte stream between unrelated processes that meet by name.
//
//   IPCKIT_ASSIGN_OR_RETURN(ipckit::NamedPipe server, ipckit::NamedPipe::Create("my_pipe"));
//   IPCKIT_RETURN_IF_ERROR(server.WaitForClient(absl::Seconds(30)));
//   IPCKIT_ASSIGN_OR_RETURN(size_t n, server.Read(absl::MakeSpan(buf)));
//
// On POSIX a named pipe is a Unix-domain stream socket at SocketPathFor(name):
// "/tmp/{name}.sock", or the name itself if it is an absolute path
// (spec/naming.md). The server owns the socket file (mode 0600): it reclaims
// one left by a dead server, refuses to take a live server's (in_use), and
// removes its own when destroyed.
//
// Like ipckit 0.1, a server talks to one "current" client (WaitForClient, then
// Read/Write on the server object). To serve several clients, Accept() returns
// each as its own NamedPipeConnection.
#ifndef IPCKIT_CC_NAMED_PIPE_NAMED_PIPE_H_
#define IPCKIT_CC_NAMED_PIPE_NAMED_PIPE_H_

#include <cstddef>
#include <optional>
#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "absl/types/span.h"
#include "cc/platform/io/unix_socket.h"
#include "cc/platform/unique_fd.h"

namespace ipckit {

// One connected byte stream: a client's link to the server, or one client as
// seen by the server. Move-only; closes on destruction. One thread may read
// while another writes; two concurrent readers (or writers) need a lock, and
// Close must not race with either.
class NamedPipeConnection {
 public:
  NamedPipeConnection() = default;  // Not connected.
  NamedPipeConnection(NamedPipeConnection&&) noexcept = default;
  NamedPipeConnection& operator=(NamedPipeConnection&&) noexcept = default;

  // Reads up to buf.size() bytes once some are available; 0 means the peer
  // closed the connection (EOF). timeout if nothing arrives in time.
  absl::StatusOr<size_t> Read(absl::Span<char> buf,
                              absl::Duration timeout = absl::InfiniteDuration());
  // Fills all of `buf`. Peer closed before the first byte: peer_closed; after
  // some: truncated. On timeout the bytes already read are lost.
  absl::Status ReadExact(absl::Span<char> buf, absl::Duration timeout = absl::InfiniteDuration());
  // Writes some of `data` (at least one byte unless empty); peer_closed if
  // the peer is gone (never SIGPIPE).
  absl::StatusOr<size_t> Write(absl::string_view data,
                               absl::Duration timeout = absl::InfiniteDuration());
  absl::Status WriteAll(absl::string_view data, absl::Duration timeout = absl::InfiniteDuration());

  void Close() { fd_.reset(); }
  bool is_open() const { return fd_.valid(); }
  int fd() const { return fd_.get(); }

 private:
  friend class NamedPipe;
  NamedPipeConnection(UniqueFd fd, std::string what) : fd_(std::move(fd)), what_(std::move(what)) {}
  absl::Status NotOpen() const;

  UniqueFd fd_;
  std::string what_;  // "named pipe /tmp/x.sock", for messages.
};

class NamedPipe {
 public:
  // Starts a server: binds and listens at SocketPathFor(name). invalid_argument
  // for a bad name; in_use if a live server (or a non-socket file) has the path.
  static absl::StatusOr<NamedPipe> Create(absl::string_view name);

  // Connects a client, waiting up to `timeout` for the server to appear
  // (retrying while the path is missing or refused), then timeout naming the
  // path.
  static absl::StatusOr<NamedPipe> Connect(absl::string_view name,
                                           absl::Duration timeout = absl::InfiniteDuration());

  NamedPipe(NamedPipe&&) noexcept = default;
  NamedPipe& operator=(NamedPipe&&) noexcept = default;

  // Server only: accepts one client as the current connection, replacing
  // (closing) any previous one. invalid_argument on a client.
  absl::Status WaitForClient(absl::Duration timeout = absl::InfiniteDuration());
  // Server only: accepts one client as an independent connection; the current
  // connection is untouched.
  absl::StatusOr<NamedPipeConnection> Accept(absl::Duration timeout = absl::InfiniteDuration());

  // I/O on the current connection (the client's link, or the server's current
  // client); closed if there is none. Same contracts as NamedPipeConnection.
  absl::StatusOr<size_t> Read(absl::Span<char> buf,
                              absl::Duration timeout = absl::InfiniteDuration());
  absl::Status ReadExact(absl::Span<char> buf, absl::Duration timeout = absl::InfiniteDuration());
  absl::StatusOr<size_t> Write(absl::string_view data,
                               absl::Duration timeout = absl::InfiniteDuration());
  absl::Status WriteAll(absl::string_view data, absl::Duration timeout = absl::InfiniteDuration());

  // Closes the current connection; a server can then WaitForClient again.
  void Disconnect() { current_.Close(); }
  bool is_connected() const { return current_.is_open(); }

  const std::string& name() const { return name_; }
  const std::string& path() const { return path_; }
  bool is_server() const { return listener_.has_value(); }

 private:
  NamedPipe(std::string name, std::string path) : name_(std::move(name)), path_(std::move(path)) {}
  absl::Status NotServer(absl::string_view call) const;
  absl::Status CheckServerHasClient() const;

  std::string name_;
  std::string path_;
  std::optional<uds::UnixListener> listener_;  // Set for a server.
  NamedPipeConnection current_;
};

}  // namespace ipckit

#endif  // IPCKIT_CC_NAMED_PIPE_NAMED_PIPE_H_
