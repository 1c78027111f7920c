// The C++ testee of the conformance suite: answers conformance/tester.py's
// requests (conformance/protocol.md) by calling the C++ core.
//
//   bazel build //conformance/cc:testee
//   python3 conformance/tester.py --impl cc --testee bazel-bin/conformance/cc/testee
//   python3 conformance/tester.py --matrix cc=bazel-bin/conformance/cc/testee py=...
//
// Requests arrive on stdin and answers leave on stdout, each as a u32
// little-endian length and UTF-8 JSON (parsed and written with RapidJSON, not
// with the core's JSON code under test). stderr carries nothing but crashes.
#include <cstdlib>
#include <cstdint>
#include <cstring>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/escaping.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "cc/base/deadline.h"
#include "cc/base/error.h"
#include "cc/base/status_macros.h"
#include "cc/base/version.h"
#include "cc/bridge/splice.h"
#include "cc/channel/frame.h"
#include "cc/channel/ipc_channel.h"
#include "cc/channel/json_channel.h"
#include "cc/file_channel/channel_file.h"
#include "cc/file_channel/file_channel.h"
#include "cc/file_channel/inbox.h"
#include "cc/file_channel/message.h"
#include "cc/json/json.h"
#include "cc/named_pipe/named_pipe.h"
#include "cc/platform/io/std_streams.h"
#include "cc/shm/shared_memory.h"
#include "cc/shm/shm_header.h"
#include "cc/shm_msg/event.h"
#include "cc/shm_msg/publisher.h"
#include "cc/shm_msg/rpc.h"
#include "cc/shm_msg/subscriber.h"
#include "rapidjson/document.h"
#include "rapidjson/stringbuffer.h"
#include "rapidjson/writer.h"

namespace ipckit {
namespace conformance {
namespace {

using rapidjson::Document;
using rapidjson::Value;
using Alloc = Document::AllocatorType;

constexpr int kProtocolVersion = 1;
constexpr uint32_t kMaxRequestBytes = 64u << 20;

// ---------------------------------------------------------------- protocol I/O

// The next request; nullopt at the end of stdin or on a request that is not
// a JSON object (the tester then sees the testee exit).
std::optional<Document> ReadRequest() {
  char header[4];
  if (!ReadStdinExact(header, 4)) return std::nullopt;
  uint32_t length = frame::DecodeHeader(header);
  if (length > kMaxRequestBytes) return std::nullopt;
  std::string body(length, '\0');
  if (!ReadStdinExact(body.data(), length)) return std::nullopt;
  Document doc;
  doc.Parse<rapidjson::kParseFullPrecisionFlag>(body.data(), body.size());
  if (doc.HasParseError() || !doc.IsObject()) return std::nullopt;
  return doc;
}

void WriteAnswer(const Value& answer) {
  rapidjson::StringBuffer buffer;
  rapidjson::Writer<rapidjson::StringBuffer> writer(buffer);
  answer.Accept(writer);
  std::string out(4, '\0');
  frame::EncodeHeader(static_cast<uint32_t>(buffer.GetSize()), out.data());
  out.append(buffer.GetString(), buffer.GetSize());
  if (!WriteStdoutAll(out)) std::_Exit(1);  // the tester is gone
}

// ------------------------------------------------------------ value helpers

Value Str(absl::string_view s, Alloc& a) {
  return Value(s.data(), static_cast<rapidjson::SizeType>(s.size()), a);
}

// {"ok":false,"error":<class>,"message":<text>}
Document FailAnswer(const absl::Status& status) {
  Document d(rapidjson::kObjectType);
  d.AddMember("ok", false, d.GetAllocator());
  d.AddMember("error", Str(ErrorClassOf(status), d.GetAllocator()), d.GetAllocator());
  d.AddMember("message", Str(status.message(), d.GetAllocator()), d.GetAllocator());
  return d;
}

// {"error":<class>,"message":<text>} as one step's result.
Value StepError(const absl::Status& status, Alloc& a) {
  Value v(rapidjson::kObjectType);
  v.AddMember("error", Str(ErrorClassOf(status), a), a);
  v.AddMember("message", Str(status.message(), a), a);
  return v;
}

absl::StatusOr<const Value*> Field(const Value& obj, const char* key) {
  if (!obj.IsObject()) return InvalidArgumentError(absl::StrCat("not an object where '", key, "' was expected"));
  auto it = obj.FindMember(key);
  if (it == obj.MemberEnd()) return InvalidArgumentError(absl::StrCat("request lacks '", key, "'"));
  return &it->value;
}

absl::StatusOr<std::string> GetString(const Value& obj, const char* key) {
  IPCKIT_ASSIGN_OR_RETURN(const Value* v, Field(obj, key));
  if (!v->IsString()) return InvalidArgumentError(absl::StrCat("'", key, "' is not a string"));
  return std::string(v->GetString(), v->GetStringLength());
}

// A number, or a string of decimal digits (the vectors' u64 fields).
absl::StatusOr<uint64_t> GetU64(const Value& obj, const char* key) {
  IPCKIT_ASSIGN_OR_RETURN(const Value* v, Field(obj, key));
  uint64_t n = 0;
  if (v->IsUint64()) return v->GetUint64();
  if (v->IsString() && absl::SimpleAtoi(absl::string_view(v->GetString(), v->GetStringLength()), &n)) {
    return n;
  }
  return InvalidArgumentError(absl::StrCat("'", key, "' is not an unsigned integer"));
}

absl::StatusOr<std::string> GetHex(const Value& obj, const char* key) {
  IPCKIT_ASSIGN_OR_RETURN(std::string hex, GetString(obj, key));
  if (hex.size() % 2 != 0 || hex.find_first_not_of("0123456789abcdefABCDEF") != std::string::npos) {
    return InvalidArgumentError(absl::StrCat("'", key, "' is not hex"));
  }
  return absl::HexStringToBytes(hex);
}

uint32_t MaxPayload(const Value& input) {
  auto it = input.FindMember("max_payload");
  return it != input.MemberEnd() && it->value.IsUint() ? it->value.GetUint() : frame::kDefaultMaxPayload;
}

// --------------------------------------------------------------- vector ops

using Op = absl::Status (*)(const Value& input, Value& out, Alloc& a);

absl::Status FrameEncode(const Value& in, Value& out, Alloc& a) {
  IPCKIT_ASSIGN_OR_RETURN(std::string payload, GetHex(in, "payload_hex"));
  IPCKIT_ASSIGN_OR_RETURN(std::string bytes, frame::EncodeFrame(payload, MaxPayload(in)));
  out.AddMember("hex", Str(absl::BytesToHexString(bytes), a), a);
  return absl::OkStatus();
}

absl::Status FrameDecode(const Value& in, Value& out, Alloc& a) {
  IPCKIT_ASSIGN_OR_RETURN(std::string stream, GetHex(in, "hex"));
  frame::DecodeResult result = frame::DecodeFrames(stream, MaxPayload(in));
  Value payloads(rapidjson::kArrayType);
  for (const std::string& p : result.payloads) payloads.PushBack(Str(absl::BytesToHexString(p), a), a);
  out.AddMember("payloads_hex", payloads, a);
  // A bad stream is part of the output: frames before the error still count.
  if (!result.status.ok()) out.AddMember("error", Str(ErrorClassOf(result.status), a), a);
  return absl::OkStatus();
}

absl::Status ShmHeaderBuild(const Value& in, Value& out, Alloc& a) {
  shm::HeaderFields f;
  IPCKIT_ASSIGN_OR_RETURN(f.user_size, GetU64(in, "user_size"));
  IPCKIT_ASSIGN_OR_RETURN(uint64_t pid, GetU64(in, "creator_pid"));
  IPCKIT_ASSIGN_OR_RETURN(uint64_t ns, GetU64(in, "creator_pid_namespace"));
  f.creator_pid = static_cast<uint32_t>(pid);
  f.creator_pid_namespace = static_cast<uint32_t>(ns);
  IPCKIT_ASSIGN_OR_RETURN(f.creator_start_time, GetU64(in, "creator_start_time"));
  IPCKIT_ASSIGN_OR_RETURN(f.creation_time_ns, GetU64(in, "creation_time_ns"));
  IPCKIT_ASSIGN_OR_RETURN(std::string state, GetString(in, "state"));
  f.state = state == "ready" ? shm::SegmentState::kReady : shm::SegmentState::kInitializing;
  IPCKIT_ASSIGN_OR_RETURN(std::string header, shm::BuildHeader(f));
  out.AddMember("hex", Str(absl::BytesToHexString(header), a), a);
  return absl::OkStatus();
}

absl::Status ShmHeaderParse(const Value& in, Value& out, Alloc& a) {
  IPCKIT_ASSIGN_OR_RETURN(std::string head, GetHex(in, "hex"));
  IPCKIT_ASSIGN_OR_RETURN(uint64_t object_size, GetU64(in, "object_size"));
  IPCKIT_ASSIGN_OR_RETURN(shm::HeaderFields f, shm::ParseHeader(head, object_size));
  out.AddMember("format_version", f.format_version, a);
  out.AddMember("header_size", f.header_size, a);
  out.AddMember("flags", f.flags, a);
  out.AddMember("user_size", Str(absl::StrCat(f.user_size), a), a);
  out.AddMember("data_offset", Str(absl::StrCat(f.data_offset), a), a);
  out.AddMember("creator_pid", f.creator_pid, a);
  out.AddMember("creator_pid_namespace", f.creator_pid_namespace, a);
  out.AddMember("creator_start_time", Str(absl::StrCat(f.creator_start_time), a), a);
  out.AddMember("creation_time_ns", Str(absl::StrCat(f.creation_time_ns), a), a);
  out.AddMember("state", Str(shm::SegmentStateName(f.state), a), a);
  out.AddMember("checksum", f.checksum, a);
  return absl::OkStatus();
}

// The value a json_dumps case describes: value_json, f64_bits or string_hex.
absl::StatusOr<Document> DumpsInput(const Value& in) {
  if (in.HasMember("value_json")) {
    IPCKIT_ASSIGN_OR_RETURN(std::string text, GetString(in, "value_json"));
    return json::Loads(text);
  }
  Document d;
  if (in.HasMember("f64_bits")) {
    IPCKIT_ASSIGN_OR_RETURN(std::string bits, GetHex(in, "f64_bits"));
    if (bits.size() != 8) return InvalidArgumentError("'f64_bits' is not 16 hex digits");
    uint64_t u = 0;
    for (unsigned char c : bits) u = (u << 8) | c;  // most significant first
    double x;
    std::memcpy(&x, &u, sizeof x);
    d.SetDouble(x);
    return d;
  }
  IPCKIT_ASSIGN_OR_RETURN(std::string bytes, GetHex(in, "string_hex"));
  d.SetString(bytes.data(), static_cast<rapidjson::SizeType>(bytes.size()), d.GetAllocator());
  return d;
}

absl::Status JsonDumps(const Value& in, Value& out, Alloc& a) {
  IPCKIT_ASSIGN_OR_RETURN(Document value, DumpsInput(in));
  IPCKIT_ASSIGN_OR_RETURN(std::string text, json::Dumps(value));
  out.AddMember("text", Str(text, a), a);
  return absl::OkStatus();
}

absl::Status JsonDumpsPretty(const Value& in, Value& out, Alloc& a) {
  IPCKIT_ASSIGN_OR_RETURN(Document value, DumpsInput(in));
  IPCKIT_ASSIGN_OR_RETURN(std::string text, json::DumpsPretty(value));
  out.AddMember("text", Str(text, a), a);
  return absl::OkStatus();
}

absl::Status JsonLoads(const Value& in, Value& out, Alloc& a) {
  std::string text;
  if (in.HasMember("text_hex")) {
    IPCKIT_ASSIGN_OR_RETURN(text, GetHex(in, "text_hex"));
  } else {
    IPCKIT_ASSIGN_OR_RETURN(text, GetString(in, "text"));
  }
  IPCKIT_ASSIGN_OR_RETURN(Document doc, json::Loads(text));
  IPCKIT_ASSIGN_OR_RETURN(std::string canonical, json::Dumps(doc));
  out.AddMember("canonical", Str(canonical, a), a);
  return absl::OkStatus();
}

// A protocol message object as a FileMessage; the payload value becomes its
// compact text through the core's writer.
absl::StatusOr<FileMessage> MessageFromValue(const Value& v) {
  FileMessage m;
  IPCKIT_ASSIGN_OR_RETURN(m.id, GetString(v, "id"));
  IPCKIT_ASSIGN_OR_RETURN(m.timestamp_ms, GetU64(v, "timestamp"));
  IPCKIT_ASSIGN_OR_RETURN(std::string type, GetString(v, "type"));
  IPCKIT_ASSIGN_OR_RETURN(m.type, ParseMessageType(type));
  for (auto [key, field] : {std::pair{"method", &m.method}, std::pair{"reply_to", &m.reply_to},
                            std::pair{"error", &m.error}, std::pair{"sender", &m.sender}}) {
    auto it = v.FindMember(key);
    if (it == v.MemberEnd() || it->value.IsNull()) continue;
    IPCKIT_ASSIGN_OR_RETURN(*field, GetString(v, key));
  }
  auto seq = v.FindMember("seq");
  if (seq != v.MemberEnd() && !seq->value.IsNull()) {
    IPCKIT_ASSIGN_OR_RETURN(m.seq, GetU64(v, "seq"));
  }
  auto payload = v.FindMember("payload");
  if (payload != v.MemberEnd()) {
    IPCKIT_ASSIGN_OR_RETURN(m.payload_json, json::Dumps(payload->value));
  }
  return m;
}

// A FileMessage as the protocol object of file_channel_parse.
absl::StatusOr<Value> MessageToValue(const FileMessage& m, Alloc& a) {
  Value v(rapidjson::kObjectType);
  v.AddMember("id", Str(m.id, a), a);
  v.AddMember("timestamp", m.timestamp_ms, a);
  v.AddMember("type", Str(MessageTypeName(m.type), a), a);
  if (m.method) v.AddMember("method", Str(*m.method, a), a);
  if (m.reply_to) v.AddMember("reply_to", Str(*m.reply_to, a), a);
  Document payload;
  payload.Parse<rapidjson::kParseFullPrecisionFlag>(m.payload_json.data(), m.payload_json.size());
  if (payload.HasParseError()) return CorruptError("payload_json is not JSON: " + m.payload_json);
  v.AddMember("payload", Value(payload, a), a);
  if (m.error) v.AddMember("error", Str(*m.error, a), a);
  if (m.seq) v.AddMember("seq", *m.seq, a);
  if (m.sender) v.AddMember("sender", Str(*m.sender, a), a);
  return v;
}

absl::StatusOr<std::string> TextInput(const Value& in) {
  if (in.HasMember("text_hex")) return GetHex(in, "text_hex");
  return GetString(in, "text");
}

absl::Status FileChannelParse(const Value& in, Value& out, Alloc& a) {
  IPCKIT_ASSIGN_OR_RETURN(std::string text, TextInput(in));
  IPCKIT_ASSIGN_OR_RETURN(std::vector<FileMessage> messages, ParseChannelFile(text, "vector input"));
  Value list(rapidjson::kArrayType);
  for (const FileMessage& m : messages) {
    IPCKIT_ASSIGN_OR_RETURN(Value v, MessageToValue(m, a));
    list.PushBack(v, a);
  }
  out.AddMember("messages", list, a);
  return absl::OkStatus();
}

absl::Status FileChannelCompose(const Value& in, Value& out, Alloc& a) {
  IPCKIT_ASSIGN_OR_RETURN(const Value* message, Field(in, "message"));
  IPCKIT_ASSIGN_OR_RETURN(FileMessage m, MessageFromValue(*message));
  IPCKIT_ASSIGN_OR_RETURN(std::string text, ComposeMessage(m));
  out.AddMember("text", Str(text, a), a);
  return absl::OkStatus();
}

Value IdList(const std::vector<FileMessage>& messages, Alloc& a) {
  Value ids(rapidjson::kArrayType);
  for (const FileMessage& m : messages) ids.PushBack(Str(m.id, a), a);
  return ids;
}

// Writers append `sends` to `existing`, one write each, under the retention
// rules; then a reader that last read `reader_seen` reads the result.
absl::Status FileChannelMerge(const Value& in, Value& out, Alloc& a) {
  std::string existing, seen;
  bool reader_saw = false;
  if (in.HasMember("existing") && !in["existing"].IsNull()) {
    IPCKIT_ASSIGN_OR_RETURN(existing, GetString(in, "existing"));
  }
  if (in.HasMember("reader_seen") && !in["reader_seen"].IsNull()) {
    IPCKIT_ASSIGN_OR_RETURN(seen, GetString(in, "reader_seen"));
    reader_saw = true;
  }
  RetentionPolicy retention;
  IPCKIT_ASSIGN_OR_RETURN(retention.max_messages, GetU64(in, "max_messages"));
  IPCKIT_ASSIGN_OR_RETURN(uint64_t min_age_ms, GetU64(in, "min_age_ms"));
  retention.min_age = absl::Milliseconds(min_age_ms);
  IPCKIT_ASSIGN_OR_RETURN(uint64_t now_ms, GetU64(in, "now_ms"));
  uint64_t max_file_bytes = kDefaultMaxFileBytes;
  if (in.HasMember("max_file_bytes")) {
    IPCKIT_ASSIGN_OR_RETURN(max_file_bytes, GetU64(in, "max_file_bytes"));
  }
  IPCKIT_ASSIGN_OR_RETURN(const Value* sends, Field(in, "sends"));
  if (!sends->IsArray()) return InvalidArgumentError("'sends' is not an array");
  // Each send is one write: append, then prune (so retention applies between sends).
  std::string text = existing;
  for (const Value& send : sends->GetArray()) {
    IPCKIT_ASSIGN_OR_RETURN(FileMessage m, MessageFromValue(send));
    IPCKIT_ASSIGN_OR_RETURN(std::string message, ComposeMessage(m));
    IPCKIT_ASSIGN_OR_RETURN(AppendResult merged, AppendToChannelText(text, "existing", {message}, retention,
                                                                     now_ms, max_file_bytes));
    text = std::move(merged.text);
  }
  IPCKIT_ASSIGN_OR_RETURN(std::vector<FileMessage> in_file, ParseChannelFile(text, "merged"));
  out.AddMember("text", Str(text, a), a);
  out.AddMember("file_ids", IdList(in_file, a), a);
  InboxTracker reader;
  if (reader_saw) {
    IPCKIT_RETURN_IF_ERROR(reader.TakeNew(seen, "reader_seen").status());
  }
  absl::StatusOr<std::vector<FileMessage>> fresh = reader.TakeNew(text, "merged");
  if (fresh.ok()) {
    out.AddMember("new_ids", IdList(*fresh, a), a);
    return absl::OkStatus();
  }
  // A detected gap is reported once; the next read delivers what is there.
  out.AddMember("reader_error", Str(ErrorClassOf(fresh.status()), a), a);
  IPCKIT_ASSIGN_OR_RETURN(std::vector<FileMessage> after, reader.TakeNew(text, "merged"));
  out.AddMember("new_ids_after_error", IdList(after, a), a);
  return absl::OkStatus();
}

absl::Status BridgeSpliceApply(const Value& in, Value& out, Alloc& a) {
  bridge::Splice splice;
  IPCKIT_ASSIGN_OR_RETURN(uint64_t at, GetU64(in, "at"));
  IPCKIT_ASSIGN_OR_RETURN(uint64_t from, GetU64(in, "from"));
  IPCKIT_ASSIGN_OR_RETURN(uint64_t to, GetU64(in, "to"));
  splice.at = at;
  splice.from = from;
  splice.to = to;
  IPCKIT_ASSIGN_OR_RETURN(splice.body, GetHex(in, "body_hex"));
  IPCKIT_ASSIGN_OR_RETURN(std::string base, GetHex(in, "base_hex"));
  IPCKIT_ASSIGN_OR_RETURN(std::string rebuilt, bridge::ApplySplice(base, splice));
  out.AddMember("hex", Str(absl::BytesToHexString(rebuilt), a), a);
  return absl::OkStatus();
}

struct NamedOp {
  const char* name;
  Op op;
};
constexpr NamedOp kOps[] = {
    {"frame_encode", FrameEncode},   {"frame_decode", FrameDecode},
    {"shm_header_build", ShmHeaderBuild}, {"shm_header_parse", ShmHeaderParse},
    {"json_dumps", JsonDumps},       {"json_dumps_pretty", JsonDumpsPretty},
    {"json_loads", JsonLoads},
    {"file_channel_parse", FileChannelParse}, {"file_channel_compose", FileChannelCompose},
    {"file_channel_merge", FileChannelMerge}, {"bridge_splice_apply", BridgeSpliceApply},
};
constexpr const char* kRoles[] = {"channel_server", "channel_client", "pipe_server", "pipe_client",
                                  "shm_create",     "shm_open",       "file_backend", "file_frontend",
                                  "shm_msg_publisher", "shm_msg_subscriber", "shm_notifier",
                                  "shm_listener",   "shm_rpc_server", "shm_rpc_client"};

// ---------------------------------------------------------------- live roles

// Runs `steps` through `step` (one call per step), handling "await" itself.
// Returns the results array; a failed step ends the script.
template <typename StepFn>
Value RunSteps(const Value& steps, Alloc& a, StepFn step) {
  Value results(rapidjson::kArrayType);
  for (const Value& s : steps.GetArray()) {
    absl::StatusOr<std::string> what = GetString(s, "do");
    if (what.ok() && *what == "await") {
      Document waiting(rapidjson::kObjectType);
      waiting.AddMember("ok", true, waiting.GetAllocator());
      waiting.AddMember("waiting", true, waiting.GetAllocator());
      WriteAnswer(waiting);
      std::optional<Document> next = ReadRequest();  // {"op":"continue"}
      if (!next) std::_Exit(0);
      results.PushBack(Value(), a);
      continue;
    }
    Value r;
    absl::Status status = what.ok() ? step(*what, s, r) : what.status();
    if (!status.ok()) {
      results.PushBack(StepError(status, a), a);
      break;
    }
    results.PushBack(r, a);
  }
  return results;
}

Value HexResult(absl::string_view bytes, Alloc& a) {
  Value r(rapidjson::kObjectType);
  r.AddMember("hex", Str(absl::BytesToHexString(bytes), a), a);
  return r;
}

absl::Status UnknownStep(absl::string_view what) {
  return InvalidArgumentError(absl::StrCat("unknown step '", what, "'"));
}

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

Value ShmSteps(SharedMemory& shm, const Value& steps, Alloc& a) {
  return RunSteps(steps, a, [&](const std::string& what, const Value& s, Value& r) -> absl::Status {
    if (what == "size") {
      r.SetObject().AddMember("size", static_cast<uint64_t>(shm.size()), a);
      return absl::OkStatus();
    }
    IPCKIT_ASSIGN_OR_RETURN(uint64_t offset, GetU64(s, "offset"));
    if (what == "write") {
      IPCKIT_ASSIGN_OR_RETURN(std::string bytes, GetHex(s, "hex"));
      return shm.Write(offset, bytes);
    }
    if (what == "read") {
      IPCKIT_ASSIGN_OR_RETURN(uint64_t size, GetU64(s, "size"));
      IPCKIT_ASSIGN_OR_RETURN(std::string bytes, shm.Read(offset, size));
      r = HexResult(bytes, a);
      return absl::OkStatus();
    }
    return UnknownStep(what);
  });
}

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

// ------------------------------------------------ shared-memory messaging roles
// The configurations are conformance/protocol.md's.

shm_msg::ServiceConfig ShmMsgConfig() {
  shm_msg::ServiceConfig c;
  c.max_payload = 65536;
  c.max_subscribers = 2;
  c.subscriber_buffer = 16;
  c.history = 2;
  c.max_held = 2;
  return c;
}

shm_msg::RpcOptions ShmRpcOptions(absl::Duration t) {
  shm_msg::RpcOptions o;
  o.max_clients = 2;
  o.max_servers = 2;
  o.max_request = 65536;
  o.max_response = 65536;
  o.max_in_flight = 8;
  o.open_timeout = t;
  return o;
}

// Ends the process at once, as SIGKILL would: nothing is closed.
[[noreturn]] void DieNow() { std::_Exit(9); }

Value PublisherSteps(shm_msg::Publisher& pub, const Value& steps, absl::Duration t, Alloc& a) {
  std::vector<shm_msg::LoanedSample> loans;
  return RunSteps(steps, a, [&](const std::string& what, const Value& s, Value& r) -> absl::Status {
    if (what == "send") {
      IPCKIT_ASSIGN_OR_RETURN(std::string bytes, GetHex(s, "hex"));
      return pub.SendCopy(bytes, t);
    }
    if (what == "loan") {
      IPCKIT_ASSIGN_OR_RETURN(std::string bytes, GetHex(s, "hex"));
      IPCKIT_ASSIGN_OR_RETURN(shm_msg::LoanedSample loan, pub.Loan(bytes.size()));
      if (!bytes.empty()) std::memcpy(loan.data().data(), bytes.data(), bytes.size());
      loans.push_back(std::move(loan));
      return absl::OkStatus();
    }
    if (what == "die") DieNow();
    return UnknownStep(what);
  });
}

Value SubscriberSteps(shm_msg::Subscriber& sub, const Value& steps, absl::Duration t, Alloc& a) {
  std::vector<shm_msg::Sample> held;
  return RunSteps(steps, a, [&](const std::string& what, const Value& s, Value& r) -> absl::Status {
    if (what == "recv") {
      IPCKIT_ASSIGN_OR_RETURN(shm_msg::Sample sample, sub.Receive(t));
      r = HexResult(sample.view(), a);
      r.AddMember("sequence", Value(static_cast<uint64_t>(sample.sequence())), a);
      auto hold = s.FindMember("hold");
      if (hold != s.MemberEnd() && hold->value.IsTrue()) held.push_back(std::move(sample));
      return absl::OkStatus();
    }
    if (what == "die") DieNow();
    return UnknownStep(what);
  });
}

Value NotifierSteps(shm_msg::Notifier& notifier, const Value& steps, Alloc& a) {
  return RunSteps(steps, a, [&](const std::string& what, const Value& s, Value& r) -> absl::Status {
    if (what == "notify") {
      IPCKIT_ASSIGN_OR_RETURN(uint64_t id, GetU64(s, "event_id"));
      return notifier.Notify(id);
    }
    if (what == "die") DieNow();
    return UnknownStep(what);
  });
}

Value ListenerSteps(shm_msg::Listener& listener, const Value& steps, absl::Duration t, Alloc& a) {
  return RunSteps(steps, a, [&](const std::string& what, const Value& s, Value& r) -> absl::Status {
    if (what == "wait_event") {
      IPCKIT_ASSIGN_OR_RETURN(uint64_t id, listener.Wait(t));
      r.SetObject().AddMember("event_id", Str(absl::StrCat(id), a), a);
      return absl::OkStatus();
    }
    if (what == "die") DieNow();
    return UnknownStep(what);
  });
}

Value RpcServerSteps(shm_msg::Server& server, const Value& steps, absl::Duration t, Alloc& a) {
  std::vector<shm_msg::Request> requests;
  return RunSteps(steps, a, [&](const std::string& what, const Value& s, Value& r) -> absl::Status {
    if (what == "recv_request") {
      IPCKIT_ASSIGN_OR_RETURN(shm_msg::Request request, server.Receive(t));
      r = HexResult(request.view(), a);
      requests.push_back(std::move(request));
      return absl::OkStatus();
    }
    if (what == "respond") {
      IPCKIT_ASSIGN_OR_RETURN(uint64_t k, GetU64(s, "request"));
      IPCKIT_ASSIGN_OR_RETURN(std::string bytes, GetHex(s, "hex"));
      if (k >= requests.size()) return InvalidArgumentError("no such request");
      return server.Respond(requests[k], bytes, t);
    }
    if (what == "die") DieNow();
    return UnknownStep(what);
  });
}

Value RpcClientSteps(shm_msg::Client& client, const Value& steps, absl::Duration t, Alloc& a) {
  std::vector<uint64_t> ids;  // by step index; 0 for other steps
  return RunSteps(steps, a, [&](const std::string& what, const Value& s, Value& r) -> absl::Status {
    const size_t index = ids.size();
    ids.push_back(0);
    if (what == "send_request") {
      IPCKIT_ASSIGN_OR_RETURN(std::string bytes, GetHex(s, "hex"));
      IPCKIT_ASSIGN_OR_RETURN(ids[index], client.Send(bytes, t));
      return absl::OkStatus();
    }
    if (what == "wait_response") {
      IPCKIT_ASSIGN_OR_RETURN(uint64_t step, GetU64(s, "request_step"));
      if (step >= index || ids[step] == 0) return InvalidArgumentError("no such request step");
      IPCKIT_ASSIGN_OR_RETURN(shm_msg::Response response, client.Receive(ids[step], t));
      r = HexResult(response.view(), a);
      return absl::OkStatus();
    }
    if (what == "die") DieNow();
    return UnknownStep(what);
  });
}

void Ready() {
  Document d(rapidjson::kObjectType);
  d.AddMember("ok", true, d.GetAllocator());
  d.AddMember("ready", true, d.GetAllocator());
  WriteAnswer(d);
}

// Opens the role's object, acks, runs the steps, closes the object, then
// writes the final answer (so a peer waiting for our close sees it first).
void RunLive(const Value& req) {
  Document final_answer(rapidjson::kObjectType);
  Alloc& a = final_answer.GetAllocator();
  absl::Status status = [&]() -> absl::Status {
    IPCKIT_ASSIGN_OR_RETURN(std::string role, GetString(req, "role"));
    IPCKIT_ASSIGN_OR_RETURN(const Value* steps, Field(req, "steps"));
    if (!steps->IsArray()) return InvalidArgumentError("'steps' is not an array");
    IPCKIT_ASSIGN_OR_RETURN(uint64_t timeout_ms, GetU64(req, "timeout_ms"));
    absl::Duration t = absl::Milliseconds(timeout_ms);
    Value results;
    if (role == "channel_server" || role == "channel_client") {
      IPCKIT_ASSIGN_OR_RETURN(std::string name, GetString(req, "name"));
      bool server = role == "channel_server";
      IPCKIT_ASSIGN_OR_RETURN(IpcChannel ch, server ? IpcChannel::Create(name) : IpcChannel::Connect(name, t));
      Ready();
      if (server) IPCKIT_RETURN_IF_ERROR(ch.WaitForClient(t));
      results = ChannelSteps(ch, *steps, t, a);
    } else if (role == "pipe_server" || role == "pipe_client") {
      IPCKIT_ASSIGN_OR_RETURN(std::string name, GetString(req, "name"));
      bool server = role == "pipe_server";
      IPCKIT_ASSIGN_OR_RETURN(NamedPipe pipe, server ? NamedPipe::Create(name) : NamedPipe::Connect(name, t));
      Ready();
      if (server) IPCKIT_RETURN_IF_ERROR(pipe.WaitForClient(t));
      results = PipeSteps(pipe, *steps, t, a);
    } else if (role == "shm_create" || role == "shm_open") {
      IPCKIT_ASSIGN_OR_RETURN(std::string name, GetString(req, "name"));
      bool create = role == "shm_create";
      uint64_t size = 0;
      if (create) {
        IPCKIT_ASSIGN_OR_RETURN(size, GetU64(req, "size"));
      }
      IPCKIT_ASSIGN_OR_RETURN(SharedMemory shm, create ? SharedMemory::Create(name, size) : SharedMemory::Open(name, t));
      Ready();
      results = ShmSteps(shm, *steps, a);
    } else if (role == "file_backend" || role == "file_frontend") {
      IPCKIT_ASSIGN_OR_RETURN(std::string dir, GetString(req, "dir"));
      auto stamp = std::make_shared<uint64_t>(0);  // a step's timestamp_ms, 0: the clock
      FileChannelOptions options;
      options.clock = [stamp] { return *stamp != 0 ? *stamp : NowUnixMs(); };
      IPCKIT_ASSIGN_OR_RETURN(FileChannel ch, FileChannel::Open(dir, role == "file_backend"
                                                                         ? FileChannelSide::kBackend
                                                                         : FileChannelSide::kFrontend,
                                                                options));
      Ready();
      results = FileSteps(ch, *steps, t, a, stamp.get());
    } else if (role == "shm_msg_publisher" || role == "shm_msg_subscriber") {
      IPCKIT_ASSIGN_OR_RETURN(std::string name, GetString(req, "name"));
      if (role == "shm_msg_publisher") {
        shm_msg::PublisherOptions options;
        options.open_timeout = t;
        IPCKIT_ASSIGN_OR_RETURN(shm_msg::Publisher pub,
                                shm_msg::Publisher::Create(name, ShmMsgConfig(), options));
        Ready();
        results = PublisherSteps(pub, *steps, t, a);
      } else {
        shm_msg::SubscriberOptions options;
        options.open_timeout = t;
        IPCKIT_ASSIGN_OR_RETURN(shm_msg::Subscriber sub,
                                shm_msg::Subscriber::Create(name, ShmMsgConfig(), options));
        Ready();
        results = SubscriberSteps(sub, *steps, t, a);
      }
    } else if (role == "shm_notifier" || role == "shm_listener") {
      IPCKIT_ASSIGN_OR_RETURN(std::string name, GetString(req, "name"));
      shm_msg::EventOptions options;  // 8 listeners, 64 queued: as protocol.md says
      options.open_timeout = t;
      if (role == "shm_notifier") {
        IPCKIT_ASSIGN_OR_RETURN(shm_msg::Notifier notifier, shm_msg::Notifier::Create(name, options));
        Ready();
        results = NotifierSteps(notifier, *steps, a);
      } else {
        IPCKIT_ASSIGN_OR_RETURN(shm_msg::Listener listener, shm_msg::Listener::Create(name, options));
        Ready();
        results = ListenerSteps(listener, *steps, t, a);
      }
    } else if (role == "shm_rpc_server" || role == "shm_rpc_client") {
      IPCKIT_ASSIGN_OR_RETURN(std::string name, GetString(req, "name"));
      if (role == "shm_rpc_server") {
        IPCKIT_ASSIGN_OR_RETURN(shm_msg::Server server, shm_msg::Server::Create(name, ShmRpcOptions(t)));
        Ready();
        results = RpcServerSteps(server, *steps, t, a);
      } else {
        IPCKIT_ASSIGN_OR_RETURN(shm_msg::Client client, shm_msg::Client::Create(name, ShmRpcOptions(t)));
        Ready();
        results = RpcClientSteps(client, *steps, t, a);
      }
    } else {
      return InvalidArgumentError(absl::StrCat("unknown role '", role, "'"));
    }
    Value output(rapidjson::kObjectType);
    output.AddMember("results", results, a);
    final_answer.AddMember("ok", true, a);
    final_answer.AddMember("output", output, a);
    return absl::OkStatus();
  }();
  if (status.ok()) {
    WriteAnswer(final_answer);
  } else {
    WriteAnswer(FailAnswer(status));
  }
}

// ------------------------------------------------------------------ main loop

Document Hello() {
  Document d(rapidjson::kObjectType);
  Alloc& a = d.GetAllocator();
  d.AddMember("ok", true, a);
  d.AddMember("impl", "cc", a);
  d.AddMember("impl_version", Str(kLibraryVersion, a), a);
  d.AddMember("format_version", kFormatVersion, a);
  d.AddMember("protocol_version", kProtocolVersion, a);
  d.AddMember("json_objects", "ordered", a);
  Value ops(rapidjson::kArrayType), roles(rapidjson::kArrayType);
  for (const NamedOp& op : kOps) ops.PushBack(Value(rapidjson::StringRef(op.name)), a);
  ops.PushBack("live", a);
  for (const char* role : kRoles) roles.PushBack(Value(rapidjson::StringRef(role)), a);
  d.AddMember("ops", ops, a);
  d.AddMember("roles", roles, a);
  return d;
}

int Main() {
  while (std::optional<Document> req = ReadRequest()) {
    absl::StatusOr<std::string> op = GetString(*req, "op");
    if (!op.ok()) {
      WriteAnswer(FailAnswer(op.status()));
      continue;
    }
    if (*op == "bye") return 0;
    if (*op == "hello") {
      WriteAnswer(Hello());
      continue;
    }
    if (*op == "live") {
      RunLive(*req);
      continue;
    }
    const NamedOp* found = nullptr;
    for (const NamedOp& named : kOps) {
      if (*op == named.name) found = &named;
    }
    auto input = req->FindMember("input");
    if (found == nullptr || input == req->MemberEnd() || !input->value.IsObject()) {
      WriteAnswer(FailAnswer(InvalidArgumentError(absl::StrCat("unsupported request '", *op, "'"))));
      continue;
    }
    Document answer(rapidjson::kObjectType);
    Value output(rapidjson::kObjectType);
    absl::Status status = found->op(input->value, output, answer.GetAllocator());
    if (!status.ok()) {
      WriteAnswer(FailAnswer(status));
      continue;
    }
    answer.AddMember("ok", true, answer.GetAllocator());
    answer.AddMember("output", output, answer.GetAllocator());
    WriteAnswer(answer);
  }
  return 0;
}

}  // namespace
}  // namespace conformance
}  // namespace ipckit

int main() { return ipckit::conformance::Main(); }
