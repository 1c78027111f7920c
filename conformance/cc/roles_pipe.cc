// Live roles over NamedPipe: pipe_server, pipe_client (conformance/protocol.md).
#include <string>

#include "absl/time/time.h"
#include "absl/types/span.h"
#include "cc/base/status_macros.h"
#include "cc/named_pipe/named_pipe.h"
#include "conformance/cc/internal/live_roles.h"
#include "conformance/cc/internal/testee_common.h"

namespace ipckit {
namespace conformance {
namespace {

Value PipeSteps(NamedPipe& pipe, const Value& steps, absl::Duration t, Alloc& a) {
  return RunSteps(steps, a, [&](const std::string& what, const Value& s, Value& r) -> absl::Status {
    if (what == "write") {
      IPCKIT_ASSIGN_OR_RETURN(std::string bytes, GetHex(s, "hex"));
      return pipe.WriteAll(bytes, t);
    }
    if (what == "read") {
      IPCKIT_ASSIGN_OR_RETURN(uint64_t size, GetU64(s, "size"));
      std::string buf(size, '\0');
      IPCKIT_RETURN_IF_ERROR(pipe.ReadExact(absl::MakeSpan(buf), t));
      r = HexResult(buf, a);
      return absl::OkStatus();
    }
    if (what == "read_to_end") {
      std::string all, buf(65536, '\0');
      for (;;) {
        IPCKIT_ASSIGN_OR_RETURN(size_t n, pipe.Read(absl::MakeSpan(buf), t));
        if (n == 0) break;
        all.append(buf.data(), n);
      }
      r = HexResult(all, a);
      return absl::OkStatus();
    }
    return UnknownStep(what);
  });
}

absl::Status RunPipe(const std::string& role, const Value& req, absl::Duration t, Value& results,
                     Alloc& a) {
  IPCKIT_ASSIGN_OR_RETURN(std::string name, GetString(req, "name"));
  bool server = role == "pipe_server";
  IPCKIT_ASSIGN_OR_RETURN(NamedPipe pipe, server ? NamedPipe::Create(name) : NamedPipe::Connect(name, t));
  Ready();
  if (server) IPCKIT_RETURN_IF_ERROR(pipe.WaitForClient(t));
  results = PipeSteps(pipe, req["steps"], t, a);
  return absl::OkStatus();
}

const RoleGroup kPipeRoles({"pipe_server", "pipe_client"}, RunPipe);

}  // namespace
}  // namespace conformance
}  // namespace ipckit
