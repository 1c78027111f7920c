// The OS side of FileChannel format 2's reader files (spec/file_channel.md,
// "Format 2"): a named reader's lock and cursor file, the cursor positions a
// writer reads under the channel lock, and claiming requests. The formats and
// decisions are pure, in channel_file_readers.h.
//
//   IPCKIT_ASSIGN_OR_RETURN(ipckit::NamedReaderFiles files,
//       ipckit::NamedReaderFiles::Open(dir, ipckit::kBackendToFrontendFile, "main", false));
//   ipckit::CursorInbox inbox(files.saved().value_or(ipckit::ReaderCursor()));
//   ... deliver inbox.TakeNew(...) ...
//   IPCKIT_RETURN_IF_ERROR(files.Save(inbox.cursor()));
#ifndef IPCKIT_CC_FILE_CHANNEL_CHANNEL_FILE_READER_IO_H_
#define IPCKIT_CC_FILE_CHANNEL_CHANNEL_FILE_READER_IO_H_

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "cc/file_channel/channel_file_readers.h"
#include "cc/file_channel/file_index.h"
#include "cc/platform/unique_fd.h"

namespace ipckit {

// One named reader of one channel file, open: it holds the exclusive lock on
// .reader.<stem>.<name>.lock (the kernel drops it when the process dies) and
// owns the cursor file.
class NamedReaderFiles {
 public:
  // invalid_argument for a bad name; already_exists if another open reader
  // (another process, or another FileChannel here) holds the name; corrupt if
  // the cursor file is not valid.
  static absl::StatusOr<NamedReaderFiles> Open(const std::string& dir, absl::string_view channel_file,
                                               absl::string_view name, bool allow_shared);

  NamedReaderFiles(NamedReaderFiles&&) = default;
  NamedReaderFiles& operator=(NamedReaderFiles&&) = default;

  // The cursor as the last instance left it; nullopt for a new reader.
  const std::optional<ReaderCursor>& saved() const { return saved_; }
  const std::string& name() const { return name_; }

  // Writes `cursor` (updated = now) by temp file and rename. The reader is
  // its file's only writer, so no channel lock is taken (rule R6).
  absl::Status Save(const ReaderCursor& cursor, bool fsync);

 private:
  NamedReaderFiles() = default;
  std::string dir_;
  std::string name_;
  std::string cursor_file_;
  bool allow_shared_ = false;
  UniqueFd lock_;
  std::optional<ReaderCursor> saved_;
};

// Whether the named reader `name` of `stem` is open somewhere: its lock file
// is held. Probed by taking the lock without waiting (and dropping it).
bool NamedReaderIsOpen(const std::string& dir, absl::string_view stem, absl::string_view name, bool allow_shared);

// Rule W2 and the input of W3, for a writer of `channel_file` holding the
// channel lock: the cursor positions of its registered named readers.
// Cursors whose `updated` is `ttl` old and whose reader is not open are
// deleted with their lock files. An unreadable or corrupt cursor counts as a
// reader at pos 0 (it holds messages back rather than losing them).
std::vector<uint64_t> ReadReaderPositions(const std::string& dir, absl::string_view channel_file, uint64_t now_ms,
                                          absl::Duration ttl, bool allow_shared);

// Rule C1 for the requests `request_ids` (in order) of `request_file`, for a
// reader that answers into `reply_file`; call with the channel lock held.
// Returns, per id, whether `mine` claimed it (the claims file is then
// written); a request that is answered, or claimed by an open reader or live
// process, is not ours. corrupt for a corrupt claims file. `request_index`
// and `reply_index` keep the two files as last scanned across calls, so each
// call scans only what was appended since.
absl::StatusOr<std::vector<bool>> ClaimRequests(const std::string& dir, absl::string_view request_file,
                                                absl::string_view reply_file,
                                                const std::vector<std::string>& request_ids, const Claim& mine,
                                                size_t max_file_bytes, bool allow_shared,
                                                ChannelFileIndex& request_index, ChannelFileIndex& reply_index);

// Deletes the claims files of `channel_files` (clear); missing ones are fine.
absl::Status RemoveClaims(const std::string& dir, const std::vector<absl::string_view>& channel_files);

}  // namespace ipckit

#endif  // IPCKIT_CC_FILE_CHANNEL_CHANNEL_FILE_READER_IO_H_
