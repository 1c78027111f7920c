// IpcChannel: message passing between unrelated processes that meet by name.
//
//   IPCKIT_ASSIGN_OR_RETURN(ipckit::IpcChannel server, ipckit::IpcChannel::Create("jobs"));
//   IPCKIT_RETURN_IF_ERROR(server.WaitForClient(absl::Seconds(30)));
//   IPCKIT_ASSIGN_OR_RETURN(std::string message, server.Recv(absl::Seconds(5)));
//
// Same naming and transport as NamedPipe (platform::LocalStream: a
// Unix-domain socket at /tmp/{name}.sock on POSIX, the named pipe
// \\.\pipe\{name} on Windows; spec/naming.md), carrying length-prefixed frames
// (spec/channel_framing.md) so that every Send arrives as one Recv. Like
// ipckit 0.1, a server talks to one current client (WaitForClient, then
// Send/Recv on the channel); Accept() returns further clients as their own
// ChannelEndpoint. The server shape is StreamServer's (cc/stream), shared
// with NamedPipe.
#ifndef IPCKIT_CC_CHANNEL_IPC_CHANNEL_H_
#define IPCKIT_CC_CHANNEL_IPC_CHANNEL_H_

#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "cc/channel/channel_endpoint.h"
#include "cc/stream/stream_server.h"

namespace ipckit {

class IpcChannel : public StreamServer<IpcChannel, ChannelEndpoint, ChannelOptions> {
 public:
  static constexpr char kKind[] = "channel";

  // Create, Connect, WaitForClient, Accept, Disconnect, is_connected, name,
  // path, is_server and options come from StreamServer.
  IpcChannel(IpcChannel&&) noexcept = default;
  IpcChannel& operator=(IpcChannel&&) noexcept = default;

  // Messages on the current connection; closed if there is none. See
  // ChannelEndpoint for the contracts.
  absl::Status Send(absl::string_view payload, absl::Duration timeout = absl::InfiniteDuration());
  absl::Status ContinueSend(absl::Duration timeout);
  absl::StatusOr<std::string> Recv(absl::Duration timeout = absl::InfiniteDuration());
  absl::Status RecvInto(std::string* out, absl::Duration timeout = absl::InfiniteDuration());

  bool has_pending_send() const { return current().has_pending_send(); }
  bool has_buffered_message() const { return current().has_buffered_message(); }

 private:
  friend class StreamServer<IpcChannel, ChannelEndpoint, ChannelOptions>;
  IpcChannel() = default;
};

}  // namespace ipckit

#endif  // IPCKIT_CC_CHANNEL_IPC_CHANNEL_H_
