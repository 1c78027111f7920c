// The pure part of the channel file protocol: the file names, the retention
// rule, and the append-then-prune step on file text. No file or lock is
// touched here (cc/file_channel/channel_file.h does that), so this library
// also builds for WASM.
//
//   IPCKIT_ASSIGN_OR_RETURN(ipckit::AppendResult r,
//       ipckit::AppendToChannelText(old_text, path, {message_text}, ipckit::RetentionPolicy(),
//                                   ipckit::NowUnixMs(), ipckit::kDefaultMaxFileBytes));
#ifndef IPCKIT_CC_FILE_CHANNEL_CHANNEL_FILE_FORMAT_H_
#define IPCKIT_CC_FILE_CHANNEL_CHANNEL_FILE_FORMAT_H_

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "cc/file_channel/file_index.h"
#include "cc/file_channel/message.h"

namespace ipckit {

inline constexpr absl::string_view kBackendToFrontendFile = "backend_to_frontend.json";
inline constexpr absl::string_view kFrontendToBackendFile = "frontend_to_backend.json";
inline constexpr absl::string_view kLockFile = ".lock";
inline constexpr absl::string_view kChannelInfoFile = ".channel_info";

inline constexpr size_t kDefaultMaxFileBytes = size_t{64} << 20;

// When a writer may drop messages from the front of the file: only while the
// file would hold more than max_messages AND the oldest message is at least
// min_age old. A reader that reads at least once per min_age never loses a
// message; the file may hold more than max_messages when they are all young.
struct RetentionPolicy {
  size_t max_messages = 1000;
  absl::Duration min_age = absl::Seconds(60);
};

// The pure part of a write: the new file text after appending `new_messages`
// (message JSON texts) to `existing`, then pruning per `retention` at clock
// `now_ms`. Existing messages are kept byte for byte. corrupt if `existing`
// is not a valid channel file (it is never overwritten); too_large if the
// result would exceed `max_file_bytes`.
struct AppendResult {
  std::string text;
  size_t kept = 0;    // old messages kept
  size_t pruned = 0;  // old messages dropped by retention
};
absl::StatusOr<AppendResult> AppendToChannelText(absl::string_view existing, absl::string_view label,
                                                 const std::vector<std::string>& new_messages,
                                                 const RetentionPolicy& retention, uint64_t now_ms,
                                                 size_t max_file_bytes);

// AppendToChannelText for a caller that has already scanned `existing`
// (`scanned` == ScanChannelFile(existing), e.g. from a ChannelFileIndex), so
// it is not parsed again.
absl::StatusOr<AppendResult> AppendToScannedChannelText(absl::string_view existing,
                                                        const std::vector<ScannedMessage>& scanned,
                                                        absl::string_view label,
                                                        const std::vector<std::string>& new_messages,
                                                        const RetentionPolicy& retention, uint64_t now_ms,
                                                        size_t max_file_bytes);

// AppendToChannelText for a writer that keeps `index` of one file across its
// writes. `existing` is scanned only past the block the index already holds
// (normally this writer's own last write), and afterwards the index holds the
// result, so the next write scans only what other writers added meanwhile.
// Same result and errors as AppendToChannelText. On error the index describes
// `existing` (or, if that is corrupt, is unchanged). If the caller then fails
// to write the result, the next call merely falls back to a full scan.
absl::StatusOr<AppendResult> AppendToIndexedChannelText(ChannelFileIndex& index, std::string existing,
                                                        absl::string_view label,
                                                        const std::vector<std::string>& new_messages,
                                                        const RetentionPolicy& retention, uint64_t now_ms,
                                                        size_t max_file_bytes);

// The current time in ms since the Unix epoch, as writers stamp messages.
uint64_t NowUnixMs();

}  // namespace ipckit

#endif  // IPCKIT_CC_FILE_CHANNEL_CHANNEL_FILE_FORMAT_H_
