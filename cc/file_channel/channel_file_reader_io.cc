#include "cc/file_channel/channel_file_reader_io.h"

#include <utility>

#include "absl/strings/str_cat.h"
#include "cc/base/error.h"
#include "cc/base/status_macros.h"
#include "cc/file_channel/channel_file.h"
#include "cc/file_channel/channel_file_format.h"
#include "cc/platform/fs/file_ops.h"
#include "cc/platform/fs/owned_file.h"
#include "cc/platform/process/process.h"

namespace ipckit {
namespace {

std::string PathIn(const std::string& dir, absl::string_view name) { return absl::StrCat(dir, "/", name); }

uint32_t NewMode(bool allow_shared) { return allow_shared ? 0660 : 0600; }

// A reader file's text, or nullopt if it is missing.
absl::StatusOr<std::optional<std::string>> ReadReaderFile(const std::string& path, bool allow_shared) {
  absl::StatusOr<FileSnapshot> snapshot = ReadChannelFile(path, kMaxReaderFileBytes, allow_shared);
  if (!snapshot.ok()) return snapshot.status();
  if (!snapshot->exists) return std::optional<std::string>();
  return std::optional<std::string>(std::move(snapshot->text));
}

bool ClaimantAlive(const std::string& dir, absl::string_view stem, const Claim& c, bool allow_shared) {
  if (!c.reader.empty()) return NamedReaderIsOpen(dir, stem, c.reader, allow_shared);
  return platform::CheckLiveness(platform::ProcessIdentity{c.pid}) != platform::Liveness::kDead;
}

}  // namespace

absl::StatusOr<NamedReaderFiles> NamedReaderFiles::Open(const std::string& dir, absl::string_view channel_file,
                                                        absl::string_view name, bool allow_shared) {
  IPCKIT_RETURN_IF_ERROR(ValidateReaderName(name));
  const std::string stem = ChannelFileStem(channel_file);
  NamedReaderFiles files;
  files.dir_ = dir;
  files.name_ = std::string(name);
  files.cursor_file_ = ReaderCursorFileName(stem, name);
  files.allow_shared_ = allow_shared;
  const std::string lock_path = PathIn(dir, ReaderLockFileName(stem, name));
  IPCKIT_ASSIGN_OR_RETURN(files.lock_, OpenOwnedRegularFile(lock_path, kOpenReadWrite | kOpenCreate,
                                                            NewMode(allow_shared), allow_shared));
  IPCKIT_ASSIGN_OR_RETURN(bool locked, LockFile(files.lock_, /*wait=*/false, lock_path));
  if (!locked) {
    return InUseError(absl::StrCat("FileChannel: reader '", name, "' of ", channel_file, " in '", dir,
                                   "' is open in another FileChannel; each instance (tab, window, process) "
                                   "needs its own reader name"));
  }
  const std::string cursor_path = PathIn(dir, files.cursor_file_);
  IPCKIT_ASSIGN_OR_RETURN(std::optional<std::string> text, ReadReaderFile(cursor_path, allow_shared));
  if (text) {
    IPCKIT_ASSIGN_OR_RETURN(ReaderCursor cursor, ParseReaderCursor(*text, cursor_path));
    files.saved_ = std::move(cursor);
  }
  return files;
}

absl::Status NamedReaderFiles::Save(const ReaderCursor& cursor, bool fsync) {
  ReaderCursor stamped = cursor;
  stamped.updated_ms = NowUnixMs();
  IPCKIT_RETURN_IF_ERROR(ReplaceFileAtomically(dir_, cursor_file_, ComposeReaderCursor(stamped), 0, fsync,
                                               allow_shared_));
  saved_ = std::move(stamped);
  return absl::OkStatus();
}

bool NamedReaderIsOpen(const std::string& dir, absl::string_view stem, absl::string_view name, bool allow_shared) {
  const std::string path = PathIn(dir, ReaderLockFileName(stem, name));
  absl::StatusOr<UniqueFd> fd = OpenOwnedRegularFile(path, kOpenReadWrite, NewMode(allow_shared), allow_shared);
  if (!fd.ok()) return ErrorClassOf(fd.status()) != kErrNotFound;  // unreadable: assume open, lose nothing
  absl::StatusOr<bool> got = LockFile(*fd, /*wait=*/false, path);
  return !got.ok() || !*got;  // closing fd drops a lock we got
}

std::vector<uint64_t> ReadReaderPositions(const std::string& dir, absl::string_view channel_file, uint64_t now_ms,
                                          absl::Duration ttl, bool allow_shared) {
  std::vector<uint64_t> positions;
  const std::string stem = ChannelFileStem(channel_file);
  absl::StatusOr<std::vector<std::string>> names = ListDirectory(dir);
  if (!names.ok()) return positions;
  for (const std::string& file : *names) {
    std::optional<std::string> reader = ReaderNameOfCursorFile(stem, file);
    if (!reader) continue;
    const std::string path = PathIn(dir, file);
    absl::StatusOr<std::optional<std::string>> text = ReadReaderFile(path, allow_shared);
    if (!text.ok()) {
      positions.push_back(0);
      continue;
    }
    if (!*text) continue;  // deleted meanwhile
    absl::StatusOr<ReaderCursor> cursor = ParseReaderCursor(**text, path);
    if (!cursor.ok()) {
      positions.push_back(0);
      continue;
    }
    if (CursorExpired(*cursor, now_ms, ttl) && !NamedReaderIsOpen(dir, stem, *reader, allow_shared)) {
      RemoveFile(path).IgnoreError();  // best effort: it is retried at the next write
      RemoveFile(PathIn(dir, ReaderLockFileName(stem, *reader))).IgnoreError();
      continue;
    }
    positions.push_back(cursor->pos);
  }
  return positions;
}

absl::StatusOr<std::vector<bool>> ClaimRequests(const std::string& dir, absl::string_view request_file,
                                                absl::string_view reply_file,
                                                const std::vector<std::string>& request_ids, const Claim& mine,
                                                size_t max_file_bytes, bool allow_shared,
                                                ChannelFileIndex& request_index, ChannelFileIndex& reply_index) {
  const std::string stem = ChannelFileStem(request_file);
  const std::string claims_name = ClaimsFileName(stem);
  const std::string claims_path = PathIn(dir, claims_name);
  IPCKIT_ASSIGN_OR_RETURN(std::optional<std::string> claims_text, ReadReaderFile(claims_path, allow_shared));
  IPCKIT_ASSIGN_OR_RETURN(Claims claims, ParseClaims(claims_text.value_or(""), claims_path));
  // Both files as they are under the lock, scanned incrementally.
  for (auto [name, index] : {std::pair{request_file, &request_index}, std::pair{reply_file, &reply_index}}) {
    const std::string path = PathIn(dir, name);
    IPCKIT_ASSIGN_OR_RETURN(FileSnapshot snapshot, ReadChannelFile(path, max_file_bytes, allow_shared));
    IPCKIT_ASSIGN_OR_RETURN(ChannelFileIndex::Update update, index->Prepare(std::move(snapshot.text), path));
    index->Commit(std::move(update));
  }
  std::vector<std::string> ids_in_file;
  ids_in_file.reserve(request_index.messages().size());
  for (const ScannedMessage& s : request_index.messages()) ids_in_file.push_back(s.message.id);
  const std::vector<ScannedMessage>& scanned_replies = reply_index.messages();

  std::vector<bool> ours;
  bool changed = false;
  for (const std::string& id : request_ids) {
    ClaimDecision d = DecideClaim(id, claims, ids_in_file, scanned_replies, mine,
                                  [&](const Claim& c) { return ClaimantAlive(dir, stem, c, allow_shared); });
    const bool claimed = d.outcome == ClaimOutcome::kClaimed;
    ours.push_back(claimed);
    if (claimed) {
      claims = std::move(d.claims);
      changed = true;
    }
  }
  if (changed) {
    IPCKIT_RETURN_IF_ERROR(ReplaceFileAtomically(dir, claims_name, ComposeClaims(claims), 0, false, allow_shared));
  }
  return ours;
}

absl::Status RemoveClaims(const std::string& dir, const std::vector<absl::string_view>& channel_files) {
  for (absl::string_view file : channel_files) {
    absl::Status removed = RemoveFile(PathIn(dir, ClaimsFileName(ChannelFileStem(file))));
    if (!removed.ok() && ErrorClassOf(removed) != kErrNotFound) return removed;
  }
  return absl::OkStatus();
}

}  // namespace ipckit
