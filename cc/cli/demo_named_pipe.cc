// The demo over NamedPipe: the child connects by name.
#include <string>
#include <vector>

#include "absl/types/span.h"
#include "absl/strings/str_cat.h"
#include "absl/time/time.h"
#include "cc/base/deadline.h"
#include "cc/base/error.h"
#include "cc/base/status_macros.h"
#include "cc/cli/internal/demo_util.h"
#include "cc/cli/internal/registry.h"
#include "cc/platform/io/child_process.h"
#include "cc/named_pipe/named_pipe.h"

namespace ipckit::cli {
namespace {

absl::Status DemoNamedPipe(const std::string& self, std::ostream& out) {
  std::string name = UniqueName("pipe");
  IPCKIT_ASSIGN_OR_RETURN(NamedPipe server, NamedPipe::Create(name));
  IPCKIT_ASSIGN_OR_RETURN(pid_t pid, SpawnChild(self, {"demo-peer", "named_pipe", name}));
  absl::Status accepted = server.WaitForClient(kStepTimeout);
  if (!accepted.ok()) {
    (void)Reap("named_pipe", pid);
    return accepted;
  }
  std::string buf(kMessageSize, '\0');
  absl::StatusOr<Timing> timing = Measure(kRoundTrips, [&](int i) -> absl::Status {
    IPCKIT_RETURN_IF_ERROR(server.WriteAll(Message(i), kStepTimeout));
    IPCKIT_RETURN_IF_ERROR(server.ReadExact(absl::MakeSpan(buf), kStepTimeout));
    return CheckEcho("named_pipe", i, buf);
  });
  server.Disconnect();
  IPCKIT_RETURN_IF_ERROR(Reap("named_pipe", pid));
  if (!timing.ok()) return timing.status();
  timing->Print("named_pipe", out);
  return absl::OkStatus();
}

absl::Status PeerNamedPipe(const std::vector<std::string>& args) {
  if (args.size() != 2) return InvalidArgumentError("demo-peer named_pipe NAME");
  IPCKIT_ASSIGN_OR_RETURN(NamedPipe client, NamedPipe::Connect(args[1], kStepTimeout));
  std::string buf(kMessageSize, '\0');
  while (true) {
    absl::Status read = client.ReadExact(absl::MakeSpan(buf), kStepTimeout);
    if (IsEnd(read)) return absl::OkStatus();
    IPCKIT_RETURN_IF_ERROR(read);
    IPCKIT_RETURN_IF_ERROR(client.WriteAll(buf, kStepTimeout));
  }
}

const DemoMethodRegistrar kNamedPipe({"named_pipe", 2, DemoNamedPipe, PeerNamedPipe});

}  // namespace
}  // namespace ipckit::cli
