// The demo over FileChannel: the parent is the backend, the child the frontend.
#include <filesystem>
#include <optional>
#include <string>
#include <system_error>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/time/time.h"
#include "cc/base/deadline.h"
#include "cc/base/error.h"
#include "cc/base/status_macros.h"
#include "cc/cli/internal/demo_util.h"
#include "cc/cli/internal/registry.h"
#include "cc/platform/io/child_process.h"
#include "cc/file_channel/file_channel.h"
#include "cc/file_channel/message.h"

namespace ipckit::cli {
namespace {

absl::Status DemoFileChannel(const std::string& self, std::ostream& out) {
  // The standard library's temp directory: TMPDIR or /tmp on Linux, %TEMP% on
  // Windows. The pid makes the name ours; a leftover of a dead demo with the
  // same pid is removed first.
  std::error_code error;
  std::filesystem::path path = std::filesystem::temp_directory_path(error) / UniqueName("file");
  if (error) return MakeError(absl::StatusCode::kInternal, kErrIo, "no temp directory: " + error.message());
  std::filesystem::remove_all(path, error);
  if (!std::filesystem::create_directory(path, error)) {
    return MakeError(absl::StatusCode::kInternal, kErrIo,
                     absl::StrCat("cannot create ", path.string(), ": ", error.message()));
  }
  std::string dir = path.string();
  IPCKIT_ASSIGN_OR_RETURN(FileChannel backend, FileChannel::Backend(dir));
  IPCKIT_ASSIGN_OR_RETURN(pid_t pid, SpawnChild(self, {"demo-peer", "file_channel", dir}));
  absl::StatusOr<Timing> timing = Measure(kFileRoundTrips, [&](int i) -> absl::Status {
    IPCKIT_ASSIGN_OR_RETURN(std::string id,
                            backend.SendRequest("echo", absl::StrCat("\"", Message(i), "\""),
                                                kStepTimeout));
    IPCKIT_ASSIGN_OR_RETURN(FileMessage reply, backend.WaitResponse(id, kStepTimeout));
    return CheckEcho("file_channel", i, reply.payload_json.size() >= 2
                                            ? absl::string_view(reply.payload_json)
                                                  .substr(1, reply.payload_json.size() - 2)
                                            : absl::string_view());
  });
  absl::Status stopped = backend.SendEvent("stop", "null", kStepTimeout).status();
  absl::Status reaped = Reap("file_channel", pid);
  std::filesystem::remove_all(path, error);
  IPCKIT_RETURN_IF_ERROR(stopped);
  IPCKIT_RETURN_IF_ERROR(reaped);
  if (!timing.ok()) return timing.status();
  timing->Print("file_channel", out);
  return absl::OkStatus();
}

absl::Status PeerFileChannel(const std::vector<std::string>& args) {
  if (args.size() != 2) return InvalidArgumentError("demo-peer file_channel DIR");
  IPCKIT_ASSIGN_OR_RETURN(FileChannel frontend, FileChannel::Frontend(args[1]));
  while (true) {
    IPCKIT_ASSIGN_OR_RETURN(std::optional<FileMessage> message, frontend.RecvOne(kStepTimeout));
    if (!message) return TimeoutError("file channel demo: no request from parent");
    if (message->type == MessageType::kEvent) return absl::OkStatus();  // "stop"
    IPCKIT_RETURN_IF_ERROR(
        frontend.SendResponse(message->id, message->payload_json, kStepTimeout).status());
  }
}

const DemoMethodRegistrar kFileChannel({"file_channel", 5, DemoFileChannel, PeerFileChannel});

}  // namespace
}  // namespace ipckit::cli
