// NamedPipe: a byte stream between unrelated processes that meet by name.
//
//   IPCKIT_ASSIGN_OR_RETURN(ipckit::NamedPipe server, ipckit::NamedPipe::Create("my_pipe"));
//   IPCKIT_RETURN_IF_ERROR(server.WaitForClient(absl::Seconds(30)));
//   IPCKIT_ASSIGN_OR_RETURN(size_t n, server.Read(absl::MakeSpan(buf)));
//
// On POSIX a named pipe is a Unix-domain stream socket at "/tmp/{name}.sock",
// or the name itself if it is an absolute path (spec/naming.md). The server
// owns the socket file (mode 0600): it reclaims one left by a dead server,
// refuses to take a live server's (in_use), and removes its own when
// destroyed. On Windows it is the byte-mode named pipe \\.\pipe\{name}, as
// in ipckit 0.1 (spec/windows.md); one server per name there too.
//
// Like ipckit 0.1, a server talks to one "current" client (WaitForClient, then
// Read/Write on the server object). To serve several clients, Accept() returns
// each as its own NamedPipeConnection. The server shape is StreamServer's
// (cc/stream), shared with IpcChannel.
#ifndef IPCKIT_CC_NAMED_PIPE_NAMED_PIPE_H_
#define IPCKIT_CC_NAMED_PIPE_NAMED_PIPE_H_

#include <cstddef>
#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "absl/types/span.h"
#include "cc/platform/io/local_stream.h"
#include "cc/stream/stream_server.h"

namespace ipckit {

struct NamedPipeOptions {
  // Let a peer that runs as another user connect or serve (off: such a peer
  // is permission_denied; spec/naming.md, "Who may connect"). A server made
  // with it has a 0666 socket file, open to every local user.
  bool allow_other_users = false;
};

// One connected byte stream: a client's link to the server, or one client as
// seen by the server. Move-only; closes on destruction. One thread may read
// while another writes; two concurrent readers (or writers) need a lock, and
// Close must not race with either.
class NamedPipeConnection {
 public:
  NamedPipeConnection() = default;  // Not connected.
  // Wraps a connected stream; `what` names it in errors.
  NamedPipeConnection(platform::LocalStream stream, std::string what,
                      const NamedPipeOptions& /*options*/ = {})
      : stream_(std::move(stream)), what_(std::move(what)) {}
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

  void Close() { stream_.Close(); }
  bool is_open() const { return stream_.is_open(); }
  // POSIX: the socket, for an event loop; -1 on Windows or when closed.
  int fd() const { return stream_.fd(); }

 private:
  absl::Status NotOpen() const;

  platform::LocalStream stream_;
  std::string what_;  // "named pipe /tmp/x.sock", for messages.
};

class NamedPipe : public StreamServer<NamedPipe, NamedPipeConnection, NamedPipeOptions> {
 public:
  static constexpr char kKind[] = "named pipe";

  // Create, Connect, WaitForClient, Accept, Disconnect, is_connected, name,
  // path, is_server and options come from StreamServer.
  NamedPipe(NamedPipe&&) noexcept = default;
  NamedPipe& operator=(NamedPipe&&) noexcept = default;

  // I/O on the current connection (the client's link, or the server's current
  // client); closed if there is none. Same contracts as NamedPipeConnection.
  absl::StatusOr<size_t> Read(absl::Span<char> buf,
                              absl::Duration timeout = absl::InfiniteDuration());
  absl::Status ReadExact(absl::Span<char> buf, absl::Duration timeout = absl::InfiniteDuration());
  absl::StatusOr<size_t> Write(absl::string_view data,
                               absl::Duration timeout = absl::InfiniteDuration());
  absl::Status WriteAll(absl::string_view data, absl::Duration timeout = absl::InfiniteDuration());

 private:
  friend class StreamServer<NamedPipe, NamedPipeConnection, NamedPipeOptions>;
  NamedPipe() = default;
};

}  // namespace ipckit

#endif  // IPCKIT_CC_NAMED_PIPE_NAMED_PIPE_H_
