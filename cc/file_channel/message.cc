#include "cc/file_channel/message.h"

#include <algorithm>
#include <cstdint>
#include <cstring>
#include <string>
#include <utility>
#include <vector>

#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "cc/base/error.h"
#include "cc/base/status_macros.h"
#include "cc/json/json.h"
#include "rapidjson/document.h"
#include "rapidjson/error/en.h"
#include "rapidjson/memorystream.h"
#include "rapidjson/reader.h"

namespace ipckit {
namespace {

// Iterative parsing keeps deep nesting off the C stack; encoding validation
// rejects bytes that are not UTF-8, as every JSON peer would. (Number values
// are only type-checked here; cc/json parses payloads for real.)
constexpr unsigned kParseFlags = rapidjson::kParseIterativeFlag | rapidjson::kParseValidateEncodingFlag;

// Why a parse stopped, in words, with the offset of the problem.
std::string DescribeParseError(const rapidjson::ParseResult& result, size_t size, size_t base = 0) {
  if (result.Offset() >= size) {
    return absl::StrCat("the JSON ends early at byte ", base + size, " (truncated or half-written)");
  }
  return absl::StrCat("invalid JSON at byte ", base + result.Offset(), ": ",
                      rapidjson::GetParseError_En(result.Code()));
}

// Quotes a string for an error message, cut short if long.
std::string Quote(absl::string_view s) {
  constexpr size_t kMax = 40;
  std::string out = absl::StrCat("\"", absl::CHexEscape(s.substr(0, kMax)), "\"");
  if (s.size() > kMax) out += "...";
  return out;
}

bool IsJsonSpace(char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r'; }

// SAX handler behind ScanChannelFile and ParseMessage: validates messages and
// records where each one (and its payload) sits in the text. Relies on the
// iterative parser calling StartObject/EndObject (and StartArray/EndArray)
// with the stream positioned ON the bracket, and scalar handlers just after
// the value.
class ScanHandler {
 public:
  ScanHandler(const rapidjson::MemoryStream* stream, absl::string_view text, absl::string_view label,
              bool single_message, size_t base)
      : stream_(stream), text_(text), label_(label), message_depth_(single_message ? 0 : 1), base_(base) {}

  bool Null() { return Scalar(kNull); }
  bool Bool(bool) { return Scalar(kBool); }
  bool Int(int i) { return i >= 0 ? Unsigned(static_cast<uint64_t>(i)) : Scalar(kNegative); }
  bool Int64(int64_t i) { return i >= 0 ? Unsigned(static_cast<uint64_t>(i)) : Scalar(kNegative); }
  bool Uint(unsigned u) { return Unsigned(u); }
  bool Uint64(uint64_t u) { return Unsigned(u); }
  bool Double(double) { return Scalar(kFraction); }
  bool RawNumber(const char*, rapidjson::SizeType, bool) { return Scalar(kFraction); }
  bool String(const char* s, rapidjson::SizeType n, bool) {
    string_value_ = absl::string_view(s, n);
    if (HasEncodedSurrogate(string_value_)) return LoneSurrogate();
    return Scalar(kString);
  }
  bool Key(const char* s, rapidjson::SizeType n, bool) {
    absl::string_view key(s, n);
    if (HasEncodedSurrogate(key)) return LoneSurrogate();
    if (depth_ != message_depth_ + 1) return true;  // a key inside a payload
    field_ = FieldOf(key);
    // The value starts after the ':' that follows the key.
    size_t pos = stream_->Tell();
    while (pos < text_.size() && (IsJsonSpace(text_[pos]) || text_[pos] == ':')) ++pos;
    value_begin_ = pos;
    if (field_ != kUnknown) {
      uint32_t bit = 1u << field_;
      if (seen_fields_ & bit) return Fail(absl::StrCat("field ", Quote(key), " appears twice"));
      seen_fields_ |= bit;
    }
    return true;
  }
  bool StartObject() {
    if (!Enter()) return false;
    if (depth_ == message_depth_ + 1) return BeginMessage();
    if (depth_ == message_depth_ + 2) return CompoundField(kObject);
    if (depth_ == 1 && message_depth_ == 1) return Fail("the root is an object, expected an array of messages");
    return true;
  }
  bool StartArray() {
    if (!Enter()) return false;
    if (depth_ == 1 && message_depth_ == 1) return true;  // the file's root array
    if (depth_ == message_depth_ + 1) return NotAMessage(kArray);
    if (depth_ == message_depth_ + 2) return CompoundField(kArray);
    return true;
  }
  bool EndObject(rapidjson::SizeType) {
    if (depth_ == message_depth_ + 1) {
      if (!EndMessage()) return false;
    } else if (depth_ == message_depth_ + 2) {
      EndCompoundField();
    }
    --depth_;
    return true;
  }
  bool EndArray(rapidjson::SizeType) {
    if (depth_ == message_depth_ + 2) EndCompoundField();
    --depth_;
    return true;
  }

  // Set when a handler call refused the input.
  const absl::Status& status() const { return status_; }
  std::vector<ScannedMessage>& messages() { return messages_; }

 private:
  enum Field { kId, kTimestamp, kType, kMethod, kReplyTo, kPayload, kError, kSeq, kSender, kPos, kUnknown };
  enum Kind { kNull, kBool, kNegative, kUnsigned, kFraction, kString, kObject, kArray };

  static Field FieldOf(absl::string_view key) {
    if (key == "id") return kId;
    if (key == "timestamp") return kTimestamp;
    if (key == "type") return kType;
    if (key == "method") return kMethod;
    if (key == "reply_to") return kReplyTo;
    if (key == "payload") return kPayload;
    if (key == "error") return kError;
    if (key == "seq") return kSeq;
    if (key == "sender") return kSender;
    if (key == "pos") return kPos;
    return kUnknown;
  }
  static absl::string_view FieldName(Field f) {
    static constexpr absl::string_view kNames[] = {"id",      "timestamp", "type", "method", "reply_to",
                                                   "payload", "error",     "seq",  "sender", "pos"};
    return f == kUnknown ? "?" : kNames[f];
  }
  static absl::string_view KindName(Kind k) {
    switch (k) {
      case kNull: return "null";
      case kBool: return "a boolean";
      case kNegative: return "a negative number";
      case kUnsigned: return "an unsigned integer";
      case kFraction: return "a number that is not an integer";
      case kString: return "a string";
      case kObject: return "an object";
      case kArray: return "an array";
    }
    return "?";
  }

  // RapidJSON decodes a lone "\udc00" escape into the bytes of a surrogate,
  // which are not UTF-8 (raw bytes are validated by the parser itself).
  static bool HasEncodedSurrogate(absl::string_view s) {
    for (size_t i = 0; i + 1 < s.size(); ++i) {
      if (static_cast<unsigned char>(s[i]) == 0xED && static_cast<unsigned char>(s[i + 1]) >= 0xA0) return true;
    }
    return false;
  }
  bool LoneSurrogate() {
    return Fail(absl::StrCat("a string before byte ", base_ + stream_->Tell(),
                             " holds a lone surrogate escape (not a Unicode character)"));
  }

  bool Enter() {
    if (++depth_ > kMaxJsonDepth) {
      status_ = TooLargeError(absl::StrCat(label_, ": JSON nesting at byte ", base_ + stream_->Tell(),
                                           " exceeds the depth limit ", kMaxJsonDepth));
      return false;
    }
    return true;
  }

  bool Fail(absl::string_view what) {
    if (in_message_) {
      status_ = CorruptError(absl::StrCat(label_, ": message at index ", messages_.size(), " (byte ",
                                          base_ + current_.begin, "): ", what));
    } else {
      status_ = CorruptError(absl::StrCat(label_, ": ", what, " (byte ", base_ + stream_->Tell(), ")"));
    }
    return false;
  }

  bool FieldTypeError(Kind got, absl::string_view expected) {
    return Fail(absl::StrCat("field \"", FieldName(field_), "\" at byte ", base_ + value_begin_, " is ",
                             KindName(got), ", expected ", expected));
  }

  bool NotAMessage(Kind kind) {
    return Fail(absl::StrCat("the element at index ", messages_.size(), " is ", KindName(kind),
                             ", expected a message object"));
  }

  bool BeginMessage() {
    current_ = ScannedMessage();
    current_.begin = stream_->Tell();
    if (current_.begin >= text_.size() || text_[current_.begin] != '{') {
      status_ = CorruptError(absl::StrCat(label_, ": internal scan error at byte ", base_ + current_.begin));
      return false;
    }
    in_message_ = true;
    seen_fields_ = 0;
    field_ = kUnknown;
    return true;
  }

  bool EndMessage() {
    for (Field f : {kId, kTimestamp, kType}) {
      if (!(seen_fields_ & (1u << f))) {
        return Fail(absl::StrCat("required field \"", FieldName(f), "\" is missing"));
      }
    }
    current_.end = stream_->Tell() + 1;
    messages_.push_back(std::move(current_));
    in_message_ = false;
    return true;
  }

  // A scalar value: a message field, an element of the root, or payload content.
  bool Scalar(Kind kind) {
    if (depth_ == 0 && message_depth_ == 1) {
      return Fail(absl::StrCat("the root is ", KindName(kind), ", expected an array of messages"));
    }
    if (depth_ == message_depth_) return NotAMessage(kind);
    if (depth_ != message_depth_ + 1) return true;  // inside a payload or unknown field
    FileMessage& m = current_.message;
    switch (field_) {
      case kId:
        if (kind != kString) return FieldTypeError(kind, "a string");
        if (string_value_.empty()) return Fail("field \"id\" is empty");
        m.id = std::string(string_value_);
        return true;
      case kType: {
        if (kind != kString) return FieldTypeError(kind, "\"request\", \"response\" or \"event\"");
        absl::StatusOr<MessageType> type = ParseMessageType(string_value_);
        if (!type.ok()) {
          return Fail(absl::StrCat("field \"type\" is ", Quote(string_value_),
                                   ", expected \"request\", \"response\" or \"event\""));
        }
        m.type = *type;
        return true;
      }
      case kTimestamp:
        return FieldTypeError(kind, "an unsigned integer");
      case kSeq:
      case kPos:
        if (kind == kNull) return true;  // null reads as absent
        return FieldTypeError(kind, "an unsigned integer or null");
      case kMethod:
      case kReplyTo:
      case kError:
      case kSender: {
        if (kind == kNull) return true;  // null reads as absent
        if (kind != kString) return FieldTypeError(kind, "a string or null");
        std::optional<std::string>& slot = field_ == kMethod    ? m.method
                                           : field_ == kReplyTo ? m.reply_to
                                           : field_ == kError   ? m.error
                                                                : m.sender;
        slot = std::string(string_value_);
        return true;
      }
      case kPayload:
        current_.payload_begin = value_begin_;
        current_.payload_end = stream_->Tell();
        return true;
      case kUnknown:
        return true;
    }
    return true;
  }

  bool Unsigned(uint64_t value) {
    if (depth_ == message_depth_ + 1 && (field_ == kTimestamp || field_ == kSeq || field_ == kPos)) {
      if (field_ == kTimestamp) {
        current_.message.timestamp_ms = value;
      } else if (field_ == kSeq) {
        current_.message.seq = value;
      } else {
        current_.message.pos = value;
      }
      return true;
    }
    return Scalar(kUnsigned);
  }

  // An object or array opening as the value of a message field.
  bool CompoundField(Kind kind) {
    if (field_ == kPayload || field_ == kUnknown) return true;
    switch (field_) {
      case kId: return FieldTypeError(kind, "a string");
      case kType: return FieldTypeError(kind, "\"request\", \"response\" or \"event\"");
      case kTimestamp:
      case kSeq:
      case kPos: return FieldTypeError(kind, "an unsigned integer");
      default: return FieldTypeError(kind, "a string or null");
    }
  }

  void EndCompoundField() {
    if (field_ == kPayload) {
      current_.payload_begin = value_begin_;
      current_.payload_end = stream_->Tell() + 1;
    }
  }

  const rapidjson::MemoryStream* stream_;
  absl::string_view text_;
  absl::string_view label_;
  const int message_depth_;  // containers open around a message: 1 in a file, 0 alone
  const size_t base_;        // offset of text_ within the whole file
  int depth_ = 0;            // containers open now
  bool in_message_ = false;
  ScannedMessage current_;
  uint32_t seen_fields_ = 0;
  Field field_ = kUnknown;
  size_t value_begin_ = 0;
  absl::string_view string_value_;
  absl::Status status_;
  std::vector<ScannedMessage> messages_;
};

absl::StatusOr<std::vector<ScannedMessage>> Scan(absl::string_view text, absl::string_view label,
                                                 bool single_message, size_t base) {
  rapidjson::MemoryStream stream(text.data(), text.size());
  ScanHandler handler(&stream, text, label, single_message, base);
  rapidjson::Reader reader;
  rapidjson::ParseResult result = reader.Parse<kParseFlags>(stream, handler);
  if (!handler.status().ok()) return handler.status();
  if (result.IsError()) {
    if (result.Code() == rapidjson::kParseErrorDocumentEmpty && !single_message) {
      return std::vector<ScannedMessage>();  // empty or all-whitespace file: no messages
    }
    return CorruptError(absl::StrCat(label, ": ", DescribeParseError(result, text.size(), base)));
  }
  // The parser stops at a NUL byte as if the text ended there.
  if (stream.Tell() != text.size()) {
    return CorruptError(absl::StrCat(label, ": unexpected NUL byte at byte ", base + stream.Tell()));
  }
  std::vector<ScannedMessage>& messages = handler.messages();
  if (base != 0) {
    for (ScannedMessage& m : messages) {
      m.begin += base;
      m.end += base;
      if (m.payload_end > m.payload_begin) {
        m.payload_begin += base;
        m.payload_end += base;
      }
    }
  }
  return std::move(messages);
}

}  // namespace

absl::string_view MessageTypeName(MessageType type) {
  switch (type) {
    case MessageType::kRequest: return "request";
    case MessageType::kResponse: return "response";
    case MessageType::kEvent: return "event";
  }
  return "event";
}

absl::StatusOr<MessageType> ParseMessageType(absl::string_view name) {
  if (name == "request") return MessageType::kRequest;
  if (name == "response") return MessageType::kResponse;
  if (name == "event") return MessageType::kEvent;
  return InvalidArgumentError(
      absl::StrCat("message type ", Quote(name), " is not \"request\", \"response\" or \"event\""));
}

bool FileMessage::operator==(const FileMessage& o) const {
  return id == o.id && timestamp_ms == o.timestamp_ms && type == o.type && method == o.method &&
         reply_to == o.reply_to && payload_json == o.payload_json && error == o.error &&
         seq == o.seq && sender == o.sender && pos == o.pos;
}

absl::StatusOr<std::string> NormalizeJson(absl::string_view json, int max_depth) {
  // json_loads + json_dumps: the exact text every ipckit binding writes.
  json::LoadOptions options;
  options.max_depth = std::clamp(max_depth, 0, json::kMaxDepth);
  IPCKIT_ASSIGN_OR_RETURN(rapidjson::Document doc, json::Loads(json, options));
  return json::Dumps(doc);
}

absl::StatusOr<std::string> ComposeMessage(const FileMessage& m) {
  if (m.id.empty()) return InvalidArgumentError("cannot compose a message with an empty id");
  // The file's array and the message object take two levels.
  json::LoadOptions options;
  options.max_depth = kMaxJsonDepth - 2;
  absl::StatusOr<rapidjson::Document> payload = json::Loads(m.payload_json, options);
  if (!payload.ok()) {
    std::string what = absl::StrCat("payload of message ", Quote(m.id), ": ", payload.status().message());
    return ErrorClassOf(payload.status()) == kErrTooLarge ? TooLargeError(what) : InvalidArgumentError(what);
  }
  json::OutputBuffer buffer;
  json::CompactWriter w(buffer);
  bool ok = w.StartObject();
  auto string_field = [&](absl::string_view key, absl::string_view value) {
    ok = ok && w.Key(key) && w.String(value);
  };
  string_field("id", m.id);
  ok = ok && w.Key("timestamp") && w.Uint64(m.timestamp_ms);
  string_field("type", MessageTypeName(m.type));
  // ipckit 0.1's field order: reply_to before method.
  if (m.reply_to) string_field("reply_to", *m.reply_to);
  if (m.method) string_field("method", *m.method);
  ok = ok && w.Key("payload") && payload->Accept(w);
  if (m.error) string_field("error", *m.error);
  if (m.seq) ok = ok && w.Key("seq") && w.Uint64(*m.seq);
  if (m.sender) string_field("sender", *m.sender);
  if (m.pos) ok = ok && w.Key("pos") && w.Uint64(*m.pos);
  ok = ok && w.EndObject();
  if (!ok) {
    return InvalidArgumentError(absl::StrCat("message ", Quote(m.id), ": ",
                                             w.status().ok() ? "cannot be written" : w.status().message()));
  }
  return std::string(buffer.GetString(), buffer.GetSize());
}

absl::StatusOr<FileMessage> ParseMessage(absl::string_view json) {
  IPCKIT_ASSIGN_OR_RETURN(std::vector<ScannedMessage> scanned, Scan(json, "message", true, 0));
  if (scanned.size() != 1) return CorruptError("message: expected one message object");
  return MaterializeMessage(json, scanned[0]);
}

absl::StatusOr<std::vector<ScannedMessage>> ScanChannelFile(absl::string_view text,
                                                            absl::string_view file_label,
                                                            size_t base_offset) {
  return Scan(text, file_label, false, base_offset);
}

absl::StatusOr<FileMessage> MaterializeMessage(absl::string_view text, const ScannedMessage& scanned) {
  FileMessage message = scanned.message;
  if (scanned.payload_end > scanned.payload_begin) {
    absl::StatusOr<std::string> payload =
        NormalizeJson(text.substr(scanned.payload_begin, scanned.payload_end - scanned.payload_begin));
    if (!payload.ok()) {
      return CorruptError(absl::StrCat("payload at byte ", scanned.payload_begin, ": ",
                                       payload.status().message()));
    }
    message.payload_json = *std::move(payload);
  } else {
    message.payload_json = "null";  // a missing payload reads as null
  }
  return message;
}

absl::StatusOr<std::vector<FileMessage>> ParseChannelFile(absl::string_view text,
                                                          absl::string_view file_label) {
  IPCKIT_ASSIGN_OR_RETURN(std::vector<ScannedMessage> scanned, ScanChannelFile(text, file_label));
  std::vector<FileMessage> out;
  out.reserve(scanned.size());
  for (const ScannedMessage& s : scanned) {
    IPCKIT_ASSIGN_OR_RETURN(FileMessage m, MaterializeMessage(text, s));
    out.push_back(std::move(m));
  }
  return out;
}

std::string ComposeChannelFile(const std::vector<absl::string_view>& message_texts) {
  if (message_texts.empty()) return "[]\n";
  return absl::StrCat("[\n", absl::StrJoin(message_texts, ",\n"), "\n]\n");
}

}  // namespace ipckit
