#include "cc/file_channel/inbox.h"

#include <algorithm>
#include <utility>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "cc/base/error.h"
#include "cc/base/status_macros.h"

namespace ipckit {

absl::StatusOr<std::vector<FileMessage>> InboxTracker::TakeNew(std::string text, absl::string_view label) {
  absl::StatusOr<ChannelFileIndex::Update> prepared = index_.Prepare(std::move(text), label);
  if (!prepared.ok()) {
    // Hand out what is already in hand; the error shows on the next call.
    if (!held_back_.empty()) return std::exchange(held_back_, {});
    return prepared.status();
  }
  ChannelFileIndex::Update& update = *prepared;

  // Candidates: in an incremental update only the tail can be new (the rest
  // of the file was taken before); otherwise every message is checked.
  std::vector<const ScannedMessage*> fresh;
  absl::flat_hash_set<absl::string_view> ids_in_tail;
  for (const ScannedMessage& s : update.tail) {
    if (!ids_in_tail.insert(s.message.id).second) continue;  // a duplicate id in the same file
    if (seen_ids_.contains(s.message.id)) continue;
    fresh.push_back(&s);
  }

  absl::flat_hash_map<std::string, uint64_t> last_seq = last_seq_;
  std::vector<std::string> gaps;
  for (const ScannedMessage* s : fresh) {
    const FileMessage& m = s->message;
    if (!m.seq || !m.sender) continue;  // ipckit 0.1 writers: ids alone
    auto [it, first_sight] = last_seq.try_emplace(*m.sender, *m.seq);
    if (first_sight) continue;  // no history to check against
    if (*m.seq > it->second + 1) {
      uint64_t from = it->second + 1, to = *m.seq - 1;
      gaps.push_back(from == to ? absl::StrCat("sender ", *m.sender, " seq ", from)
                                : absl::StrCat("sender ", *m.sender, " seq ", from, "..", to));
    }
    if (*m.seq > it->second) it->second = *m.seq;
  }

  std::vector<FileMessage> out = std::exchange(held_back_, {});
  out.reserve(out.size() + fresh.size());
  for (const ScannedMessage* s : fresh) {
    absl::StatusOr<FileMessage> m = MaterializeMessage(update.text, *s);
    if (!m.ok()) {
      held_back_ = std::move(out);  // nothing committed: the next call retries
      return m.status();
    }
    out.push_back(*std::move(m));
  }

  // Commit: the file as it is now has been taken.
  if (update.incremental) {
    for (size_t j = 0; j < update.pruned; ++j) seen_ids_.erase(index_.messages()[j].message.id);
  } else {
    seen_ids_.clear();
  }
  for (absl::string_view id : ids_in_tail) seen_ids_.emplace(id);
  index_.Commit(std::move(update));
  last_seq_ = std::move(last_seq);
  ForgetAbsentSenders();

  if (!gaps.empty()) {
    held_back_ = std::move(out);
    std::sort(gaps.begin(), gaps.end());
    return DataLossError(absl::StrCat(label, ": messages were pruned before this reader took them: ",
                                      absl::StrJoin(gaps, "; ")));
  }
  return out;
}

absl::Status InboxTracker::SkipAll(std::string text, absl::string_view label) {
  IPCKIT_ASSIGN_OR_RETURN(ChannelFileIndex::Update update, index_.Prepare(std::move(text), label));
  index_.Commit(std::move(update));
  held_back_.clear();
  seen_ids_.clear();
  for (const ScannedMessage& s : index_.messages()) {
    seen_ids_.insert(s.message.id);
    if (!s.message.seq || !s.message.sender) continue;
    uint64_t& last = last_seq_[*s.message.sender];
    if (*s.message.seq > last) last = *s.message.seq;
  }
  ForgetAbsentSenders();
  return absl::OkStatus();
}

void InboxTracker::ForgetAbsentSenders() {
  if (last_seq_.size() <= kMaxRememberedSenders) return;
  absl::flat_hash_set<absl::string_view> present;
  for (const ScannedMessage& s : index_.messages()) {
    if (s.message.sender) present.insert(*s.message.sender);
  }
  for (auto it = last_seq_.begin(); it != last_seq_.end();) {
    if (present.contains(it->first)) {
      ++it;
    } else {
      last_seq_.erase(it++);
    }
  }
}

namespace {

// The ids of the pos-less messages of `messages`, each once, in file order.
std::vector<std::string> PoslessIds(const std::vector<ScannedMessage>& messages) {
  std::vector<std::string> ids;
  absl::flat_hash_set<absl::string_view> seen;
  for (const ScannedMessage& s : messages) {
    if (!s.message.pos && seen.insert(s.message.id).second) ids.push_back(s.message.id);
  }
  return ids;
}

}  // namespace

absl::StatusOr<std::vector<FileMessage>> CursorInbox::TakeNew(std::string text, absl::string_view label) {
  IPCKIT_ASSIGN_OR_RETURN(ChannelFileIndex::Update update, index_.Prepare(std::move(text), label));
  ChannelFileIndex next = index_;
  next.Commit(std::move(update));
  const std::vector<ScannedMessage>& messages = next.messages();

  // R5: the file is a suffix of the append history, so its first pos says
  // whether anything between the cursor and it was pruned unread.
  for (const ScannedMessage& s : messages) {
    if (!s.message.pos) continue;
    const uint64_t first = *s.message.pos;
    if (first > cursor_.pos + 1) {
      const uint64_t from = cursor_.pos + 1, to = first - 1;
      cursor_.pos = to;  // reported once; the next read takes what is there
      return DataLossError(absl::StrCat(label, ": messages were pruned before this reader took them: pos ", from,
                                        from == to ? "" : absl::StrCat("..", to)));
    }
    break;
  }

  const absl::flat_hash_set<absl::string_view> old_ids(cursor_.ids.begin(), cursor_.ids.end());
  absl::flat_hash_set<absl::string_view> taken_ids;
  std::vector<FileMessage> out;
  uint64_t high = cursor_.pos;
  for (const ScannedMessage& s : messages) {
    const FileMessage& m = s.message;
    const bool fresh = m.pos ? *m.pos > cursor_.pos : !old_ids.contains(m.id);
    if (!fresh || !taken_ids.insert(m.id).second) continue;  // a duplicate id in one file counts once
    IPCKIT_ASSIGN_OR_RETURN(FileMessage full, MaterializeMessage(next.text(), s));
    out.push_back(std::move(full));
    if (m.pos) high = std::max(high, *m.pos);
  }
  cursor_.pos = high;
  cursor_.ids = PoslessIds(messages);
  index_ = std::move(next);
  return out;
}

absl::Status CursorInbox::StartBefore(absl::string_view text, absl::string_view label, uint64_t floor) {
  IPCKIT_ASSIGN_OR_RETURN(std::vector<ScannedMessage> scanned, ScanChannelFile(text, label));
  cursor_.pos = floor;
  for (const ScannedMessage& s : scanned) {
    if (s.message.pos) {
      cursor_.pos = *s.message.pos - 1;
      break;
    }
  }
  cursor_.ids.clear();
  return absl::OkStatus();
}

absl::Status CursorInbox::SkipAll(std::string text, absl::string_view label) {
  IPCKIT_ASSIGN_OR_RETURN(ChannelFileIndex::Update update, index_.Prepare(std::move(text), label));
  index_.Commit(std::move(update));
  for (const ScannedMessage& s : index_.messages()) {
    if (s.message.pos) cursor_.pos = std::max(cursor_.pos, *s.message.pos);
  }
  cursor_.ids = PoslessIds(index_.messages());
  return absl::OkStatus();
}

}  // namespace ipckit
