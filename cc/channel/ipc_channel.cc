#include "cc/channel/ipc_channel.h"

#include <utility>

#include "cc/base/status_macros.h"

namespace ipckit {

absl::Status IpcChannel::Send(absl::string_view payload, absl::Duration timeout) {
  IPCKIT_ASSIGN_OR_RETURN(ChannelEndpoint * current, Current());
  return current->Send(payload, timeout);
}

absl::Status IpcChannel::ContinueSend(absl::Duration timeout) {
  IPCKIT_ASSIGN_OR_RETURN(ChannelEndpoint * current, Current());
  return current->ContinueSend(timeout);
}

absl::StatusOr<std::string> IpcChannel::Recv(absl::Duration timeout) {
  IPCKIT_ASSIGN_OR_RETURN(ChannelEndpoint * current, Current());
  return current->Recv(timeout);
}

absl::Status IpcChannel::RecvInto(std::string* out, absl::Duration timeout) {
  IPCKIT_ASSIGN_OR_RETURN(ChannelEndpoint * current, Current());
  return current->RecvInto(out, timeout);
}

}  // namespace ipckit
