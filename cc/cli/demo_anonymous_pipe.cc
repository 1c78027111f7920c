// The demo over AnonymousPipe: the child inherits one end of each pipe.
#include <string>
#include <vector>

#include "absl/strings/numbers.h"
#include "absl/types/span.h"
#include "absl/strings/str_cat.h"
#include "absl/time/time.h"
#include "cc/base/deadline.h"
#include "cc/base/error.h"
#include "cc/base/status_macros.h"
#include "cc/cli/internal/demo_util.h"
#include "cc/cli/internal/registry.h"
#include "cc/platform/io/child_process.h"
#include "cc/pipe/anonymous_pipe.h"

namespace ipckit::cli {
namespace {

absl::Status DemoAnonymousPipe(const std::string& self, std::ostream& out) {
  IPCKIT_ASSIGN_OR_RETURN(AnonymousPipe to_child, AnonymousPipe::Create());
  IPCKIT_ASSIGN_OR_RETURN(AnonymousPipe to_parent, AnonymousPipe::Create());
  // Only the ends the child uses are inherited across exec.
  IPCKIT_RETURN_IF_ERROR(AnonymousPipe::SetInheritable(to_child.reader_fd(), true));
  IPCKIT_RETURN_IF_ERROR(AnonymousPipe::SetInheritable(to_parent.writer_fd(), true));
  IPCKIT_ASSIGN_OR_RETURN(
      pid_t pid, SpawnChild(self, {"demo-peer", "anonymous_pipe", absl::StrCat(to_child.reader_fd()),
                                   absl::StrCat(to_parent.writer_fd())}));
  to_child.CloseReader();
  to_parent.CloseWriter();
  std::string buf(kMessageSize, '\0');
  absl::StatusOr<Timing> timing = Measure(kRoundTrips, [&](int i) -> absl::Status {
    IPCKIT_RETURN_IF_ERROR(to_child.WriteAll(Message(i), kStepTimeout));
    IPCKIT_RETURN_IF_ERROR(to_parent.ReadExact(absl::MakeSpan(buf), kStepTimeout));
    return CheckEcho("anonymous_pipe", i, buf);
  });
  to_child.CloseWriter();  // The peer's read sees EOF and it exits.
  IPCKIT_RETURN_IF_ERROR(Reap("anonymous_pipe", pid));
  if (!timing.ok()) return timing.status();
  timing->Print("anonymous_pipe", out);
  return absl::OkStatus();
}

absl::Status PeerAnonymousPipe(const std::vector<std::string>& args) {
  int reader = -1, writer = -1;
  if (args.size() != 3 || !absl::SimpleAtoi(args[1], &reader) || !absl::SimpleAtoi(args[2], &writer)) {
    return InvalidArgumentError("demo-peer anonymous_pipe READER_FD WRITER_FD");
  }
  IPCKIT_ASSIGN_OR_RETURN(AnonymousPipe pipe, AnonymousPipe::FromFds(reader, writer));
  std::string buf(kMessageSize, '\0');
  while (true) {
    absl::Status read = pipe.ReadExact(absl::MakeSpan(buf), kStepTimeout);
    if (ErrorClassOf(read) == kErrPeerClosed) return absl::OkStatus();  // Parent is done.
    IPCKIT_RETURN_IF_ERROR(read);
    IPCKIT_RETURN_IF_ERROR(pipe.WriteAll(buf, kStepTimeout));
  }
}

const DemoMethodRegistrar kAnonymousPipe({"anonymous_pipe", 1, DemoAnonymousPipe, PeerAnonymousPipe});

}  // namespace
}  // namespace ipckit::cli
