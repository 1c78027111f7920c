#include "cc/channel/ipc_channel.h"

#include <utility>

#include "absl/strings/str_cat.h"
#include "cc/base/deadline.h"
#include "cc/base/error.h"
#include "cc/base/name.h"
#include "cc/base/status_macros.h"

namespace ipckit {

absl::StatusOr<IpcChannel> IpcChannel::Create(absl::string_view name, ChannelOptions options) {
  absl::StatusOr<std::string> path = SocketPathFor(name);
  if (!path.ok()) return path.status();
  absl::StatusOr<uds::UnixListener> listener = uds::UnixListener::Listen(*path);
  if (!listener.ok()) return listener.status();
  IpcChannel channel{std::string(name), *std::move(path), options};
  channel.listener_.emplace(*std::move(listener));
  return channel;
}

absl::StatusOr<IpcChannel> IpcChannel::Connect(absl::string_view name, absl::Duration timeout,
                                               ChannelOptions options) {
  absl::StatusOr<std::string> path = SocketPathFor(name);
  if (!path.ok()) return path.status();
  absl::StatusOr<UniqueFd> fd = uds::ConnectUnix(*path, Deadline::After(timeout));
  if (!fd.ok()) return fd.status();
  IpcChannel channel{std::string(name), *std::move(path), options};
  channel.current_ =
      ChannelEndpoint(*std::move(fd), absl::StrCat("channel ", channel.path_), options);
  return channel;
}

absl::Status IpcChannel::WaitForClient(absl::Duration timeout) {
  absl::StatusOr<ChannelEndpoint> endpoint = Accept(timeout);
  if (!endpoint.ok()) return endpoint.status();
  current_ = *std::move(endpoint);
  return absl::OkStatus();
}

absl::StatusOr<ChannelEndpoint> IpcChannel::Accept(absl::Duration timeout) {
  if (!is_server()) {
    return InvalidArgumentError(
        absl::StrCat("channel ", path_, ": Accept/WaitForClient is for servers; this is a client"));
  }
  absl::StatusOr<UniqueFd> fd = listener_->Accept(Deadline::After(timeout));
  if (!fd.ok()) return fd.status();
  return ChannelEndpoint(*std::move(fd), absl::StrCat("channel ", path_, " (server side)"),
                         options_);
}

absl::Status IpcChannel::CheckServerHasClient() const {
  if (is_server() && !current_.is_open()) {
    return ClosedError(absl::StrCat("channel ", path_, ": no client; call WaitForClient first"));
  }
  return absl::OkStatus();  // A client's closed link is reported by the endpoint.
}

absl::Status IpcChannel::Send(absl::string_view payload, absl::Duration timeout) {
  IPCKIT_RETURN_IF_ERROR(CheckServerHasClient());
  return current_.Send(payload, timeout);
}

absl::StatusOr<std::string> IpcChannel::Recv(absl::Duration timeout) {
  IPCKIT_RETURN_IF_ERROR(CheckServerHasClient());
  return current_.Recv(timeout);
}

absl::Status IpcChannel::RecvInto(std::string* out, absl::Duration timeout) {
  IPCKIT_RETURN_IF_ERROR(CheckServerHasClient());
  return current_.RecvInto(out, timeout);
}

}  // namespace ipckit
