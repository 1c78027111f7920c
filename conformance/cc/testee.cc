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
// The vector ops are here; the live roles are in roles_*.cc, one file per
// core class, linked in only where that class builds (BUILD), so `hello`
// names the roles this binary plays (the Windows build has fewer).
#include <cstdint>
#include <cstring>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "cc/base/error.h"
#include "cc/base/status_macros.h"
#include "cc/base/version.h"
#include "cc/bridge/bridge_handler.h"
#include "cc/bridge/splice.h"
#include "cc/channel/frame.h"
#include "cc/file_channel/channel_file_format.h"
#include "cc/file_channel/channel_file_readers.h"
#include "cc/file_channel/inbox.h"
#include "cc/file_channel/message.h"
#include "cc/json/json.h"
#include "cc/shm/shm_header.h"
#include "cc/shm_msg/service_layout.h"
#include "conformance/cc/internal/live_roles.h"
#include "conformance/cc/internal/testee_common.h"
#include "conformance/cc/internal/testee_os.h"
#include "rapidjson/document.h"

namespace ipckit {
namespace conformance {
namespace {

constexpr int kProtocolVersion = 1;

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

// shm_msg service configs in the vectors: u64 fields as decimal strings, u32
// fields as numbers; max_publishers only where it is not 1 (format 2).
absl::StatusOr<shm_msg::ServiceConfig> ServiceConfigOf(const Value& in) {
  shm_msg::ServiceConfig c;
  auto u32 = [&](const char* key, uint32_t* field) -> absl::Status {
    IPCKIT_ASSIGN_OR_RETURN(uint64_t v, GetU64(in, key));
    if (v > UINT32_MAX) return InvalidArgumentError(absl::StrCat("'", key, "' is not a u32"));
    *field = static_cast<uint32_t>(v);
    return absl::OkStatus();
  };
  if (in.HasMember("max_publishers")) IPCKIT_RETURN_IF_ERROR(u32("max_publishers", &c.max_publishers));
  IPCKIT_RETURN_IF_ERROR(u32("max_subscribers", &c.max_subscribers));
  IPCKIT_ASSIGN_OR_RETURN(c.max_payload, GetU64(in, "max_payload"));
  IPCKIT_RETURN_IF_ERROR(u32("pool_slots", &c.pool_slots));
  IPCKIT_RETURN_IF_ERROR(u32("subscriber_buffer", &c.subscriber_buffer));
  IPCKIT_RETURN_IF_ERROR(u32("history", &c.history));
  IPCKIT_RETURN_IF_ERROR(u32("max_held", &c.max_held));
  uint32_t overflow = 0;
  IPCKIT_RETURN_IF_ERROR(u32("overflow", &overflow));
  c.overflow = static_cast<shm_msg::Overflow>(overflow);
  return c;
}

Value ServiceConfigValue(const shm_msg::ServiceConfig& c, Alloc& a) {
  Value v(rapidjson::kObjectType);
  if (c.max_publishers != 1) v.AddMember("max_publishers", c.max_publishers, a);
  v.AddMember("max_subscribers", c.max_subscribers, a);
  v.AddMember("max_payload", Str(absl::StrCat(c.max_payload), a), a);
  v.AddMember("pool_slots", c.pool_slots, a);
  v.AddMember("subscriber_buffer", c.subscriber_buffer, a);
  v.AddMember("history", c.history, a);
  v.AddMember("max_held", c.max_held, a);
  v.AddMember("overflow", static_cast<uint32_t>(c.overflow), a);
  return v;
}

Value ServiceLayoutValue(const shm_msg::Layout& l, Alloc& a) {
  Value v(rapidjson::kObjectType);
  const std::pair<const char*, uint64_t> fields[] = {
      {"participants_offset", l.participants_offset}, {"slots_offset", l.slots_offset},
      {"queues_offset", l.queues_offset},             {"queue_stride", l.queue_stride},
      {"history_offset", l.history_offset},           {"history_stride", l.history_stride},
      {"payload_offset", l.payload_offset},           {"slot_stride", l.slot_stride},
      {"total_size", l.total_size}};
  for (const auto& [name, value] : fields) {
    v.AddMember(rapidjson::StringRef(name), Str(absl::StrCat(value), a), a);
  }
  return v;
}

absl::Status ShmMsgHeaderBuild(const Value& in, Value& out, Alloc& a) {
  IPCKIT_ASSIGN_OR_RETURN(shm_msg::ServiceConfig asked, ServiceConfigOf(in));
  IPCKIT_ASSIGN_OR_RETURN(shm_msg::ServiceConfig config, shm_msg::ResolveConfig(asked));
  IPCKIT_ASSIGN_OR_RETURN(shm_msg::Layout layout, shm_msg::ComputeLayout(config));
  out.AddMember("hex", Str(absl::BytesToHexString(shm_msg::BuildHeader(config, layout)), a), a);
  out.AddMember("layout", ServiceLayoutValue(layout, a), a);
  return absl::OkStatus();
}

absl::Status ShmMsgHeaderParse(const Value& in, Value& out, Alloc& a) {
  IPCKIT_ASSIGN_OR_RETURN(std::string head, GetHex(in, "hex"));
  IPCKIT_ASSIGN_OR_RETURN(uint64_t object_size, GetU64(in, "object_size"));
  IPCKIT_ASSIGN_OR_RETURN(shm_msg::ParsedHeader p, shm_msg::ParseHeader(head, object_size));
  out.AddMember("config", ServiceConfigValue(p.config, a), a);
  out.AddMember("layout", ServiceLayoutValue(p.layout, a), a);
  out.AddMember("state", p.state, a);
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
  for (auto [key, field] : {std::pair{"seq", &m.seq}, std::pair{"pos", &m.pos}}) {
    auto it = v.FindMember(key);
    if (it == v.MemberEnd() || it->value.IsNull()) continue;
    IPCKIT_ASSIGN_OR_RETURN(*field, GetU64(v, key));
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
  if (m.pos) v.AddMember("pos", *m.pos, a);
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

// Appends the messages of in["sends"] to `text`, one write each (so
// retention applies between sends), and outputs the file's "text" and
// "file_ids".
absl::Status AppendSends(const Value& in, const RetentionPolicy& retention, uint64_t now_ms, uint64_t max_file_bytes,
                         const std::vector<uint64_t>& reader_positions, std::string& text, Value& out, Alloc& a) {
  IPCKIT_ASSIGN_OR_RETURN(const Value* sends, Field(in, "sends"));
  if (!sends->IsArray()) return InvalidArgumentError("'sends' is not an array");
  for (const Value& send : sends->GetArray()) {
    IPCKIT_ASSIGN_OR_RETURN(FileMessage m, MessageFromValue(send));
    IPCKIT_ASSIGN_OR_RETURN(std::string message, ComposeMessage(m));
    IPCKIT_ASSIGN_OR_RETURN(AppendResult merged, AppendToChannelText(text, "existing", {message}, retention, now_ms,
                                                                     max_file_bytes, reader_positions));
    text = std::move(merged.text);
  }
  IPCKIT_ASSIGN_OR_RETURN(std::vector<FileMessage> in_file, ParseChannelFile(text, "merged"));
  out.AddMember("text", Str(text, a), a);
  out.AddMember("file_ids", IdList(in_file, a), a);
  return absl::OkStatus();
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
  std::string text = existing;
  IPCKIT_RETURN_IF_ERROR(AppendSends(in, retention, now_ms, max_file_bytes, {}, text, out, a));
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

// A cursor object {"pos","ids"[,"updated"]} as a ReaderCursor.
absl::StatusOr<ReaderCursor> CursorFromValue(const Value& v) {
  ReaderCursor c;
  IPCKIT_ASSIGN_OR_RETURN(c.pos, GetU64(v, "pos"));
  IPCKIT_ASSIGN_OR_RETURN(const Value* ids, Field(v, "ids"));
  if (!ids->IsArray()) return InvalidArgumentError("'ids' is not an array");
  for (const Value& id : ids->GetArray()) {
    if (!id.IsString()) return InvalidArgumentError("an id is not a string");
    c.ids.emplace_back(id.GetString(), id.GetStringLength());
  }
  if (v.HasMember("updated")) {
    IPCKIT_ASSIGN_OR_RETURN(c.updated_ms, GetU64(v, "updated"));
  }
  return c;
}

Value CursorToValue(const ReaderCursor& c, bool with_updated, Alloc& a) {
  Value v(rapidjson::kObjectType);
  v.AddMember("pos", c.pos, a);
  Value ids(rapidjson::kArrayType);
  for (const std::string& id : c.ids) ids.PushBack(Str(id, a), a);
  v.AddMember("ids", ids, a);
  if (with_updated) v.AddMember("updated", c.updated_ms, a);
  return v;
}

// Format 2: `sends` appended with named readers at `readers` cursors, then
// each reader (a CursorInbox from its cursor) reads the result once.
absl::Status FileChannelRetain(const Value& in, Value& out, Alloc& a) {
  std::string text;
  if (in.HasMember("existing") && !in["existing"].IsNull()) {
    IPCKIT_ASSIGN_OR_RETURN(text, GetString(in, "existing"));
  }
  RetentionPolicy retention;
  IPCKIT_ASSIGN_OR_RETURN(retention.max_messages, GetU64(in, "max_messages"));
  IPCKIT_ASSIGN_OR_RETURN(uint64_t grace_ms, GetU64(in, "ack_grace_ms"));
  retention.ack_grace = absl::Milliseconds(grace_ms);
  if (in.HasMember("max_bytes")) {
    IPCKIT_ASSIGN_OR_RETURN(retention.max_bytes, GetU64(in, "max_bytes"));
  }
  IPCKIT_ASSIGN_OR_RETURN(uint64_t now_ms, GetU64(in, "now_ms"));
  IPCKIT_ASSIGN_OR_RETURN(const Value* readers, Field(in, "readers"));
  if (!readers->IsObject()) return InvalidArgumentError("'readers' is not an object");
  std::vector<std::pair<std::string, ReaderCursor>> cursors;
  std::vector<uint64_t> positions;
  for (const auto& r : readers->GetObject()) {
    IPCKIT_ASSIGN_OR_RETURN(ReaderCursor c, CursorFromValue(r.value));
    positions.push_back(c.pos);
    cursors.emplace_back(std::string(r.name.GetString(), r.name.GetStringLength()), std::move(c));
  }
  IPCKIT_RETURN_IF_ERROR(AppendSends(in, retention, now_ms, kDefaultMaxFileBytes, positions, text, out, a));
  Value results(rapidjson::kObjectType);
  for (auto& [name, cursor] : cursors) {
    CursorInbox reader(cursor);
    Value result(rapidjson::kObjectType);
    absl::StatusOr<std::vector<FileMessage>> fresh = reader.TakeNew(text, "merged");
    if (fresh.ok()) {
      result.AddMember("new_ids", IdList(*fresh, a), a);
    } else {
      result.AddMember("error", Str(ErrorClassOf(fresh.status()), a), a);
      IPCKIT_ASSIGN_OR_RETURN(std::vector<FileMessage> after, reader.TakeNew(text, "merged"));
      result.AddMember("new_ids_after_error", IdList(after, a), a);
    }
    result.AddMember("cursor", CursorToValue(reader.cursor(), false, a), a);
    results.AddMember(Str(name, a), result, a);
  }
  out.AddMember("readers", results, a);
  return absl::OkStatus();
}

// Claim rule C1 on the given files, with liveness from the input's lists.
absl::Status FileChannelClaim(const Value& in, Value& out, Alloc& a) {
  IPCKIT_ASSIGN_OR_RETURN(std::string claims_text, GetString(in, "claims"));
  IPCKIT_ASSIGN_OR_RETURN(Claims claims, ParseClaims(claims_text, "claims"));
  IPCKIT_ASSIGN_OR_RETURN(std::string request_id, GetString(in, "request_id"));
  IPCKIT_ASSIGN_OR_RETURN(std::string request_text, GetString(in, "request_file"));
  IPCKIT_ASSIGN_OR_RETURN(std::string reply_text, GetString(in, "reply_file"));
  IPCKIT_ASSIGN_OR_RETURN(std::vector<ScannedMessage> requests, ScanChannelFile(request_text, "request_file"));
  IPCKIT_ASSIGN_OR_RETURN(std::vector<ScannedMessage> replies, ScanChannelFile(reply_text, "reply_file"));
  std::vector<std::string> request_ids;
  for (const ScannedMessage& s : requests) request_ids.push_back(s.message.id);
  IPCKIT_ASSIGN_OR_RETURN(const Value* mine_value, Field(in, "mine"));
  Claim mine;
  IPCKIT_ASSIGN_OR_RETURN(mine.reader, GetString(*mine_value, "reader"));
  IPCKIT_ASSIGN_OR_RETURN(uint64_t pid, GetU64(*mine_value, "pid"));
  mine.pid = static_cast<uint32_t>(pid);
  IPCKIT_ASSIGN_OR_RETURN(mine.at_ms, GetU64(*mine_value, "at"));
  IPCKIT_ASSIGN_OR_RETURN(const Value* alive_readers, Field(in, "alive_readers"));
  IPCKIT_ASSIGN_OR_RETURN(const Value* alive_pids, Field(in, "alive_pids"));
  auto alive = [&](const Claim& c) {
    if (c.reader.empty()) {
      for (const Value& p : alive_pids->GetArray()) if (p.IsUint() && p.GetUint() == c.pid) return true;
      return false;
    }
    for (const Value& r : alive_readers->GetArray()) if (r.IsString() && c.reader == r.GetString()) return true;
    return false;
  };
  ClaimDecision d = DecideClaim(request_id, claims, request_ids, replies, mine, alive);
  out.AddMember("outcome", Str(ClaimOutcomeName(d.outcome), a), a);
  if (d.outcome == ClaimOutcome::kClaimed) out.AddMember("claims", Str(ComposeClaims(d.claims), a), a);
  return absl::OkStatus();
}

// A cursor or claims file parsed ("value") and composed again ("text").
absl::Status FileChannelReaderFile(const Value& in, Value& out, Alloc& a) {
  IPCKIT_ASSIGN_OR_RETURN(std::string kind, GetString(in, "kind"));
  IPCKIT_ASSIGN_OR_RETURN(std::string text, GetString(in, "text"));
  if (kind == "cursor") {
    IPCKIT_ASSIGN_OR_RETURN(ReaderCursor c, ParseReaderCursor(text, "cursor"));
    out.AddMember("value", CursorToValue(c, true, a), a);
    out.AddMember("text", Str(ComposeReaderCursor(c), a), a);
    return absl::OkStatus();
  }
  IPCKIT_ASSIGN_OR_RETURN(Claims claims, ParseClaims(text, "claims"));
  Value list(rapidjson::kArrayType);
  for (const ClaimEntry& e : claims) {
    Value v(rapidjson::kObjectType);
    v.AddMember("request_id", Str(e.request_id, a), a);
    v.AddMember("reader", Str(e.claim.reader, a), a);
    v.AddMember("pid", e.claim.pid, a);
    v.AddMember("at", e.claim.at_ms, a);
    list.PushBack(v, a);
  }
  out.AddMember("value", list, a);
  out.AddMember("text", Str(ComposeClaims(claims), a), a);
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

absl::Status BridgeSseEvent(const Value& in, Value& out, Alloc& a) {
  IPCKIT_ASSIGN_OR_RETURN(std::string type, GetString(in, "type"));
  IPCKIT_ASSIGN_OR_RETURN(std::string id, GetString(in, "id"));
  IPCKIT_ASSIGN_OR_RETURN(std::string header, GetString(in, "header"));
  IPCKIT_ASSIGN_OR_RETURN(std::string body, GetHex(in, "body_hex"));
  out.AddMember("hex", Str(absl::BytesToHexString(bridge::ComposeSseEvent(type, id, header, body)), a), a);
  return absl::OkStatus();
}

struct NamedOp {
  const char* name;
  Op op;
};
constexpr NamedOp kOps[] = {
    {"frame_encode", FrameEncode},   {"frame_decode", FrameDecode},
    {"shm_header_build", ShmHeaderBuild}, {"shm_header_parse", ShmHeaderParse},
    {"shm_msg_header_build", ShmMsgHeaderBuild}, {"shm_msg_header_parse", ShmMsgHeaderParse},
    {"json_dumps", JsonDumps},       {"json_dumps_pretty", JsonDumpsPretty},
    {"json_loads", JsonLoads},
    {"file_channel_parse", FileChannelParse}, {"file_channel_compose", FileChannelCompose},
    {"file_channel_merge", FileChannelMerge}, {"bridge_splice_apply", BridgeSpliceApply},
    {"bridge_sse_event", BridgeSseEvent},
    {"file_channel_retain", FileChannelRetain}, {"file_channel_claim", FileChannelClaim},
    {"file_channel_reader_file", FileChannelReaderFile},
};

// Runs the role (it acks with Ready() once its object is open), closes the
// object, then writes the final answer (so a peer waiting for our close sees
// it first).
void RunLive(const Value& req) {
  Document final_answer(rapidjson::kObjectType);
  Alloc& a = final_answer.GetAllocator();
  absl::Status status = [&]() -> absl::Status {
    IPCKIT_ASSIGN_OR_RETURN(std::string role, GetString(req, "role"));
    IPCKIT_ASSIGN_OR_RETURN(const Value* steps, Field(req, "steps"));
    if (!steps->IsArray()) return InvalidArgumentError("'steps' is not an array");
    IPCKIT_ASSIGN_OR_RETURN(uint64_t timeout_ms, GetU64(req, "timeout_ms"));
    const LiveRole* found = nullptr;
    for (const LiveRole& live : LiveRoles()) {
      if (role == live.name) found = &live;
    }
    if (found == nullptr) return InvalidArgumentError(absl::StrCat("unknown role '", role, "'"));
    Value results;
    IPCKIT_RETURN_IF_ERROR(found->run(role, req, absl::Milliseconds(timeout_ms), results, a));
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
  d.AddMember("os", rapidjson::StringRef(TesteeOs()), a);
  Value ops(rapidjson::kArrayType), roles(rapidjson::kArrayType);
  for (const NamedOp& op : kOps) ops.PushBack(Value(rapidjson::StringRef(op.name)), a);
  if (!LiveRoles().empty()) ops.PushBack("live", a);
  for (const LiveRole& role : LiveRoles()) roles.PushBack(Value(rapidjson::StringRef(role.name)), a);
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
