// The pure part of the channel file protocol: the file names, the retention
// rule, and the append-then-prune step on file text. No file or lock is
// touched here (cc/file_channel/channel_file.h does that), so this library
// also builds for WASM. The readers' cursor and claims files are in
// channel_file_readers.h.
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
// What a backend holds locked while it is open (spec/file_channel.md,
// "Backend liveness").
inline constexpr absl::string_view kBackendLockFile = ".backend.lock";

// ipckit 0.1's lock file for the channel file `file_name`: ".json" replaced
// by ".lock" (frontend_to_backend.json -> frontend_to_backend.lock).
std::string Ipckit01LockFileName(absl::string_view file_name);

inline constexpr size_t kDefaultMaxFileBytes = size_t{64} << 20;

inline constexpr size_t kDefaultMaxRetainedBytes = size_t{8} << 20;

// When a writer drops messages from the front of the file (format 2, rule W3
// of spec/file_channel.md). With the new messages appended, the first message
// is dropped while any of these holds (the new messages never are):
//  - acknowledged: at least one named reader is registered, every one's
//    cursor is at or past the message's pos, and the message is at least
//    ack_grace old (what anonymous and ipckit 0.1 readers get);
//  - over count: the file holds more than max_messages;
//  - over bytes: the file is longer than max_bytes.
// A reader that falls behind the count or byte bound sees a pos gap
// (data_loss). Format 1 kept every message younger than min_age, so a burst
// grew the file without bound; min_age is no longer a rule (kept so that
// callers that set it still build; writers ignore it).
struct RetentionPolicy {
  size_t max_messages = 1000;
  absl::Duration min_age = absl::Seconds(60);
  size_t max_bytes = kDefaultMaxRetainedBytes;
  absl::Duration ack_grace = absl::Milliseconds(500);
};

// The pure part of a write: the new file text after appending `new_messages`
// (message JSON texts as ComposeMessage writes them, without pos) to
// `existing`, each stamped with the next pos, then pruning per `retention` at
// clock `now_ms`. `reader_positions` are the cursor positions of the file's
// registered named readers (empty: none). Existing messages are kept byte for
// byte. corrupt if `existing` is not a valid channel file (it is never
// overwritten); too_large if the result would exceed `max_file_bytes`.
struct AppendResult {
  std::string text;
  size_t kept = 0;         // old messages kept
  size_t pruned = 0;       // old messages dropped by retention
  uint64_t first_pos = 0;  // pos stamped on the first new message
};
absl::StatusOr<AppendResult> AppendToChannelText(absl::string_view existing, absl::string_view label,
                                                 const std::vector<std::string>& new_messages,
                                                 const RetentionPolicy& retention, uint64_t now_ms,
                                                 size_t max_file_bytes,
                                                 const std::vector<uint64_t>& reader_positions = {});

// The pos the next appended message gets (rule W1): one past the highest pos
// in the file and in any reader's cursor, so it stays monotonic across
// pruning and across ipckit 0.1 writers, which drop the field.
uint64_t NextPos(const std::vector<ScannedMessage>& scanned, const std::vector<uint64_t>& reader_positions);

// `message_text` (one JSON object, as ComposeMessage writes it, without pos)
// with `"pos":<pos>` added as its last field. invalid_argument if it does not
// end with '}' or already has a pos field.
absl::StatusOr<std::string> StampPos(absl::string_view message_text, uint64_t pos);

// AppendToChannelText for a caller that has already scanned `existing`
// (`scanned` == ScanChannelFile(existing), e.g. from a ChannelFileIndex), so
// it is not parsed again.
absl::StatusOr<AppendResult> AppendToScannedChannelText(absl::string_view existing,
                                                        const std::vector<ScannedMessage>& scanned,
                                                        absl::string_view label,
                                                        const std::vector<std::string>& new_messages,
                                                        const RetentionPolicy& retention, uint64_t now_ms,
                                                        size_t max_file_bytes,
                                                        const std::vector<uint64_t>& reader_positions = {});

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
                                                        size_t max_file_bytes,
                                                        const std::vector<uint64_t>& reader_positions = {});

// The current time in ms since the Unix epoch, as writers stamp messages.
uint64_t NowUnixMs();

}  // namespace ipckit

#endif  // IPCKIT_CC_FILE_CHANNEL_CHANNEL_FILE_FORMAT_H_
