// Live roles over FileChannel: file_backend, file_frontend (conformance/protocol.md).
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/time/time.h"
#include "cc/base/deadline.h"
#include "cc/base/error.h"
#include "cc/base/status_macros.h"
#include "cc/file_channel/file_channel.h"
#include "cc/file_channel/message.h"
#include "conformance/cc/internal/live_roles.h"
#include "conformance/cc/internal/testee_common.h"

namespace ipckit {
namespace conformance {
namespace {

Value MessageValue(const FileMessage& m, Alloc& a) {
  Value v(rapidjson::kObjectType);
  v.AddMember("id", Str(m.id, a), a);
  v.AddMember("timestamp", m.timestamp_ms, a);
  v.AddMember("type", Str(MessageTypeName(m.type), a), a);
  if (m.method) v.AddMember("method", Str(*m.method, a), a);
  if (m.reply_to) v.AddMember("reply_to", Str(*m.reply_to, a), a);
  v.AddMember("payload_json", Str(m.payload_json, a), a);
  if (m.error) v.AddMember("error", Str(*m.error, a), a);
  return v;
}

Value FileSteps(FileChannel& ch, const Value& steps, absl::Duration t, Alloc& a, uint64_t* stamp) {
  std::vector<std::string> requests;  // ids of the requests received, in order
  std::vector<std::string> sent;      // per step: the id a send_request got
  auto request_id = [&](const Value& s) -> absl::StatusOr<std::string> {
    IPCKIT_ASSIGN_OR_RETURN(uint64_t k, GetU64(s, "request"));
    if (k >= requests.size()) return OutOfRangeError(absl::StrCat("no request #", k, " was received"));
    return requests[k];
  };
  return RunSteps(steps, a, [&](const std::string& what, const Value& s, Value& r) -> absl::Status {
    sent.emplace_back();
    if (what == "send_request") {
      IPCKIT_ASSIGN_OR_RETURN(std::string method, GetString(s, "method"));
      IPCKIT_ASSIGN_OR_RETURN(std::string payload, GetString(s, "payload_json"));
      IPCKIT_ASSIGN_OR_RETURN(sent.back(), ch.SendRequest(method, payload, t));
      return absl::OkStatus();
    }
    if (what == "send_response" || what == "send_error") {
      IPCKIT_ASSIGN_OR_RETURN(std::string id, request_id(s));
      bool error = what == "send_error";
      IPCKIT_ASSIGN_OR_RETURN(std::string text, GetString(s, error ? "error" : "payload_json"));
      return (error ? ch.SendError(id, text, t) : ch.SendResponse(id, text, t)).status();
    }
    if (what == "send_event") {
      IPCKIT_ASSIGN_OR_RETURN(std::string name, GetString(s, "name"));
      IPCKIT_ASSIGN_OR_RETURN(std::string payload, GetString(s, "payload_json"));
      // "timestamp_ms": stamp this time (FileChannelOptions::clock reads it).
      *stamp = 0;
      if (s.HasMember("timestamp_ms")) {
        IPCKIT_ASSIGN_OR_RETURN(*stamp, GetU64(s, "timestamp_ms"));
      }
      return ch.SendEvent(name, payload, t).status();
    }
    if (what == "recv") {
      IPCKIT_ASSIGN_OR_RETURN(uint64_t count, GetU64(s, "count"));
      Deadline deadline = Deadline::After(t);
      Value messages(rapidjson::kArrayType);
      while (messages.Size() < count) {
        IPCKIT_ASSIGN_OR_RETURN(std::optional<FileMessage> m, ch.RecvOne(deadline.Remaining()));
        if (!m) return TimeoutError(absl::StrCat("received ", messages.Size(), " of ", count, " messages"));
        if (m->type == MessageType::kRequest) requests.push_back(m->id);
        messages.PushBack(MessageValue(*m, a), a);
      }
      r.SetObject().AddMember("messages", messages, a);
      return absl::OkStatus();
    }
    if (what == "wait_response") {
      IPCKIT_ASSIGN_OR_RETURN(uint64_t step, GetU64(s, "request_step"));
      if (step >= sent.size() || sent[step].empty()) return InvalidArgumentError("no such request step");
      IPCKIT_ASSIGN_OR_RETURN(FileMessage m, ch.WaitResponse(sent[step], t));
      Value response(rapidjson::kObjectType);
      response.AddMember("payload_json", Str(m.payload_json, a), a);
      if (m.error) response.AddMember("error", Str(*m.error, a), a);
      r.SetObject().AddMember("response", response, a);
      return absl::OkStatus();
    }
    return UnknownStep(what);
  });
}

absl::Status RunFile(const std::string& role, const Value& req, absl::Duration t, Value& results,
                     Alloc& a) {
  IPCKIT_ASSIGN_OR_RETURN(std::string dir, GetString(req, "dir"));
  auto stamp = std::make_shared<uint64_t>(0);  // a step's timestamp_ms, 0: the clock
  FileChannelOptions options;
  options.clock = [stamp] { return *stamp != 0 ? *stamp : NowUnixMs(); };
  IPCKIT_ASSIGN_OR_RETURN(FileChannel ch, FileChannel::Open(dir, role == "file_backend"
                                                                     ? FileChannelSide::kBackend
                                                                     : FileChannelSide::kFrontend,
                                                            options));
  Ready();
  results = FileSteps(ch, req["steps"], t, a, stamp.get());
  return absl::OkStatus();
}

const RoleGroup kFileRoles({"file_backend", "file_frontend"}, RunFile);

}  // namespace
}  // namespace conformance
}  // namespace ipckit
