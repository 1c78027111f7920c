// Embind bindings of the pure C++ core for the JS package: the frame codec,
// ipckit::json, and the FileChannel message/file logic. Each function only
// converts between JS values and the C++ API; the rules live in the core.
//
// Every fallible function returns a result object, never throws (the build
// has no C++ exceptions): {value: X} on success, {error: "<error class>",
// message: "..."} on failure. The JS wrapper (js/src/core.js) turns the
// latter into an IpckitError subclass.
//
//   const r = core.encodeFrame(new Uint8Array([104, 105]), 16 << 20);
//   // r.value: Uint8Array [2, 0, 0, 0, 104, 105]

#include <emscripten/bind.h>
#include <emscripten/val.h>

#include <cmath>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "cc/base/error.h"
#include "cc/base/name.h"
#include "cc/bridge/splice.h"
#include "cc/channel/frame.h"
#include "cc/file_channel/channel_file_format.h"
#include "cc/file_channel/channel_file_readers.h"
#include "cc/file_channel/channel_info_format.h"
#include "cc/file_channel/file_index.h"
#include "cc/file_channel/inbox.h"
#include "cc/file_channel/message.h"
#include "cc/json/json.h"
#include "cc/json/writer.h"
#include "rapidjson/document.h"

namespace ipckit {
namespace wasm {
namespace {

using emscripten::val;

// 2^53 - 1: the largest integer a JS number holds exactly.
constexpr double kMaxSafeInteger = 9007199254740991.0;

val Ok(val value) {
  val result = val::object();
  result.set("value", std::move(value));
  return result;
}

val Err(const absl::Status& status) {
  val result = val::object();
  result.set("error", ErrorClassOf(status));
  result.set("message", std::string(status.message()));
  return result;
}

// null for OK, else the error object: for calls that return no value.
val StatusVal(const absl::Status& status) { return status.ok() ? val::null() : Err(status); }

// A JS Uint8Array holding a copy of `bytes`.
val Bytes(absl::string_view bytes) {
  return val::global("Uint8Array")
      .new_(emscripten::typed_memory_view(bytes.size(), reinterpret_cast<const uint8_t*>(bytes.data())));
}

val Str(absl::string_view s) { return val(std::string(s)); }

// The bytes of a JS Uint8Array (the JS wrappers pass every byte input through
// toBytes), copied into WASM memory by TypedArray.prototype.set, a memcpy.
// Embind's own std::string conversion copies a typed array one byte at a
// time in JS, which cost more than the whole append of a large channel file.
size_t ByteLength(const val& bytes) { return bytes["length"].as<size_t>(); }
std::string BytesArg(const val& bytes) {
  std::string out(ByteLength(bytes), '\0');
  if (!out.empty()) {
    val(emscripten::typed_memory_view(out.size(), reinterpret_cast<uint8_t*>(out.data())))
        .call<void>("set", bytes);
  }
  return out;
}

// ---------------------------------------------------------------------------
// JSON: JS values <-> ipckit::json.

// A JS string as UTF-8. Lone surrogates have no UTF-8 form (embind would
// encode them as some other character), so they are refused.
absl::StatusOr<std::string> Utf8Of(const val& s, absl::string_view what) {
  val well_formed = s["isWellFormed"];
  if (well_formed.typeOf().as<std::string>() == "function" && !s.call<bool>("isWellFormed")) {
    return InvalidArgumentError(absl::StrCat(what, " contains a lone UTF-16 surrogate, which has no UTF-8 form"));
  }
  return s.as<std::string>();
}

// JSON.stringify's rule: values with no JSON form are skipped in objects.
bool Skippable(const std::string& type) {
  return type == "undefined" || type == "function" || type == "symbol";
}

template <typename Writer>
absl::Status WriteValue(Writer& w, const val& v);

template <typename Writer>
absl::Status Written(Writer& w, bool ok) {
  if (ok) return absl::OkStatus();
  if (!w.status().ok()) return w.status();
  return InvalidArgumentError("value could not be written as JSON");
}

template <typename Writer>
absl::Status WriteNumber(Writer& w, double d) {
  if (std::isfinite(d) && std::trunc(d) == d && std::fabs(d) <= kMaxSafeInteger && !(d == 0 && std::signbit(d))) {
    // An integral JS number is written as an integer ("1", never "1.0"),
    // as JSON.stringify and the JSON of every JS program do. Negative
    // integers too; only -0 stays a double ("-0.0"), so its sign survives.
    return Written(w, w.Int64(static_cast<int64_t>(d)));
  }
  return Written(w, w.Double(d));  // refuses NaN and Infinity
}

template <typename Writer>
absl::Status WriteBigInt(Writer& w, const val& v) {
  const std::string digits = v.call<std::string>("toString");
  int64_t i;
  if (absl::SimpleAtoi(digits, &i)) return Written(w, w.Int64(i));
  uint64_t u;
  if (absl::SimpleAtoi(digits, &u)) return Written(w, w.Uint64(u));
  return OutOfRangeError(absl::StrCat("BigInt ", digits, " does not fit a 64-bit JSON integer"));
}

template <typename Writer>
absl::Status WriteValue(Writer& w, const val& v) {
  if (v.isNull()) return Written(w, w.Null());
  const std::string type = v.typeOf().as<std::string>();
  if (type == "boolean") return Written(w, w.Bool(v.as<bool>()));
  if (type == "number") return WriteNumber(w, v.as<double>());
  if (type == "bigint") return WriteBigInt(w, v);
  if (type == "string") {
    absl::StatusOr<std::string> s = Utf8Of(v, "string");
    if (!s.ok()) return s.status();
    return Written(w, w.String(*s));
  }
  if (Skippable(type)) {
    return InvalidArgumentError(absl::StrCat("a JS ", type, " has no JSON form"));
  }
  // An object: toJSON() first (Date), then arrays, then plain objects.
  if (v["toJSON"].typeOf().as<std::string>() == "function") {
    val replaced = v.call<val>("toJSON");
    if (replaced.typeOf().as<std::string>() == "object" && !replaced.isNull() &&
        replaced["toJSON"].typeOf().as<std::string>() == "function") {
      return InvalidArgumentError("toJSON() returned an object that has toJSON() again");
    }
    return WriteValue(w, replaced);
  }
  if (val::global("Array").call<bool>("isArray", v)) {
    if (!w.StartArray()) return Written(w, false);
    const size_t n = v["length"].as<size_t>();
    for (size_t i = 0; i < n; ++i) {
      val item = v[i];
      if (Skippable(item.typeOf().as<std::string>())) {
        if (!w.Null()) return Written(w, false);  // JSON.stringify writes null here
        continue;
      }
      absl::Status s = WriteValue(w, item);
      if (!s.ok()) return s;
    }
    return Written(w, w.EndArray());
  }
  if (!w.StartObject()) return Written(w, false);
  val keys = val::global("Object").call<val>("keys", v);
  const size_t n = keys["length"].as<size_t>();
  for (size_t i = 0; i < n; ++i) {
    val key = keys[i];
    val item = v[key];
    if (Skippable(item.typeOf().as<std::string>())) continue;
    absl::StatusOr<std::string> k = Utf8Of(key, "object key");
    if (!k.ok()) return k.status();
    if (!w.Key(*k)) return Written(w, false);
    absl::Status s = WriteValue(w, item);
    if (!s.ok()) return s;
  }
  return Written(w, w.EndObject());
}

template <typename Writer>
absl::StatusOr<std::string> DumpValue(const val& v) {
  if (!v.isNull() && Skippable(v.typeOf().as<std::string>())) {
    return InvalidArgumentError(absl::StrCat("a JS ", v.typeOf().as<std::string>(), " has no JSON form"));
  }
  json::OutputBuffer out;
  Writer w(out);
  absl::Status s = WriteValue(w, v);
  if (!s.ok()) return s;
  return std::string(out.GetString(), out.GetSize());
}

val JsonDumps(val value, bool pretty) {
  absl::StatusOr<std::string> text =
      pretty ? DumpValue<json::BasicWriter<true>>(value) : DumpValue<json::BasicWriter<false>>(value);
  if (!text.ok()) return Err(text.status());
  return Ok(Str(*text));
}

// Integers beyond 2^53 become BigInt so that no digit is lost.
val ToJs(const rapidjson::Value& v) {
  switch (v.GetType()) {
    case rapidjson::kNullType: return val::null();
    case rapidjson::kFalseType: return val(false);
    case rapidjson::kTrueType: return val(true);
    case rapidjson::kStringType: return Str(absl::string_view(v.GetString(), v.GetStringLength()));
    case rapidjson::kNumberType:
      if (v.IsInt64() && std::fabs(static_cast<double>(v.GetInt64())) <= kMaxSafeInteger) {
        return val(static_cast<double>(v.GetInt64()));
      }
      if (v.IsInt64()) return val::global("BigInt")(Str(absl::StrCat(v.GetInt64())));
      if (v.IsUint64()) return val::global("BigInt")(Str(absl::StrCat(v.GetUint64())));
      return val(v.GetDouble());
    case rapidjson::kArrayType: {
      val out = val::array();
      for (const rapidjson::Value& item : v.GetArray()) out.call<void>("push", ToJs(item));
      return out;
    }
    case rapidjson::kObjectType: {
      val out = val::object();
      for (const auto& member : v.GetObject()) {
        out.set(Str(absl::string_view(member.name.GetString(), member.name.GetStringLength())),
                ToJs(member.value));
      }
      return out;
    }
  }
  return val::undefined();
}

absl::StatusOr<val> LoadJs(absl::string_view text) {
  absl::StatusOr<rapidjson::Document> doc = json::Loads(text);
  if (!doc.ok()) return doc.status();
  return ToJs(*doc);
}

val JsonLoads(val text) {
  absl::StatusOr<val> v = LoadJs(BytesArg(text));
  if (!v.ok()) return Err(v.status());
  return Ok(*v);
}

// JSON text re-written by the core's own reader and writer (Loads, then
// Dumps or DumpsPretty): the exact text ipckit writes for that value, with
// the int/float distinction of the text kept (JS numbers cannot keep it).
val JsonCanonical(val text, bool pretty) {
  absl::StatusOr<rapidjson::Document> doc = json::Loads(BytesArg(text));
  if (!doc.ok()) return Err(doc.status());
  absl::StatusOr<std::string> out = pretty ? json::DumpsPretty(*doc) : json::Dumps(*doc);
  if (!out.ok()) return Err(out.status());
  return Ok(Str(*out));
}

// The JSON text of one double, as the writers format every float.
val JsonFormatDouble(double d) {
  char text[json::kDoubleTextMax];
  const size_t n = json::FormatDouble(d, text);
  if (n == 0) return Err(InvalidArgumentError(absl::StrCat(d, " is not valid JSON")));
  return Ok(Str(absl::string_view(text, n)));
}

// The JSON string literal of raw bytes, which must be UTF-8 (a JS string
// cannot hold invalid UTF-8, so bytes are the only way to ask).
val JsonQuoteUtf8(const std::string& bytes) {
  json::OutputBuffer out;
  json::CompactWriter writer(out);
  if (!writer.String(bytes)) return Err(writer.status());
  return Ok(Str(absl::string_view(out.GetString(), out.GetSize())));
}

// ---------------------------------------------------------------------------
// Names (spec/naming.md).

val SocketPathForJs(const std::string& name) {
  absl::StatusOr<std::string> path = SocketPathFor(name);
  if (!path.ok()) return Err(path.status());
  return Ok(Str(*path));
}

val ValidateNameJs(const std::string& name) { return StatusVal(ValidateName(name)); }

// ---------------------------------------------------------------------------
// Frames.

val EncodeFrame(val payload, uint32_t max_payload) {
  // Bounded before the payload is copied into WASM memory.
  absl::Status fits = frame::CheckPayloadSize(ByteLength(payload), max_payload);
  if (!fits.ok()) return Err(fits);
  absl::StatusOr<std::string> frame = frame::EncodeFrame(BytesArg(payload), max_payload);
  if (!frame.ok()) return Err(frame.status());
  return Ok(Bytes(*frame));
}

// The 4-byte header for a payload of `size` bytes, after the size check: a
// sender writes it and the payload without copying the payload into WASM.
val FrameHeader(double size, uint32_t max_payload) {
  if (!(size >= 0) || std::trunc(size) != size) {
    return Err(InvalidArgumentError(absl::StrCat("payload size ", size, " is not a byte count")));
  }
  // Clamped: no payload can be that big anyway, and the cast must stay defined.
  const uint64_t bytes = size >= 1.8e19 ? UINT64_MAX : static_cast<uint64_t>(size);
  absl::Status fits = frame::CheckPayloadSize(bytes, max_payload);
  if (!fits.ok()) return Err(fits);
  char header[frame::kHeaderSize];
  frame::EncodeHeader(static_cast<uint32_t>(size), header);
  return Ok(Bytes(absl::string_view(header, sizeof(header))));
}

// {payloads: [Uint8Array...]} plus error/message when decoding stopped.
val DecodeFrames(val bytes, uint32_t max_payload) {
  frame::DecodeResult decoded = frame::DecodeFrames(BytesArg(bytes), max_payload);
  val payloads = val::array();
  for (const std::string& p : decoded.payloads) payloads.call<void>("push", Bytes(p));
  val result = decoded.status.ok() ? val::object() : Err(decoded.status);
  result.set("payloads", payloads);
  return result;
}

class FrameDecoder {
 public:
  explicit FrameDecoder(uint32_t max_payload) : decoder_(max_payload) {}

  val Feed(val bytes) { return StatusVal(decoder_.Feed(BytesArg(bytes))); }

  // A view of the decoder's free space for the caller to fill, then
  // commitInput(n). Valid only until the next call into WASM.
  val PrepareInput() {
    absl::Span<char> span = decoder_.PrepareInput();
    return val(emscripten::typed_memory_view(span.size(), reinterpret_cast<uint8_t*>(span.data())));
  }
  val CommitInput(size_t n) { return StatusVal(decoder_.CommitInput(n)); }

  bool HasFrame() const { return decoder_.HasFrame(); }
  // A copy of the next payload, or null when none is complete.
  val NextFrame() {
    if (!decoder_.HasFrame()) return val::null();
    return Bytes(decoder_.NextFrame());
  }
  val Finish() const { return StatusVal(decoder_.Finish()); }
  val Status() const { return StatusVal(decoder_.status()); }
  bool AtFrameBoundary() const { return decoder_.AtFrameBoundary(); }
  double BufferedBytes() const { return static_cast<double>(decoder_.buffered_bytes()); }
  uint32_t MaxPayload() const { return decoder_.max_payload(); }

 private:
  frame::FrameDecoder decoder_;
};

// ---------------------------------------------------------------------------
// FileChannel messages and channel files.

std::optional<std::string> OptionalString(const val& obj, const char* key) {
  val v = obj[key];
  if (v.isUndefined() || v.isNull()) return std::nullopt;
  return v.as<std::string>();
}

// The JS message object of a FileMessage: payload as a JS value, or with
// `raw_payload` as "payloadJson", its compact JSON text (exact: keeps 1.0 and
// big integers, and costs no conversion).
absl::StatusOr<val> MessageToJs(const FileMessage& m, bool raw_payload = false) {
  val out = val::object();
  out.set("id", Str(m.id));
  out.set("timestamp", val(static_cast<double>(m.timestamp_ms)));
  out.set("type", Str(MessageTypeName(m.type)));
  if (m.method) out.set("method", Str(*m.method));
  if (m.reply_to) out.set("replyTo", Str(*m.reply_to));
  if (raw_payload) {
    out.set("payloadJson", Str(m.payload_json));
  } else {
    absl::StatusOr<val> payload = LoadJs(m.payload_json);
    if (!payload.ok()) return payload.status();
    out.set("payload", *payload);
  }
  if (m.error) out.set("error", Str(*m.error));
  if (m.seq) out.set("seq", val(static_cast<double>(*m.seq)));
  if (m.sender) out.set("sender", Str(*m.sender));
  if (m.pos) out.set("pos", val(static_cast<double>(*m.pos)));
  return out;
}

val MessagesToJs(const std::vector<FileMessage>& messages, bool raw_payload = false) {
  val out = val::array();
  for (const FileMessage& m : messages) {
    absl::StatusOr<val> v = MessageToJs(m, raw_payload);
    if (!v.ok()) return Err(v.status());
    out.call<void>("push", *v);
  }
  return Ok(out);
}

// {id, timestamp, type, method?, replyTo?, payloadJson, error?, seq?, sender?}
// -> the message's exact JSON text.
val ComposeMessageJs(val m) {
  absl::StatusOr<MessageType> type = ParseMessageType(m["type"].as<std::string>());
  if (!type.ok()) return Err(type.status());
  FileMessage message;
  message.id = m["id"].as<std::string>();
  message.timestamp_ms = static_cast<uint64_t>(m["timestamp"].as<double>());
  message.type = *type;
  message.method = OptionalString(m, "method");
  message.reply_to = OptionalString(m, "replyTo");
  message.payload_json = m["payloadJson"].as<std::string>();
  message.error = OptionalString(m, "error");
  val seq = m["seq"];
  if (!seq.isUndefined() && !seq.isNull()) message.seq = static_cast<uint64_t>(seq.as<double>());
  message.sender = OptionalString(m, "sender");
  val pos = m["pos"];
  if (!pos.isUndefined() && !pos.isNull()) message.pos = static_cast<uint64_t>(pos.as<double>());
  absl::StatusOr<std::string> text = ComposeMessage(message);
  if (!text.ok()) return Err(text.status());
  return Ok(Str(*text));
}

val ParseMessageJs(const std::string& text, bool raw_payload) {
  absl::StatusOr<FileMessage> m = ParseMessage(text);
  if (!m.ok()) return Err(m.status());
  absl::StatusOr<val> v = MessageToJs(*m, raw_payload);
  if (!v.ok()) return Err(v.status());
  return Ok(*v);
}

val ParseChannelFileJs(val text, const std::string& label, bool raw_payload) {
  absl::StatusOr<std::vector<FileMessage>> messages = ParseChannelFile(BytesArg(text), label);
  if (!messages.ok()) return Err(messages.status());
  return MessagesToJs(*messages, raw_payload);
}

// Validates a channel file and locates its messages: [{id, begin, end}] with
// byte offsets into `text`, so a caller can copy message texts byte for byte.
val ScanChannelFileJs(val text, const std::string& label) {
  absl::StatusOr<std::vector<ScannedMessage>> scanned = ScanChannelFile(BytesArg(text), label);
  if (!scanned.ok()) return Err(scanned.status());
  val out = val::array();
  for (const ScannedMessage& m : *scanned) {
    val entry = val::object();
    entry.set("id", Str(m.message.id));
    entry.set("begin", val(static_cast<double>(m.begin)));
    entry.set("end", val(static_cast<double>(m.end)));
    out.call<void>("push", entry);
  }
  return Ok(out);
}

val ComposeChannelFileJs(val texts) {
  std::vector<std::string> owned = emscripten::vecFromJSArray<std::string>(texts);
  std::vector<absl::string_view> views(owned.begin(), owned.end());
  return Str(ComposeChannelFile(views));
}

val NormalizeJsonJs(const std::string& text) {
  absl::StatusOr<std::string> normalized = NormalizeJson(text);
  if (!normalized.ok()) return Err(normalized.status());
  return Ok(Str(*normalized));
}

RetentionPolicy RetentionFrom(double max_messages, double min_age_ms) {
  RetentionPolicy retention;
  retention.max_messages = static_cast<size_t>(max_messages);
  retention.min_age = absl::Milliseconds(min_age_ms);
  return retention;
}

// {bytes, kept, pruned}: the file as bytes, ready to write, with no UTF-16
// round trip for large files.
val AppendResultJs(const absl::StatusOr<AppendResult>& result) {
  if (!result.ok()) return Err(result.status());
  val out = val::object();
  out.set("bytes", Bytes(result->text));
  out.set("kept", val(static_cast<double>(result->kept)));
  out.set("pruned", val(static_cast<double>(result->pruned)));
  out.set("firstPos", val(static_cast<double>(result->first_pos)));
  return Ok(out);
}

// Format 2 append options: {maxMessages, maxBytes, ackGraceMs, nowMs,
// maxFileBytes, readerPositions: [cursor pos of each named reader]}; a
// missing field takes the core's default (nowMs: the clock).
struct AppendArgs {
  RetentionPolicy retention;
  uint64_t now_ms = NowUnixMs();
  size_t max_file_bytes = kDefaultMaxFileBytes;
  std::vector<uint64_t> reader_positions;
};
AppendArgs AppendArgsFrom(const val& o) {
  AppendArgs a;
  auto number = [&](const char* key, auto& slot) {
    val v = o[key];
    if (!v.isUndefined() && !v.isNull()) slot = static_cast<std::decay_t<decltype(slot)>>(v.as<double>());
  };
  number("maxMessages", a.retention.max_messages);
  number("maxBytes", a.retention.max_bytes);
  number("nowMs", a.now_ms);
  number("maxFileBytes", a.max_file_bytes);
  val grace = o["ackGraceMs"];
  if (!grace.isUndefined() && !grace.isNull()) a.retention.ack_grace = absl::Milliseconds(grace.as<double>());
  val positions = o["readerPositions"];
  if (!positions.isUndefined() && !positions.isNull()) {
    for (double p : emscripten::vecFromJSArray<double>(positions)) a.reader_positions.push_back(static_cast<uint64_t>(p));
  }
  return a;
}

val AppendToChannelTextWithOptionsJs(val existing, const std::string& label, val messages, val options) {
  const AppendArgs a = AppendArgsFrom(options);
  return AppendResultJs(AppendToChannelText(BytesArg(existing), label, emscripten::vecFromJSArray<std::string>(messages),
                                            a.retention, a.now_ms, a.max_file_bytes, a.reader_positions));
}

// The pure half of a write: `existing` plus `messages` (JSON texts), pruned
// per the retention policy at `now_ms`.
val AppendToChannelTextJs(val existing, const std::string& label, val messages, double max_messages,
                          double min_age_ms, double now_ms, double max_file_bytes) {
  return AppendResultJs(AppendToChannelText(BytesArg(existing), label, emscripten::vecFromJSArray<std::string>(messages),
                                            RetentionFrom(max_messages, min_age_ms),
                                            static_cast<uint64_t>(now_ms), static_cast<size_t>(max_file_bytes)));
}

// A writer's memory of one channel file (AppendToIndexedChannelText): each
// append scans only what other writers added since this one's last write.
class ChannelFileWriter {
 public:
  val Append(val existing, const std::string& label, val messages, double max_messages, double min_age_ms,
             double now_ms, double max_file_bytes) {
    return AppendResultJs(AppendToIndexedChannelText(
        index_, BytesArg(existing), label, emscripten::vecFromJSArray<std::string>(messages),
        RetentionFrom(max_messages, min_age_ms), static_cast<uint64_t>(now_ms),
        static_cast<size_t>(max_file_bytes)));
  }
  // Append with format 2 options (AppendArgsFrom).
  val AppendWithOptions(val existing, const std::string& label, val messages, val options) {
    const AppendArgs a = AppendArgsFrom(options);
    return AppendResultJs(AppendToIndexedChannelText(index_, BytesArg(existing), label,
                                                     emscripten::vecFromJSArray<std::string>(messages), a.retention,
                                                     a.now_ms, a.max_file_bytes, a.reader_positions));
  }

 private:
  ChannelFileIndex index_;
};

// ---------------------------------------------------------------------------
// Format 2 reader files (channel_file_readers.h).

val CursorToJs(const ReaderCursor& c) {
  val out = val::object();
  out.set("pos", val(static_cast<double>(c.pos)));
  val ids = val::array();
  for (const std::string& id : c.ids) ids.call<void>("push", Str(id));
  out.set("ids", ids);
  out.set("updated", val(static_cast<double>(c.updated_ms)));
  return out;
}

ReaderCursor CursorFromJs(const val& o) {
  ReaderCursor c;
  c.pos = static_cast<uint64_t>(o["pos"].as<double>());
  c.ids = emscripten::vecFromJSArray<std::string>(o["ids"]);
  val updated = o["updated"];
  if (!updated.isUndefined() && !updated.isNull()) c.updated_ms = static_cast<uint64_t>(updated.as<double>());
  return c;
}

val ValidateReaderNameJs(const std::string& name) { return StatusVal(ValidateReaderName(name)); }
// {cursor, lock, claims}: the file names of reader `name` of channel file `file`.
val ReaderFileNamesJs(const std::string& file, const std::string& name) {
  const std::string stem = ChannelFileStem(file);
  val out = val::object();
  out.set("cursor", Str(ReaderCursorFileName(stem, name)));
  out.set("lock", Str(ReaderLockFileName(stem, name)));
  out.set("claims", Str(ClaimsFileName(stem)));
  return out;
}
// The reader name of a cursor file of channel file `file`, or null.
val ReaderNameOfCursorFileJs(const std::string& file, const std::string& file_name) {
  std::optional<std::string> name = ReaderNameOfCursorFile(ChannelFileStem(file), file_name);
  return name ? Str(*name) : val::null();
}
std::string ComposeReaderCursorJs(val cursor) { return ComposeReaderCursor(CursorFromJs(cursor)); }
val ParseReaderCursorJs(val text, const std::string& label) {
  absl::StatusOr<ReaderCursor> c = ParseReaderCursor(BytesArg(text), label);
  if (!c.ok()) return Err(c.status());
  return Ok(CursorToJs(*c));
}
bool CursorExpiredJs(val cursor, double now_ms, double ttl_ms) {
  return CursorExpired(CursorFromJs(cursor), static_cast<uint64_t>(now_ms), absl::Milliseconds(ttl_ms));
}

// {reader, pid, at}
val ClaimToJs(const Claim& claim) {
  val c = val::object();
  c.set("reader", Str(claim.reader));
  c.set("pid", val(claim.pid));
  c.set("at", val(static_cast<double>(claim.at_ms)));
  return c;
}
val ClaimsToJs(const Claims& claims) {
  val out = val::array();
  for (const ClaimEntry& e : claims) {
    val c = ClaimToJs(e.claim);
    c.set("requestId", Str(e.request_id));
    out.call<void>("push", c);
  }
  return out;
}
// {outcome, claims, holder?}: `claims`, when claimed, is the claims file
// text to write (ComposeClaims(d.claims)), which the caller gives as a
// string or as bytes.
val ClaimDecisionToJs(const ClaimDecision& d, val claims) {
  val out = val::object();
  out.set("outcome", Str(ClaimOutcomeName(d.outcome)));
  if (d.outcome == ClaimOutcome::kClaimed) out.set("claims", std::move(claims));
  if (d.holder) out.set("holder", ClaimToJs(*d.holder));
  return out;
}
Claim ClaimFromJs(const val& o) {
  return Claim{o["reader"].as<std::string>(), o["pid"].as<uint32_t>(), static_cast<uint64_t>(o["at"].as<double>())};
}
val ParseClaimsJs(val text, const std::string& label) {
  absl::StatusOr<Claims> claims = ParseClaims(BytesArg(text), label);
  if (!claims.ok()) return Err(claims.status());
  return Ok(ClaimsToJs(*claims));
}
std::string ComposeClaimsJs(val claims) {
  Claims out;
  const unsigned n = claims["length"].as<unsigned>();
  for (unsigned i = 0; i < n; ++i) out.push_back(ClaimEntry{claims[i]["requestId"].as<std::string>(), ClaimFromJs(claims[i])});
  return ComposeClaims(out);
}

// Rule C1: `claims` as parsed ([{requestId, reader, pid, at, alive}], where
// the caller has set `alive` per claimant), the request file's ids, the
// reply file's bytes, and `mine` {reader, pid, at}. -> {outcome, claims
// (the file text to write when claimed), holder}.
val DecideClaimJs(const std::string& request_id, val claims, val request_ids, val reply_file, val mine) {
  Claims parsed;
  std::vector<bool> alive;
  const unsigned n = claims["length"].as<unsigned>();
  for (unsigned i = 0; i < n; ++i) {
    parsed.push_back(ClaimEntry{claims[i]["requestId"].as<std::string>(), ClaimFromJs(claims[i])});
    alive.push_back(claims[i]["alive"].as<bool>());
  }
  absl::StatusOr<std::vector<ScannedMessage>> replies = ScanChannelFile(BytesArg(reply_file), "reply file");
  if (!replies.ok()) return Err(replies.status());
  ClaimDecision d = DecideClaim(request_id, parsed, emscripten::vecFromJSArray<std::string>(request_ids), *replies,
                                ClaimFromJs(mine), [&](const Claim& c) {
                                  for (size_t i = 0; i < parsed.size(); ++i) {
                                    if (parsed[i].claim == c) return static_cast<bool>(alive[i]);
                                  }
                                  return false;
                                });
  return Ok(ClaimDecisionToJs(
      d, d.outcome == ClaimOutcome::kClaimed ? Str(ComposeClaims(d.claims)) : val::undefined()));
}

// Rule C1 for an endpoint that claims again and again (the core's
// ClaimRequests keeps the same state): the request and reply files indexed
// across claims (ChannelFileIndex), so a claim scans only what was appended
// since the last one, and the claims file parsed only when its text is not
// the one last parsed or written. A claim is two calls, because liveness is
// I/O the caller does in between: claimants(claims text, id) -> the claims
// on that request; decide(..., alive per claimant) -> {outcome, claims,
// holder}, as DecideClaimJs but with the claims text as bytes.
class ClaimIndex {
 public:
  val Claimants(val claims_text, const std::string& label, const std::string& request_id) {
    std::string text = BytesArg(claims_text);
    if (!claims_parsed_ || text != claims_text_) {
      absl::StatusOr<Claims> parsed = ParseClaims(text, label);
      if (!parsed.ok()) return Err(parsed.status());
      ++claims_parses_;
      claims_ = *std::move(parsed);
      claims_text_ = std::move(text);
      claims_parsed_ = true;
    }
    claimants_.clear();
    for (const ClaimEntry& e : claims_) {
      if (e.request_id == request_id) claimants_.push_back(e.claim);
    }
    val out = val::array();
    for (const Claim& c : claimants_) out.call<void>("push", ClaimToJs(c));
    return Ok(out);
  }

  // `alive`: one bool per claimant the last claimants() call returned.
  val Decide(const std::string& request_id, val request_text, const std::string& request_label, val reply_text,
             const std::string& reply_label, val mine, val alive) {
    if (!claims_parsed_) return Err(InvalidArgumentError("ClaimIndex: decide() before claimants()"));
    const std::vector<bool> alive_flags = emscripten::vecFromJSArray<bool>(alive);
    // Both updates are prepared before either is committed: an error leaves
    // the index as it was.
    absl::StatusOr<ChannelFileIndex::Update> requests = requests_.Prepare(BytesArg(request_text), request_label);
    if (!requests.ok()) return Err(requests.status());
    absl::StatusOr<ChannelFileIndex::Update> replies = replies_.Prepare(BytesArg(reply_text), reply_label);
    if (!replies.ok()) return Err(replies.status());
    full_scans_ += !requests->incremental + !replies->incremental;
    requests_.Commit(*std::move(requests));
    replies_.Commit(*std::move(replies));
    std::vector<std::string> request_ids;
    request_ids.reserve(requests_.messages().size());
    for (const ScannedMessage& m : requests_.messages()) request_ids.push_back(m.message.id);
    ClaimDecision d = DecideClaim(request_id, claims_, request_ids, replies_.messages(), ClaimFromJs(mine),
                                  [&](const Claim& c) {
                                    for (size_t i = 0; i < claimants_.size() && i < alive_flags.size(); ++i) {
                                      if (claimants_[i] == c) return static_cast<bool>(alive_flags[i]);
                                    }
                                    return false;
                                  });
    if (d.outcome != ClaimOutcome::kClaimed) return Ok(ClaimDecisionToJs(d, val::undefined()));
    // The claims text is what the caller writes (if it claims for real): the
    // next claimants() then finds it unchanged and parses nothing. As bytes:
    // embind decodes a std::string into a JS string a byte at a time, which
    // cost more than the rest of the claim once the file held 1000 claims.
    claims_text_ = ComposeClaims(d.claims);
    claims_ = std::move(d.claims);
    return Ok(ClaimDecisionToJs(d, Bytes(claims_text_)));
  }

  // {fullScans, claimsParses}: how often a file was parsed whole (the first
  // scan of each file, and a file rewritten other than by appending), and
  // how often the claims file was parsed; for tests.
  val Stats() const {
    val out = val::object();
    out.set("fullScans", val(static_cast<double>(full_scans_)));
    out.set("claimsParses", val(static_cast<double>(claims_parses_)));
    return out;
  }

 private:
  ChannelFileIndex requests_;
  ChannelFileIndex replies_;
  bool claims_parsed_ = false;
  std::string claims_text_;
  Claims claims_;
  std::vector<Claim> claimants_;  // of the last claimants() call
  uint64_t full_scans_ = 0;
  uint64_t claims_parses_ = 0;
};

// ---------------------------------------------------------------------------
// Bridge splices (spec/bridge.md, "A-IM: ipckit-splice").

// {at, from, to, body} describing `next` against `base`, or null.
val ComputeSpliceJs(val base, val next) {
  std::optional<bridge::Splice> s = bridge::ComputeSplice(BytesArg(base), BytesArg(next));
  if (!s) return val::null();
  val out = val::object();
  out.set("at", val(static_cast<double>(s->at)));
  out.set("from", val(static_cast<double>(s->from)));
  out.set("to", val(static_cast<double>(s->to)));
  out.set("body", Bytes(s->body));
  return out;
}

// The new version rebuilt from `base` and a splice; corrupt if it does not fit.
val ApplySpliceJs(val base, double at, double from, double to, val body) {
  for (double offset : {at, from, to}) {
    // size_t is 32 bits here: a larger offset must not wrap into range.
    if (!(offset >= 0 && offset <= static_cast<double>(SIZE_MAX)) || std::trunc(offset) != offset) {
      return Err(CorruptError(absl::StrCat("splice offset ", offset, " is not a byte offset")));
    }
  }
  bridge::Splice s;
  s.at = static_cast<size_t>(at);
  s.from = static_cast<size_t>(from);
  s.to = static_cast<size_t>(to);
  s.body = BytesArg(body);
  absl::StatusOr<std::string> rebuilt = bridge::ApplySplice(BytesArg(base), s);
  if (!rebuilt.ok()) return Err(rebuilt.status());
  return Ok(Bytes(*rebuilt));
}

double NowUnixMsJs() { return static_cast<double>(NowUnixMs()); }

std::string ComposeChannelInfoJs(double created_ms) {
  return ComposeChannelInfo(static_cast<uint64_t>(created_ms));
}

val ValidateChannelInfoJs(const std::string& text, const std::string& label) {
  return StatusVal(ValidateChannelInfo(text, label));
}

// The text that replaces an older .channel_info (RaiseChannelInfo), or null
// when it is current.
val RaiseChannelInfoJs(val text, double now_ms, const std::string& label) {
  absl::StatusOr<std::optional<std::string>> raised =
      RaiseChannelInfo(BytesArg(text), static_cast<uint64_t>(now_ms), label);
  if (!raised.ok()) return Err(raised.status());
  return Ok(*raised ? Str(**raised) : val::null());
}

// A named reader's memory of one channel file (CursorInbox), started from a
// cursor {pos, ids}.
class NamedInbox {
 public:
  explicit NamedInbox(val cursor) : inbox_(CursorFromJs(cursor)) {}
  val TakeNew(val text, const std::string& label, bool raw_payload) {
    absl::StatusOr<std::vector<FileMessage>> fresh = inbox_.TakeNew(BytesArg(text), label);
    if (!fresh.ok()) return Err(fresh.status());
    return MessagesToJs(*fresh, raw_payload);
  }
  val SkipAll(val text, const std::string& label) { return StatusVal(inbox_.SkipAll(BytesArg(text), label)); }
  // A new reader's start (rule R4): just before the file's first message, or
  // `floor` (the highest cursor pos) when none has a pos.
  val StartBefore(val text, const std::string& label, double floor) {
    return StatusVal(inbox_.StartBefore(BytesArg(text), label, static_cast<uint64_t>(floor)));
  }
  // {pos, ids, updated: 0}: set updated when writing the cursor file.
  val Cursor() const { return CursorToJs(inbox_.cursor()); }

 private:
  CursorInbox inbox_;
};

// A reader's memory of one channel file (InboxTracker).
class Inbox {
 public:
  // The messages of `text` not returned before, in file order.
  val TakeNew(val text, const std::string& label, bool raw_payload) {
    absl::StatusOr<std::vector<FileMessage>> fresh = tracker_.TakeNew(BytesArg(text), label);
    if (!fresh.ok()) return Err(fresh.status());
    return MessagesToJs(*fresh, raw_payload);
  }
  val SkipAll(val text, const std::string& label) {
    return StatusVal(tracker_.SkipAll(BytesArg(text), label));
  }

 private:
  InboxTracker tracker_;
};

val Constants() {
  val c = val::object();
  c.set("frameHeaderSize", val(static_cast<double>(frame::kHeaderSize)));
  c.set("frameDefaultMaxPayload", val(static_cast<double>(frame::kDefaultMaxPayload)));
  c.set("jsonMaxDepth", val(json::kMaxDepth));
  c.set("jsonFormatVersion", val(json::kFormatVersion));
  c.set("backendToFrontendFile", Str(kBackendToFrontendFile));
  c.set("frontendToBackendFile", Str(kFrontendToBackendFile));
  c.set("lockFile", Str(kLockFile));
  c.set("channelInfoFile", Str(kChannelInfoFile));
  c.set("backendLockFile", Str(kBackendLockFile));
  c.set("backendToFrontendLockFile", Str(Ipckit01LockFileName(kBackendToFrontendFile)));
  c.set("frontendToBackendLockFile", Str(Ipckit01LockFileName(kFrontendToBackendFile)));
  c.set("defaultMaxFileBytes", val(static_cast<double>(kDefaultMaxFileBytes)));
  c.set("fileChannelFormatVersion", val(static_cast<double>(kFileChannelFormatVersion)));
  c.set("maxChannelInfoBytes", val(static_cast<double>(kMaxChannelInfoBytes)));
  const RetentionPolicy retention;
  c.set("defaultRetentionMaxMessages", val(static_cast<double>(retention.max_messages)));
  c.set("defaultRetentionMinAgeMs", val(static_cast<double>(absl::ToInt64Milliseconds(retention.min_age))));
  c.set("defaultRetentionMaxBytes", val(static_cast<double>(retention.max_bytes)));
  c.set("defaultAckGraceMs", val(static_cast<double>(absl::ToInt64Milliseconds(retention.ack_grace))));
  c.set("defaultReaderTtlMs", val(static_cast<double>(absl::ToInt64Milliseconds(kDefaultReaderTtl))));
  c.set("defaultHandlerWaitMs", val(static_cast<double>(absl::ToInt64Milliseconds(kDefaultHandlerWait))));
  c.set("maxReaderFileBytes", val(static_cast<double>(kMaxReaderFileBytes)));
  return c;
}

}  // namespace
}  // namespace wasm
}  // namespace ipckit

EMSCRIPTEN_BINDINGS(ipckit) {
  namespace w = ::ipckit::wasm;
  using emscripten::function;

  function("constants", &w::Constants);

  function("jsonDumps", &w::JsonDumps);
  function("jsonLoads", &w::JsonLoads);
  function("jsonCanonical", &w::JsonCanonical);
  function("jsonFormatDouble", &w::JsonFormatDouble);
  function("jsonQuoteUtf8", &w::JsonQuoteUtf8);

  function("socketPathFor", &w::SocketPathForJs);
  function("validateName", &w::ValidateNameJs);

  function("encodeFrame", &w::EncodeFrame);
  function("frameHeader", &w::FrameHeader);
  function("decodeFrames", &w::DecodeFrames);
  emscripten::class_<w::FrameDecoder>("FrameDecoder")
      .constructor<uint32_t>()
      .function("feed", &w::FrameDecoder::Feed)
      .function("prepareInput", &w::FrameDecoder::PrepareInput)
      .function("commitInput", &w::FrameDecoder::CommitInput)
      .function("hasFrame", &w::FrameDecoder::HasFrame)
      .function("nextFrame", &w::FrameDecoder::NextFrame)
      .function("finish", &w::FrameDecoder::Finish)
      .function("status", &w::FrameDecoder::Status)
      .function("atFrameBoundary", &w::FrameDecoder::AtFrameBoundary)
      .function("bufferedBytes", &w::FrameDecoder::BufferedBytes)
      .function("maxPayload", &w::FrameDecoder::MaxPayload);

  function("composeMessage", &w::ComposeMessageJs);
  function("parseMessage", &w::ParseMessageJs);
  function("parseChannelFile", &w::ParseChannelFileJs);
  function("composeChannelFile", &w::ComposeChannelFileJs);
  function("scanChannelFile", &w::ScanChannelFileJs);
  function("normalizeJson", &w::NormalizeJsonJs);
  function("appendToChannelText", &w::AppendToChannelTextJs);
  function("appendToChannelTextWithOptions", &w::AppendToChannelTextWithOptionsJs);
  function("validateReaderName", &w::ValidateReaderNameJs);
  function("readerFileNames", &w::ReaderFileNamesJs);
  function("readerNameOfCursorFile", &w::ReaderNameOfCursorFileJs);
  function("composeReaderCursor", &w::ComposeReaderCursorJs);
  function("parseReaderCursor", &w::ParseReaderCursorJs);
  function("cursorExpired", &w::CursorExpiredJs);
  function("composeClaims", &w::ComposeClaimsJs);
  function("parseClaims", &w::ParseClaimsJs);
  function("decideClaim", &w::DecideClaimJs);
  function("nowUnixMs", &w::NowUnixMsJs);
  function("computeSplice", &w::ComputeSpliceJs);
  function("applySplice", &w::ApplySpliceJs);
  function("composeChannelInfo", &w::ComposeChannelInfoJs);
  function("validateChannelInfo", &w::ValidateChannelInfoJs);
  function("raiseChannelInfo", &w::RaiseChannelInfoJs);
  emscripten::class_<w::Inbox>("Inbox")
      .constructor<>()
      .function("takeNew", &w::Inbox::TakeNew)
      .function("skipAll", &w::Inbox::SkipAll);
  emscripten::class_<w::NamedInbox>("NamedInbox")
      .constructor<emscripten::val>()
      .function("takeNew", &w::NamedInbox::TakeNew)
      .function("skipAll", &w::NamedInbox::SkipAll)
      .function("startBefore", &w::NamedInbox::StartBefore)
      .function("cursor", &w::NamedInbox::Cursor);
  emscripten::class_<w::ClaimIndex>("ClaimIndex")
      .constructor<>()
      .function("claimants", &w::ClaimIndex::Claimants)
      .function("decide", &w::ClaimIndex::Decide)
      .function("stats", &w::ClaimIndex::Stats);
  emscripten::class_<w::ChannelFileWriter>("ChannelFileWriter")
      .constructor<>()
      .function("append", &w::ChannelFileWriter::Append)
      .function("appendWithOptions", &w::ChannelFileWriter::AppendWithOptions);
}
