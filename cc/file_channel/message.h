// FileChannel messages: one JSON object each, a channel file is an array of them.
//
//   ipckit::FileMessage m{.id = id, .timestamp_ms = now, .type = ipckit::MessageType::kEvent};
//   IPCKIT_ASSIGN_OR_RETURN(std::string text, ipckit::ComposeMessage(m));
//   IPCKIT_ASSIGN_OR_RETURN(std::vector<ipckit::FileMessage> all, ipckit::ParseChannelFile(file_text));
//
// The object layout, the validation rules and the exact text a writer produces
// are in spec/file_channel.md. Readers ignore fields they do not know; writers
// that rewrite a file keep other writers' messages byte for byte (see
// ScanChannelFile), so unknown fields survive.
#ifndef IPCKIT_CC_FILE_CHANNEL_MESSAGE_H_
#define IPCKIT_CC_FILE_CHANNEL_MESSAGE_H_

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace ipckit {

enum class MessageType { kRequest, kResponse, kEvent };

// "request", "response", "event".
absl::string_view MessageTypeName(MessageType type);
// Inverse of MessageTypeName; invalid_argument for anything else.
absl::StatusOr<MessageType> ParseMessageType(absl::string_view name);

// Deeper JSON nesting in a channel file (its array and the message object
// count, so a payload gets kMaxJsonDepth - 2) is refused (too_large), so that
// no parse or compose step can exhaust the stack.
inline constexpr int kMaxJsonDepth = 128;

struct FileMessage {
  std::string id;  // unique per message; uuid-v4 shaped when we write it
  uint64_t timestamp_ms = 0;  // writer's clock, ms since the Unix epoch
  MessageType type = MessageType::kEvent;
  std::optional<std::string> method;    // request: method; event: event name
  std::optional<std::string> reply_to;  // response: id of the request
  std::string payload_json = "null";    // "payload" as compact JSON text
  std::optional<std::string> error;     // error response: what went wrong
  // Extensions of format version 1 (ipckit 0.1 neither writes nor needs them).
  std::optional<uint64_t> seq;          // per-writer sequence number, from 1
  std::optional<std::string> sender;    // id of the writing endpoint
  // Extension of format version 2: the place in the file's append history,
  // stamped by the writer under the lock (see StampPos in channel_file_format.h).
  std::optional<uint64_t> pos;

  bool operator==(const FileMessage& other) const;
  bool operator!=(const FileMessage& other) const { return !(*this == other); }
};

// The exact JSON text of `message` as a writer stores it: fields in ipckit
// 0.1's order id, timestamp, type, reply_to, method, payload, error, then our
// seq, sender, pos; absent optionals omitted; payload re-serialized compactly by
// the rules of spec/json.md. invalid_argument for an
// empty id, payload text that is not one JSON value (NaN/Infinity included),
// or strings that are not UTF-8; too_large for a payload nested deeper than
// kMaxJsonDepth - 2 (what a reader of the file would accept).
absl::StatusOr<std::string> ComposeMessage(const FileMessage& message);

// Re-serializes one JSON value compactly (the form payload_json holds).
// invalid_argument if `json` is not exactly one JSON value; too_large if it
// nests deeper than `max_depth`.
absl::StatusOr<std::string> NormalizeJson(absl::string_view json, int max_depth = kMaxJsonDepth);

// Parses one message object (e.g. a line of a channel file). corrupt if it is
// not a valid message.
absl::StatusOr<FileMessage> ParseMessage(absl::string_view json);

// A message found by ScanChannelFile: its fields, except that payload_json is
// left empty (normalizing every payload is the expensive part and a writer
// never needs it), and where its text sits in the file.
struct ScannedMessage {
  FileMessage message;
  size_t begin = 0;          // offset of the message's '{'
  size_t end = 0;            // one past its '}'
  size_t payload_begin = 0;  // raw "payload" value; empty span if absent
  size_t payload_end = 0;
};

// Validates a whole channel file and locates its messages. Empty or
// all-whitespace text is an empty channel. corrupt (naming `file_label` and
// the byte offset) for invalid JSON, a truncated file, a root that is not an
// array, or any message that breaks the rules; too_large for nesting deeper
// than kMaxJsonDepth. The caller bounds the text size.
// `base_offset` is added to every offset (spans and error messages), for
// scanning a piece of a larger file.
absl::StatusOr<std::vector<ScannedMessage>> ScanChannelFile(absl::string_view text,
                                                            absl::string_view file_label,
                                                            size_t base_offset = 0);

// Completes a scanned message: payload_json from its span in `text`.
absl::StatusOr<FileMessage> MaterializeMessage(absl::string_view text,
                                               const ScannedMessage& scanned);

// ScanChannelFile + MaterializeMessage for every message.
absl::StatusOr<std::vector<FileMessage>> ParseChannelFile(
    absl::string_view text, absl::string_view file_label = "channel file");

// A channel file from message texts (each one JSON object): "[\n" + texts
// joined by ",\n" + "\n]\n", or "[]\n" when there are none.
std::string ComposeChannelFile(const std::vector<absl::string_view>& message_texts);

}  // namespace ipckit

#endif  // IPCKIT_CC_FILE_CHANNEL_MESSAGE_H_
