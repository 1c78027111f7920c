// An index of one channel file kept across reads, so that each read only
// parses what was appended since the last one.
//
//   ipckit::ChannelFileIndex index;
//   IPCKIT_ASSIGN_OR_RETURN(ipckit::ChannelFileIndex::Update u, index.Prepare(file_text, path));
//   index.Commit(std::move(u));  // index.messages() now describes file_text
//
// Writers rewrite the whole file, but what they write is the old messages
// minus a pruned prefix plus new ones at the end. When the new text holds the
// previous text's remaining messages as one identical block, only the part
// after that block is scanned; anything else (a foreign writer's layout, a
// rewritten file) falls back to a full scan. Either way the result equals
// ScanChannelFile(new text).
#ifndef IPCKIT_CC_FILE_CHANNEL_FILE_INDEX_H_
#define IPCKIT_CC_FILE_CHANNEL_FILE_INDEX_H_

#include <cstddef>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "cc/file_channel/message.h"

namespace ipckit {

class ChannelFileIndex {
 public:
  // A scan of a new text, relative to the committed one. Apply with Commit.
  struct Update {
    std::string text;
    // Incremental: the committed messages [pruned, size()) are still there,
    // as one block; `tail` holds the messages after it (spans in `text`).
    // Otherwise `tail` holds every message of `text`.
    bool incremental = false;
    size_t pruned = 0;
    std::vector<ScannedMessage> tail;
    size_t block_shift_from = 0;  // offset of the block in the committed text
    size_t block_shift_to = 0;    // offset of the block in `text`
  };

  // Validates and scans `text` (the file's full current content). Errors as
  // ScanChannelFile; the index is unchanged either way until Commit.
  absl::StatusOr<Update> Prepare(std::string text, absl::string_view label) const;

  // Makes `update` (from Prepare on this index, with no Commit in between)
  // the current state.
  void Commit(Update update);

  const std::string& text() const { return text_; }
  const std::vector<ScannedMessage>& messages() const { return messages_; }

 private:
  // Where the committed block starts in `text`, if it is there intact:
  // returns the index of the first committed message found at `pos`.
  bool FindBlock(absl::string_view text, size_t pos, size_t* first) const;

  std::string text_;
  std::vector<ScannedMessage> messages_;
};

}  // namespace ipckit

#endif  // IPCKIT_CC_FILE_CHANNEL_FILE_INDEX_H_
