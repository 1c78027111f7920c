// A reader's memory of one channel file: which messages it has already taken,
// and the step that turns the file's current text into the ones that are new.
//
//   ipckit::InboxTracker inbox;
//   IPCKIT_ASSIGN_OR_RETURN(std::vector<ipckit::FileMessage> fresh,
//                           inbox.TakeNew(file_text, path));  // each message once
//
// "Seen" is the set of ids of the messages in the file as last read (they were
// all delivered then), so it stays as small as the file and works for writers
// that do not stamp seq/sender (ipckit 0.1). Per-sender last seq catches
// messages that were pruned before this reader got to them: that is reported
// as an error of class "data_loss", once, never silently.
//
// CursorInbox is a named reader's memory (format 2, rules R2-R5): the pos
// it has taken up to plus the ids of pos-less messages, which is what its
// cursor file holds, so it resumes where a previous instance stopped:
//
//   ipckit::CursorInbox inbox(cursor_from_file);
//   IPCKIT_ASSIGN_OR_RETURN(std::vector<ipckit::FileMessage> fresh, inbox.TakeNew(file_text, path));
//   ... hand them to the application, then write ComposeReaderCursor(inbox.cursor())
#ifndef IPCKIT_CC_FILE_CHANNEL_INBOX_H_
#define IPCKIT_CC_FILE_CHANNEL_INBOX_H_

#include <cstdint>
#include <string>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/container/flat_hash_set.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "cc/base/error.h"
#include "cc/file_channel/channel_file_readers.h"
#include "cc/file_channel/file_index.h"
#include "cc/file_channel/message.h"

namespace ipckit {

class InboxTracker {
 public:
  // The messages in `text` (the file's full current content) this tracker
  // has not returned before, in file order, each id once. On a sequence gap
  // returns data_loss naming the senders and the missing seq ranges; the
  // messages that are there are kept and returned by the next call, so the
  // loss is reported once and nothing else is lost. corrupt/too_large from
  // scanning leave the state untouched.
  absl::StatusOr<std::vector<FileMessage>> TakeNew(std::string text, absl::string_view label);

  // Marks every message in `text` as taken without returning it, and drops
  // messages kept back by a data_loss report.
  absl::Status SkipAll(std::string text, absl::string_view label);

 private:
  // Senders remembered beyond those present in the file; bounds memory when
  // many short-lived writers come and go.
  static constexpr size_t kMaxRememberedSenders = 1024;

  void ForgetAbsentSenders();

  ChannelFileIndex index_;                       // the file as last taken
  absl::flat_hash_set<std::string> seen_ids_;    // == ids in index_.messages()
  absl::flat_hash_map<std::string, uint64_t> last_seq_;
  std::vector<FileMessage> held_back_;           // delivered after a data_loss report
};

class CursorInbox {
 public:
  explicit CursorInbox(ReaderCursor start = {}) : cursor_(std::move(start)) {}

  // The messages of `text` past the cursor, in file order, each once: those
  // with a pos above cursor().pos, and pos-less ones whose id is not in
  // cursor().ids. When the first pos in the file is more than one past the
  // cursor's pos, returns data_loss naming the missing pos range and moves
  // the cursor to just before it, so the next call returns what is there.
  // corrupt/too_large from scanning leave the state untouched.
  absl::StatusOr<std::vector<FileMessage>> TakeNew(std::string text, absl::string_view label);

  // Moves the cursor to the end of `text` without returning anything (a
  // reader that starts at "now").
  absl::Status SkipAll(std::string text, absl::string_view label);

  // Places a new reader's cursor just before the first message of `text`
  // (rule R4), so that it takes the whole file and a later loss is
  // reported: pos = the first pos in the file - 1, or `floor` (the highest pos
  // the writers know: NextPos - 1) when no message in it has one; ids empty.
  absl::Status StartBefore(absl::string_view text, absl::string_view label, uint64_t floor);

  // pos and ids; updated_ms is the caller's to set when it writes the file.
  const ReaderCursor& cursor() const { return cursor_; }

 private:
  ReaderCursor cursor_;
  ChannelFileIndex index_;  // the file as last taken
};

}  // namespace ipckit

#endif  // IPCKIT_CC_FILE_CHANNEL_INBOX_H_
