// The demo over IpcChannel: framed messages, the child connects by name.
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/time/time.h"
#include "cc/base/deadline.h"
#include "cc/base/error.h"
#include "cc/base/status_macros.h"
#include "cc/cli/internal/demo_util.h"
#include "cc/cli/internal/registry.h"
#include "cc/platform/io/child_process.h"
#include "cc/channel/ipc_channel.h"

namespace ipckit::cli {
namespace {

absl::Status DemoIpcChannel(const std::string& self, std::ostream& out) {
  std::string name = UniqueName("channel");
  IPCKIT_ASSIGN_OR_RETURN(IpcChannel server, IpcChannel::Create(name));
  IPCKIT_ASSIGN_OR_RETURN(pid_t pid, SpawnChild(self, {"demo-peer", "ipc_channel", name}));
  absl::Status accepted = server.WaitForClient(kStepTimeout);
  if (!accepted.ok()) {
    (void)Reap("ipc_channel", pid);
    return accepted;
  }
  std::string reply;
  absl::StatusOr<Timing> timing = Measure(kRoundTrips, [&](int i) -> absl::Status {
    IPCKIT_RETURN_IF_ERROR(server.Send(Message(i), kStepTimeout));
    IPCKIT_RETURN_IF_ERROR(server.RecvInto(&reply, kStepTimeout));
    return CheckEcho("ipc_channel", i, reply);
  });
  server.Disconnect();
  IPCKIT_RETURN_IF_ERROR(Reap("ipc_channel", pid));
  if (!timing.ok()) return timing.status();
  timing->Print("ipc_channel", out);
  return absl::OkStatus();
}

absl::Status PeerIpcChannel(const std::vector<std::string>& args) {
  if (args.size() != 2) return InvalidArgumentError("demo-peer ipc_channel NAME");
  IPCKIT_ASSIGN_OR_RETURN(IpcChannel client, IpcChannel::Connect(args[1], kStepTimeout));
  std::string message;
  while (true) {
    absl::Status got = client.RecvInto(&message, kStepTimeout);
    if (IsEnd(got)) return absl::OkStatus();
    IPCKIT_RETURN_IF_ERROR(got);
    IPCKIT_RETURN_IF_ERROR(client.Send(message, kStepTimeout));
  }
}

const DemoMethodRegistrar kIpcChannel({"ipc_channel", 4, DemoIpcChannel, PeerIpcChannel});

}  // namespace
}  // namespace ipckit::cli
