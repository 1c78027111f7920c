// StreamServer: the create / connect / wait-for-client / accept / "current
// connection" shape that NamedPipe and IpcChannel share, written once.
//
//   class NamedPipe : public StreamServer<NamedPipe, NamedPipeConnection, NamedPipeOptions> {
//     ...  // static constexpr char kKind[] = "named pipe"; Read/Write on Current()
//   };
//   IPCKIT_ASSIGN_OR_RETURN(NamedPipe server, NamedPipe::Create("jobs"));
//   IPCKIT_RETURN_IF_ERROR(server.WaitForClient(absl::Seconds(30)));
//
// The transport is platform::LocalStream at LocalStreamAddress(name): a
// Unix-domain socket at /tmp/{name}.sock (with its peer checks) on POSIX, a
// named pipe \\.\pipe\{name} on Windows (spec/naming.md, spec/windows.md).
// Like ipckit 0.1, a server talks to one current client (WaitForClient); Accept() returns
// further clients as their own Connection.
//
// `Derived` (CRTP) is the public class: it has a `kKind` naming it in errors
// ("named pipe") and a default constructor this class can reach (make it a
// friend). `Connection` is the per-socket object (ChannelEndpoint,
// NamedPipeConnection): default-constructible as "not connected", movable,
// constructible from (platform::LocalStream, std::string what, const Options&),
// with is_open() and Close(). `Options` carries at least
// `bool allow_other_users`.
#ifndef IPCKIT_CC_STREAM_STREAM_SERVER_H_
#define IPCKIT_CC_STREAM_STREAM_SERVER_H_

#include <optional>
#include <string>
#include <utility>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "cc/base/deadline.h"
#include "cc/base/error.h"
#include "cc/base/status_macros.h"
#include "cc/platform/io/local_stream.h"

namespace ipckit {

template <typename Derived, typename Connection, typename Options>
class StreamServer {
 public:
  // Starts a server at LocalStreamAddress(name). invalid_argument for a bad
  // name; in_use if a live server (or a non-socket file) has the address;
  // permission_denied if another user's socket file has it; a stale socket
  // file of a dead server is reclaimed (spec/naming.md).
  static absl::StatusOr<Derived> Create(absl::string_view name, Options options = {}) {
    IPCKIT_ASSIGN_OR_RETURN(std::string path, platform::LocalStreamAddress(name));
    IPCKIT_ASSIGN_OR_RETURN(platform::LocalStreamListener listener,
                            platform::LocalStreamListener::Listen(path, AccessOf(options)));
    Derived server;
    server.Init(name, std::move(path), options);
    server.listener_.emplace(std::move(listener));
    return server;
  }

  // Connects a client, waiting up to `timeout` for the server to appear, then
  // timeout naming the path; with a zero timeout, not_found at once if nobody
  // serves the name. A server of another user is permission_denied unless
  // options.allow_other_users.
  static absl::StatusOr<Derived> Connect(absl::string_view name,
                                         absl::Duration timeout = absl::InfiniteDuration(),
                                         Options options = {}) {
    IPCKIT_ASSIGN_OR_RETURN(std::string path, platform::LocalStreamAddress(name));
    IPCKIT_ASSIGN_OR_RETURN(
        platform::LocalStream stream,
        platform::ConnectLocalStream(path, Deadline::After(timeout), AccessOf(options)));
    Derived client;
    client.Init(name, std::move(path), options);
    client.current_ = Connection(std::move(stream), client.what_, options);
    return client;
  }

  StreamServer(StreamServer&&) noexcept = default;
  StreamServer& operator=(StreamServer&&) noexcept = default;

  // Server only (invalid_argument on a client): accepts one client as the
  // current connection, replacing (closing) any previous one.
  absl::Status WaitForClient(absl::Duration timeout = absl::InfiniteDuration()) {
    IPCKIT_ASSIGN_OR_RETURN(Connection connection, Accept(timeout));
    current_ = std::move(connection);
    return absl::OkStatus();
  }

  // Server only: accepts one client as an independent connection. A client
  // of another user (unless allowed) is permission_denied.
  absl::StatusOr<Connection> Accept(absl::Duration timeout = absl::InfiniteDuration()) {
    if (!is_server()) {
      return InvalidArgumentError(
          absl::StrCat(what_, ": Accept/WaitForClient is for servers; this is a client"));
    }
    IPCKIT_ASSIGN_OR_RETURN(platform::LocalStream stream,
                            listener_->Accept(Deadline::After(timeout)));
    return Connection(std::move(stream), absl::StrCat(what_, " (server side)"), options_);
  }

  // Closes the current connection; a server can then WaitForClient again.
  void Disconnect() { current_.Close(); }
  bool is_connected() const { return current_.is_open(); }

  const std::string& name() const { return name_; }
  const std::string& path() const { return path_; }
  bool is_server() const { return listener_.has_value(); }
  const Options& options() const { return options_; }

  // For an event loop that waits for readiness itself (ipckit.aio): the
  // current connection's socket (-1 if none) and a server's listening socket
  // (-1 on a client). Calls with a zero timeout then never wait. POSIX only:
  // both are -1 on Windows (platform::LocalStream::fd).
  int fd() const { return current_.fd(); }
  int listener_fd() const { return listener_ ? listener_->fd() : -1; }

 protected:
  StreamServer() = default;

  // The current connection: a client's link, or the server's current client
  // (closed if the server has none yet). A client's closed link is returned
  // as it is; its own calls report that.
  absl::StatusOr<Connection*> Current() {
    if (is_server() && !current_.is_open()) {
      return ClosedError(absl::StrCat(what_, ": no client; call WaitForClient first"));
    }
    return &current_;
  }
  const Connection& current() const { return current_; }

 private:
  void Init(absl::string_view name, std::string path, const Options& options) {
    name_ = std::string(name);
    path_ = std::move(path);
    what_ = absl::StrCat(Derived::kKind, " ", path_);
    options_ = options;
  }

  static platform::LocalStreamAccess AccessOf(const Options& options) {
    platform::LocalStreamAccess access;
    access.allow_other_users = options.allow_other_users;
    return access;
  }

  std::string name_;
  std::string path_;
  std::string what_;  // "named pipe /tmp/x.sock", for messages.
  Options options_;
  std::optional<platform::LocalStreamListener> listener_;  // Set for a server.
  Connection current_;
};

}  // namespace ipckit

#endif  // IPCKIT_CC_STREAM_STREAM_SERVER_H_
