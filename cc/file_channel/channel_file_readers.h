// The pure part of FileChannel format 2's reader files (spec/file_channel.md,
// "Format 2"): a named reader's cursor file, the claims file that lets one
// frontend run a request's handler, and the claim decision. No file or lock is
// touched here, so this library also builds for WASM.
//
//   IPCKIT_RETURN_IF_ERROR(ipckit::ValidateReaderName(name));
//   std::string cursor_file = ipckit::ReaderCursorFileName("backend_to_frontend", name);
//   IPCKIT_ASSIGN_OR_RETURN(ipckit::ReaderCursor c, ipckit::ParseReaderCursor(text, cursor_file));
//   ...
//   ipckit::ClaimDecision d = ipckit::DecideClaim(request_id, claims, request_ids, reply_file, mine, alive);
//   if (d.outcome == ipckit::ClaimOutcome::kClaimed) { /* write ComposeClaims(d.claims), run the handler */ }
#ifndef IPCKIT_CC_FILE_CHANNEL_CHANNEL_FILE_READERS_H_
#define IPCKIT_CC_FILE_CHANNEL_CHANNEL_FILE_READERS_H_

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "cc/file_channel/message.h"

namespace ipckit {

// A cursor older than this whose reader is not running is deleted by writers
// (rule W2), so a reader gone for good stops holding messages back.
inline constexpr absl::Duration kDefaultReaderTtl = absl::Hours(24 * 7);
// How long a frontend keeps a request for a method with no handler before
// answering "no handler for method" (rule C3).
inline constexpr absl::Duration kDefaultHandlerWait = absl::Seconds(5);
// Cursor and claims files larger than this are refused (too_large) unread.
inline constexpr size_t kMaxReaderFileBytes = size_t{4} << 20;

// Reader names match [A-Za-z0-9_-]{1,64}; invalid_argument otherwise.
absl::Status ValidateReaderName(absl::string_view name);

// `stem` is the channel file's name without ".json" ("backend_to_frontend").
std::string ChannelFileStem(absl::string_view channel_file_name);
std::string ReaderCursorFileName(absl::string_view stem, absl::string_view name);  // .reader.<stem>.<name>.json
std::string ReaderLockFileName(absl::string_view stem, absl::string_view name);    // .reader.<stem>.<name>.lock
std::string ClaimsFileName(absl::string_view stem);                                // .claims.<stem>.json
// The reader name in a cursor file name of `stem`, or nullopt if `file_name`
// is not one (lock files, other stems, invalid names).
std::optional<std::string> ReaderNameOfCursorFile(absl::string_view stem, absl::string_view file_name);

// A named reader's progress through one channel file.
struct ReaderCursor {
  uint64_t pos = 0;                // highest pos taken
  std::vector<std::string> ids;    // ids of the pos-less messages in the file when last read
  uint64_t updated_ms = 0;         // when it was last written
  bool operator==(const ReaderCursor& o) const {
    return pos == o.pos && ids == o.ids && updated_ms == o.updated_ms;
  }
};

// {"pos":<u64>,"ids":[...],"updated":<ms>} and a newline.
std::string ComposeReaderCursor(const ReaderCursor& cursor);
// corrupt (naming `label`) unless `text` is one object with "pos" and
// "updated" unsigned integers and "ids" an array of strings; other fields are
// ignored. too_large over kMaxReaderFileBytes.
absl::StatusOr<ReaderCursor> ParseReaderCursor(absl::string_view text, absl::string_view label);

// Whether writers may delete this cursor (when its reader's lock is not held).
bool CursorExpired(const ReaderCursor& cursor, uint64_t now_ms, absl::Duration ttl);

// Who runs a request's handler.
struct Claim {
  std::string reader;  // the claimant's reader name, "" if anonymous
  uint32_t pid = 0;    // the claimant's process
  uint64_t at_ms = 0;  // when it claimed
  bool operator==(const Claim& o) const { return reader == o.reader && pid == o.pid && at_ms == o.at_ms; }
};
struct ClaimEntry {
  std::string request_id;
  Claim claim;
  bool operator==(const ClaimEntry& o) const { return request_id == o.request_id && claim == o.claim; }
};
using Claims = std::vector<ClaimEntry>;  // in file order, each request id once

// {"<request id>":{"reader":...,"pid":...,"at":...},...} and a newline.
std::string ComposeClaims(const Claims& claims);
// corrupt unless one object of such members (a request id twice included);
// empty or whitespace-only text is no claims. too_large over kMaxReaderFileBytes.
absl::StatusOr<Claims> ParseClaims(absl::string_view text, absl::string_view label);

enum class ClaimOutcome {
  kClaimed,          // run the handler; write `claims`
  kAnswered,         // a response to it is in the reply file: skip
  kClaimedByOther,   // a live claimant holds it: skip
};
absl::string_view ClaimOutcomeName(ClaimOutcome outcome);  // "claimed", "answered", "claimed_by_other"

struct ClaimDecision {
  ClaimOutcome outcome = ClaimOutcome::kClaimed;
  Claims claims;  // the claims file to write when claimed: pruned to `request_ids`, ours added
  std::optional<Claim> holder;  // kClaimedByOther: who holds it
};

// Rules C1, C2, C4: may `mine` run the handler of request `request_id`?
// `claims` is the claims file as read under the lock, `request_ids` the ids
// in the request file as read, `reply_file` the scanned file the claimant
// writes its responses to, `alive(claim)` whether a claimant still runs (a
// named one's reader lock is held, an anonymous one's pid lives). A claim
// under our own reader name (any pid: an earlier instance of this reader), or
// for an anonymous reader under its own pid, is ours.
ClaimDecision DecideClaim(absl::string_view request_id, const Claims& claims,
                          const std::vector<std::string>& request_ids,
                          const std::vector<ScannedMessage>& reply_file, const Claim& mine,
                          const std::function<bool(const Claim&)>& alive);

}  // namespace ipckit

#endif  // IPCKIT_CC_FILE_CHANNEL_CHANNEL_FILE_READERS_H_
