#include "cc/file_channel/file_index.h"

#include <algorithm>
#include <cstdint>
#include <cstring>
#include <utility>

#include "absl/strings/str_cat.h"
#include "cc/base/status_macros.h"

namespace ipckit {
namespace {

bool IsJsonSpace(char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r'; }

// memcmp(a, b, n) == 0, eight bytes a step. The block compare below is the
// hot loop of every incremental read and write, and the WASM build's libc
// memcmp goes one byte a step (natively this is as fast as memcmp, give or
// take, for the sizes of channel files).
bool SameBytes(const char* a, const char* b, size_t n) {
  size_t i = 0;
  for (; i + 8 <= n; i += 8) {
    uint64_t x, y;
    std::memcpy(&x, a + i, 8);
    std::memcpy(&y, b + i, 8);
    if (x != y) return false;
  }
  for (; i < n; ++i) {
    if (a[i] != b[i]) return false;
  }
  return true;
}

size_t SkipSpace(absl::string_view text, size_t pos) {
  while (pos < text.size() && IsJsonSpace(text[pos])) ++pos;
  return pos;
}

}  // namespace

bool ChannelFileIndex::FindBlock(absl::string_view text, size_t pos, size_t* first) const {
  // Messages start with their id in our layout, so a short prefix compare
  // rejects non-matching candidates quickly.
  constexpr size_t kProbe = 64;
  for (size_t j = 0; j < messages_.size(); ++j) {
    const ScannedMessage& m = messages_[j];
    size_t len = m.end - m.begin;
    if (pos + len > text.size()) continue;
    if (!SameBytes(text.data() + pos, text_.data() + m.begin, std::min(len, kProbe))) continue;
    size_t block_len = messages_.back().end - m.begin;
    if (pos + block_len > text.size()) return false;
    if (!SameBytes(text.data() + pos, text_.data() + m.begin, block_len)) return false;
    *first = j;
    return true;
  }
  return false;
}

absl::StatusOr<ChannelFileIndex::Update> ChannelFileIndex::Prepare(std::string text,
                                                                   absl::string_view label) const {
  Update update;
  update.text = std::move(text);
  absl::string_view t = update.text;

  // Fast path: "[" ws <committed messages j..n as one identical block> rest,
  // where rest is ws "]" ws or ws "," <more messages> ws "]" ws.
  size_t pos = SkipSpace(t, 0);
  size_t first = 0;
  if (!messages_.empty() && pos < t.size() && t[pos] == '[' &&
      FindBlock(t, SkipSpace(t, pos + 1), &first)) {
    size_t block_at = SkipSpace(t, pos + 1);
    size_t after = block_at + (messages_.back().end - messages_[first].begin);
    size_t i = SkipSpace(t, after);
    if (i < t.size() && (t[i] == ',' || t[i] == ']')) {
      // Scan the rest as an array of its own: "[" + what follows the comma,
      // or "[" + "]..." for no new messages.
      std::string rest = absl::StrCat("[", t.substr(t[i] == ',' ? i + 1 : i));
      size_t base = t[i] == ',' ? i : i - 1;
      absl::StatusOr<std::vector<ScannedMessage>> tail = ScanChannelFile(rest, label, base);
      // A comma with nothing after it ("[{...},]") is invalid: let the full
      // scan below report it.
      if (tail.ok() && !(t[i] == ',' && tail->empty())) {
        update.incremental = true;
        update.pruned = first;
        update.tail = *std::move(tail);
        update.block_shift_from = messages_[first].begin;
        update.block_shift_to = block_at;
        return update;
      }
    }
  }
  IPCKIT_ASSIGN_OR_RETURN(update.tail, ScanChannelFile(t, label));
  return update;
}

void ChannelFileIndex::Commit(Update update) {
  if (!update.incremental) {
    text_ = std::move(update.text);
    messages_ = std::move(update.tail);
    return;
  }
  messages_.erase(messages_.begin(), messages_.begin() + update.pruned);
  // Shift the kept spans from their old position to their new one.
  for (ScannedMessage& m : messages_) {
    m.begin = m.begin - update.block_shift_from + update.block_shift_to;
    m.end = m.end - update.block_shift_from + update.block_shift_to;
    if (m.payload_end > m.payload_begin) {
      m.payload_begin = m.payload_begin - update.block_shift_from + update.block_shift_to;
      m.payload_end = m.payload_end - update.block_shift_from + update.block_shift_to;
    }
  }
  for (ScannedMessage& m : update.tail) messages_.push_back(std::move(m));
  text_ = std::move(update.text);
}

}  // namespace ipckit
