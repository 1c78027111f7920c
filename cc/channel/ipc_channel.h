// IpcChannel: message passing between unrelated processes that meet by name.
//
//   IPCKIT_ASSIGN_OR_RETURN(ipckit::IpcChannel server, ipckit::IpcChannel::Create("jobs"));
//   IPCKIT_RETURN_IF_ERROR(server.WaitForClient(absl::Seconds(30)));
//   IPCKIT_ASSIGN_OR_RETURN(std::string message, server.Recv(absl::Seconds(5)));
//
// Same naming and transport as NamedPipe (a Unix-domain stream socket at
// SocketPathFor(name), spec/naming.md), carrying length-prefixed frames
// (spec/channel_framing.md) so that every Send arrives as one Recv. Like
// ipckit 0.1, a server talks to one current client (WaitForClient, then
// Send/Recv on the channel); Accept() returns further clients as their own
// ChannelEndpoint.
#ifndef IPCKIT_CC_CHANNEL_IPC_CHANNEL_H_
#define IPCKIT_CC_CHANNEL_IPC_CHANNEL_H_

#include <optional>
#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "cc/channel/channel_endpoint.h"
#include "cc/platform/io/unix_socket.h"

namespace ipckit {

class IpcChannel {
 public:
  // Starts a server at SocketPathFor(name). invalid_argument for a bad name;
  // in_use if a live server (or a non-socket file) has the path; a stale
  // socket file of a dead server is reclaimed.
  static absl::StatusOr<IpcChannel> Create(absl::string_view name, ChannelOptions options = {});

  // Connects a client, waiting up to `timeout` for the server to appear, then
  // timeout naming the path.
  static absl::StatusOr<IpcChannel> Connect(absl::string_view name,
                                            absl::Duration timeout = absl::InfiniteDuration(),
                                            ChannelOptions options = {});

  IpcChannel(IpcChannel&&) noexcept = default;
  IpcChannel& operator=(IpcChannel&&) noexcept = default;

  // Server only (invalid_argument on a client): accepts one client as the
  // current connection, replacing (closing) any previous one.
  absl::Status WaitForClient(absl::Duration timeout = absl::InfiniteDuration());
  // Server only: accepts one client as an independent endpoint.
  absl::StatusOr<ChannelEndpoint> Accept(absl::Duration timeout = absl::InfiniteDuration());

  // Messages on the current connection; closed if there is none. See
  // ChannelEndpoint for the contracts.
  absl::Status Send(absl::string_view payload, absl::Duration timeout = absl::InfiniteDuration());
  absl::StatusOr<std::string> Recv(absl::Duration timeout = absl::InfiniteDuration());
  absl::Status RecvInto(std::string* out, absl::Duration timeout = absl::InfiniteDuration());

  // Closes the current connection; a server can then WaitForClient again.
  void Disconnect() { current_.Close(); }
  bool is_connected() const { return current_.is_open(); }
  bool has_pending_send() const { return current_.has_pending_send(); }

  const std::string& name() const { return name_; }
  const std::string& path() const { return path_; }
  bool is_server() const { return listener_.has_value(); }
  const ChannelOptions& options() const { return options_; }

 private:
  IpcChannel(std::string name, std::string path, ChannelOptions options)
      : name_(std::move(name)), path_(std::move(path)), options_(options) {}
  absl::Status CheckServerHasClient() const;

  std::string name_;
  std::string path_;
  ChannelOptions options_;
  std::optional<uds::UnixListener> listener_;  // Set for a server.
  ChannelEndpoint current_;
};

}  // namespace ipckit

#endif  // IPCKIT_CC_CHANNEL_IPC_CHANNEL_H_
