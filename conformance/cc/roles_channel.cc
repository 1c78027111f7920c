// Live roles over IpcChannel: channel_server, channel_client (conformance/protocol.md).
#include <string>

#include "absl/time/time.h"
#include "cc/base/status_macros.h"
#include "cc/channel/ipc_channel.h"
#include "cc/channel/json_channel.h"
#include "cc/json/json.h"
#include "conformance/cc/internal/live_roles.h"
#include "conformance/cc/internal/testee_common.h"

namespace ipckit {
namespace conformance {
namespace {

Value ChannelSteps(IpcChannel& ch, const Value& steps, absl::Duration t, Alloc& a) {
  return RunSteps(steps, a, [&](const std::string& what, const Value& s, Value& r) -> absl::Status {
    if (what == "send") {
      IPCKIT_ASSIGN_OR_RETURN(std::string bytes, GetHex(s, "hex"));
      return ch.Send(bytes, t);
    }
    if (what == "send_json") {
      IPCKIT_ASSIGN_OR_RETURN(std::string text, GetString(s, "value_json"));
      IPCKIT_ASSIGN_OR_RETURN(Document value, json::Loads(text));
      return SendJson(ch, value, t);
    }
    if (what == "recv") {
      IPCKIT_ASSIGN_OR_RETURN(std::string bytes, ch.Recv(t));
      r = HexResult(bytes, a);
      return absl::OkStatus();
    }
    if (what == "recv_json") {
      IPCKIT_ASSIGN_OR_RETURN(Document value, RecvJson(ch, t));
      IPCKIT_ASSIGN_OR_RETURN(std::string canonical, json::Dumps(value));
      r.SetObject().AddMember("canonical", Str(canonical, a), a);
      return absl::OkStatus();
    }
    return UnknownStep(what);
  });
}

absl::Status RunChannel(const std::string& role, const Value& req, absl::Duration t, Value& results,
                        Alloc& a) {
  IPCKIT_ASSIGN_OR_RETURN(std::string name, GetString(req, "name"));
  bool server = role == "channel_server";
  IPCKIT_ASSIGN_OR_RETURN(IpcChannel ch, server ? IpcChannel::Create(name) : IpcChannel::Connect(name, t));
  Ready();
  if (server) IPCKIT_RETURN_IF_ERROR(ch.WaitForClient(t));
  results = ChannelSteps(ch, req["steps"], t, a);
  return absl::OkStatus();
}

const RoleGroup kChannelRoles({"channel_server", "channel_client"}, RunChannel);

}  // namespace
}  // namespace conformance
}  // namespace ipckit
