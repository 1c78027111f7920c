#include "cc/file_channel/channel_file_format.h"

#include <algorithm>
#include <optional>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/strip.h"
#include "absl/time/clock.h"
#include "cc/base/error.h"
#include "cc/base/status_macros.h"

namespace ipckit {

std::string Ipckit01LockFileName(absl::string_view file_name) {
  absl::ConsumeSuffix(&file_name, ".json");
  return absl::StrCat(file_name, ".lock");
}

uint64_t NowUnixMs() { return static_cast<uint64_t>(std::max<int64_t>(0, absl::ToUnixMillis(absl::Now()))); }

uint64_t NextPos(const std::vector<ScannedMessage>& scanned, const std::vector<uint64_t>& reader_positions) {
  uint64_t highest = 0;
  for (uint64_t p : reader_positions) highest = std::max(highest, p);
  // Positions grow along the file, so the highest is near the end; pos-less
  // messages (from 0.1 or format-1 writers) may sit anywhere.
  for (auto it = scanned.rbegin(); it != scanned.rend(); ++it) {
    if (it->message.pos) {
      highest = std::max(highest, *it->message.pos);
      break;
    }
  }
  return highest + 1;
}

absl::StatusOr<std::string> StampPos(absl::string_view message_text, uint64_t pos) {
  if (message_text.empty() || message_text.back() != '}') {
    return InvalidArgumentError("cannot stamp pos: the message text is not one JSON object");
  }
  // A text from elsewhere (a bridge client) that carries pos itself would get
  // it twice; only such texts pay for a parse.
  if (absl::StrContains(message_text, "\"pos\"")) {
    absl::StatusOr<FileMessage> parsed = ParseMessage(message_text);
    if (parsed.ok() && parsed->pos) {
      return InvalidArgumentError("a message to append already has \"pos\"; the writer stamps it");
    }
  }
  // ComposeMessage writes pos last, so the stamped text is exactly what it
  // would write for the message with pos set. An object with no field yet
  // ("{}") cannot be a valid message, so a comma is always right.
  return absl::StrCat(message_text.substr(0, message_text.size() - 1), ",\"pos\":", pos, "}");
}

absl::StatusOr<AppendResult> AppendToScannedChannelText(absl::string_view existing,
                                                        const std::vector<ScannedMessage>& scanned,
                                                        absl::string_view label,
                                                        const std::vector<std::string>& new_messages,
                                                        const RetentionPolicy& retention, uint64_t now_ms,
                                                        size_t max_file_bytes,
                                                        const std::vector<uint64_t>& reader_positions) {
  auto to_ms = [](absl::Duration d) {
    return static_cast<uint64_t>(std::max<int64_t>(0, absl::ToInt64Milliseconds(d)));
  };
  const uint64_t ack_grace_ms = to_ms(retention.ack_grace);
  const size_t max_messages = std::max<size_t>(retention.max_messages, 1);
  const std::optional<uint64_t> acked_pos =
      reader_positions.empty() ? std::nullopt
                               : std::optional<uint64_t>(*std::min_element(reader_positions.begin(),
                                                                           reader_positions.end()));

  AppendResult result;
  result.first_pos = NextPos(scanned, reader_positions);
  std::vector<std::string> stamped;
  stamped.reserve(new_messages.size());
  for (size_t i = 0; i < new_messages.size(); ++i) {
    IPCKIT_ASSIGN_OR_RETURN(std::string m, StampPos(new_messages[i], result.first_pos + i));
    stamped.push_back(std::move(m));
  }

  // The exact size of ComposeChannelFile's output: "[\n", the messages
  // joined by ",\n", "\n]\n" (or "[]\n").
  size_t bytes = 3;
  for (const ScannedMessage& m : scanned) bytes += m.end - m.begin + 2;
  for (const std::string& m : stamped) bytes += m.size() + 2;
  auto older_than = [now_ms](uint64_t ts, uint64_t age_ms) { return ts <= now_ms && now_ms - ts >= age_ms; };

  // Drop from the front only: the file stays a suffix of the append history,
  // which is what lets readers detect pruning as a pos or seq gap.
  size_t first_kept = 0;
  size_t total = scanned.size() + stamped.size();
  while (first_kept < scanned.size()) {
    const FileMessage& m = scanned[first_kept].message;
    const bool acknowledged =
        acked_pos && m.pos && *m.pos <= *acked_pos && older_than(m.timestamp_ms, ack_grace_ms);
    if (!(acknowledged || total > max_messages || bytes > retention.max_bytes)) {
      break;
    }
    bytes -= scanned[first_kept].end - scanned[first_kept].begin + 2;
    ++first_kept;
    --total;
  }

  if (bytes > max_file_bytes) {
    return TooLargeError(absl::StrCat(label, ": appending ", new_messages.size(), " message(s) would make it ",
                                      bytes, " bytes, over the limit ", max_file_bytes));
  }
  std::vector<absl::string_view> texts;
  texts.reserve(total);
  for (size_t i = first_kept; i < scanned.size(); ++i) {
    texts.push_back(existing.substr(scanned[i].begin, scanned[i].end - scanned[i].begin));
  }
  for (const std::string& m : stamped) texts.push_back(m);
  result.text = ComposeChannelFile(texts);
  result.kept = scanned.size() - first_kept;
  result.pruned = first_kept;
  return result;
}

absl::StatusOr<AppendResult> AppendToChannelText(absl::string_view existing, absl::string_view label,
                                                 const std::vector<std::string>& new_messages,
                                                 const RetentionPolicy& retention, uint64_t now_ms,
                                                 size_t max_file_bytes,
                                                 const std::vector<uint64_t>& reader_positions) {
  // Refuse a corrupt file rather than overwrite it: its valid messages would
  // be lost. ScanChannelFile's error names the file and the byte.
  IPCKIT_ASSIGN_OR_RETURN(std::vector<ScannedMessage> scanned, ScanChannelFile(existing, label));
  return AppendToScannedChannelText(existing, scanned, label, new_messages, retention, now_ms, max_file_bytes,
                                    reader_positions);
}

absl::StatusOr<AppendResult> AppendToIndexedChannelText(ChannelFileIndex& index, std::string existing,
                                                        absl::string_view label,
                                                        const std::vector<std::string>& new_messages,
                                                        const RetentionPolicy& retention, uint64_t now_ms,
                                                        size_t max_file_bytes,
                                                        const std::vector<uint64_t>& reader_positions) {
  // A corrupt file is refused here, before anything is written.
  IPCKIT_ASSIGN_OR_RETURN(ChannelFileIndex::Update seen, index.Prepare(std::move(existing), label));
  index.Commit(std::move(seen));
  IPCKIT_ASSIGN_OR_RETURN(AppendResult result,
                          AppendToScannedChannelText(index.text(), index.messages(), label, new_messages,
                                                     retention, now_ms, max_file_bytes, reader_positions));
  // Cheap: the kept messages are one block of the committed text, so only the
  // new ones are scanned.
  absl::StatusOr<ChannelFileIndex::Update> written = index.Prepare(result.text, label);
  if (written.ok()) index.Commit(*std::move(written));
  return result;
}

}  // namespace ipckit
