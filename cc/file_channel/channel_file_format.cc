#include "cc/file_channel/channel_file_format.h"

#include <algorithm>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "cc/base/error.h"
#include "cc/base/status_macros.h"

namespace ipckit {

uint64_t NowUnixMs() { return static_cast<uint64_t>(std::max<int64_t>(0, absl::ToUnixMillis(absl::Now()))); }

absl::StatusOr<AppendResult> AppendToScannedChannelText(absl::string_view existing,
                                                        const std::vector<ScannedMessage>& scanned,
                                                        absl::string_view label,
                                                        const std::vector<std::string>& new_messages,
                                                        const RetentionPolicy& retention, uint64_t now_ms,
                                                        size_t max_file_bytes) {
  const uint64_t min_age_ms =
      static_cast<uint64_t>(std::max<int64_t>(0, absl::ToInt64Milliseconds(retention.min_age)));
  const size_t max_messages = std::max<size_t>(retention.max_messages, 1);

  // Drop from the front only: the file stays a suffix of the append history,
  // which is what lets readers detect pruning as a sequence gap.
  size_t first_kept = 0;
  size_t total = scanned.size() + new_messages.size();
  while (first_kept < scanned.size() && total > max_messages) {
    uint64_t ts = scanned[first_kept].message.timestamp_ms;
    if (ts > now_ms || now_ms - ts < min_age_ms) break;  // the oldest is too young
    ++first_kept;
    --total;
  }

  std::vector<absl::string_view> texts;
  texts.reserve(total);
  size_t bytes = 4;
  for (size_t i = first_kept; i < scanned.size(); ++i) {
    texts.push_back(existing.substr(scanned[i].begin, scanned[i].end - scanned[i].begin));
    bytes += texts.back().size() + 2;
  }
  for (const std::string& m : new_messages) {
    texts.push_back(m);
    bytes += m.size() + 2;
  }
  if (bytes > max_file_bytes) {
    return TooLargeError(absl::StrCat(label, ": appending ", new_messages.size(),
                                      " message(s) would make it about ", bytes, " bytes, over the limit ",
                                      max_file_bytes,
                                      " (readers are not keeping up or messages are too young to prune)"));
  }
  AppendResult result;
  result.text = ComposeChannelFile(texts);
  result.kept = scanned.size() - first_kept;
  result.pruned = first_kept;
  return result;
}

absl::StatusOr<AppendResult> AppendToChannelText(absl::string_view existing, absl::string_view label,
                                                 const std::vector<std::string>& new_messages,
                                                 const RetentionPolicy& retention, uint64_t now_ms,
                                                 size_t max_file_bytes) {
  // Refuse a corrupt file rather than overwrite it: its valid messages would
  // be lost. ScanChannelFile's error names the file and the byte.
  IPCKIT_ASSIGN_OR_RETURN(std::vector<ScannedMessage> scanned, ScanChannelFile(existing, label));
  return AppendToScannedChannelText(existing, scanned, label, new_messages, retention, now_ms, max_file_bytes);
}

absl::StatusOr<AppendResult> AppendToIndexedChannelText(ChannelFileIndex& index, std::string existing,
                                                        absl::string_view label,
                                                        const std::vector<std::string>& new_messages,
                                                        const RetentionPolicy& retention, uint64_t now_ms,
                                                        size_t max_file_bytes) {
  // A corrupt file is refused here, before anything is written.
  IPCKIT_ASSIGN_OR_RETURN(ChannelFileIndex::Update seen, index.Prepare(std::move(existing), label));
  index.Commit(std::move(seen));
  IPCKIT_ASSIGN_OR_RETURN(AppendResult result,
                          AppendToScannedChannelText(index.text(), index.messages(), label, new_messages,
                                                     retention, now_ms, max_file_bytes));
  // Cheap: the kept messages are one block of the committed text, so only the
  // new ones are scanned.
  absl::StatusOr<ChannelFileIndex::Update> written = index.Prepare(result.text, label);
  if (written.ok()) index.Commit(*std::move(written));
  return result;
}

}  // namespace ipckit
