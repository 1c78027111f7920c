#include "cc/bridge/channel_directory.h"

#include <algorithm>
#include <cstdint>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "cc/base/deadline.h"
#include "cc/base/error.h"
#include "cc/file_channel/inbox.h"
#include "cc/base/status_macros.h"
#include "cc/platform/process/process.h"
#include "cc/platform/fs/file_ops.h"
#include "cc/platform/fs/owned_file.h"

namespace ipckit::bridge {
namespace {

constexpr absl::string_view kMissingEtag = "\"missing\"";

// Writers replace files by rename, so every write changes the inode.
std::string EtagFor(uint64_t inode, uint64_t size, int64_t mtime_ns) {
  return absl::StrCat("\"", inode, "-", size, "-", mtime_ns, "\"");
}

std::string ReaderKey(absl::string_view file, absl::string_view name) { return absl::StrCat(file, "/", name); }

}  // namespace

absl::StatusOr<std::string> ChannelDirectory::EtagOf(absl::string_view name) {
  // Opened, not stat'ed by path: even the version of a symlink, a FIFO or
  // another user's file is not told (the file rule, owned_file.h).
  const std::string path = absl::StrCat(dir_, "/", name);
  absl::StatusOr<UniqueFd> fd = OpenOwnedRegularFile(path, kOpenRead);
  if (ErrorClassOf(fd.status()) == kErrNotFound) return std::string(kMissingEtag);
  if (!fd.ok()) return fd.status();
  absl::StatusOr<FileStatus> st = StatOpenFile(*fd, path);
  if (!st.ok()) return st.status();
  return EtagFor(st->inode, st->size, st->mtime_ns);
}

absl::StatusOr<ChannelFileVersion> ChannelDirectory::Read(absl::string_view name, size_t max_bytes) {
  absl::StatusOr<FileSnapshot> snapshot = ReadChannelFile(absl::StrCat(dir_, "/", name), max_bytes);
  if (!snapshot.ok()) return snapshot.status();
  ChannelFileVersion version;
  version.exists = snapshot->exists;
  // Named after fstat of the opened file: exactly the bytes read.
  version.etag = snapshot->exists ? EtagFor(snapshot->inode, snapshot->size, snapshot->mtime_ns)
                                  : std::string(kMissingEtag);
  version.text = std::move(snapshot->text);
  return version;
}

absl::Status ChannelDirectory::Append(absl::string_view name, const std::vector<std::string>& texts,
                                      absl::Duration lock_timeout) {
  AppendOptions options = append_;
  options.remove_stale_temps = !wrote_once_.load();
  // Rules W2/W3: the file's named readers (a backend's, or pages' held here).
  options.reader_positions = [this, file = std::string(name)] {
    return ReadReaderPositions(dir_, file, NowUnixMs(), kDefaultReaderTtl, false);
  };
  std::lock_guard<std::mutex> lock(append_mu_);
  auto index = append_indexes_.find(name);
  if (index == append_indexes_.end()) index = append_indexes_.emplace(std::string(name), ChannelFileIndex()).first;
  absl::Status status =
      AppendToChannelFile(dir_, name, texts, options, Deadline::After(lock_timeout), &index->second);
  if (status.ok()) wrote_once_.store(true);
  return status;
}

absl::StatusOr<std::vector<std::pair<std::string, bool>>> ChannelDirectory::ClaimOffered(
    absl::string_view file, absl::string_view reply_file, absl::string_view name, const std::string& text) {
  IPCKIT_ASSIGN_OR_RETURN(std::shared_ptr<OpenReaderFiles> reader, FindReader(file, name));
  std::vector<std::string> request_ids;
  for (int attempt = 0; attempt < 2; ++attempt) {
    absl::StatusOr<std::vector<FileMessage>> fresh = reader->offered.TakeNew(text, file);
    if (ErrorClassOf(fresh.status()) == kErrDataLoss) continue;  // moved past the gap: take what is there
    IPCKIT_RETURN_IF_ERROR(fresh.status());
    for (const FileMessage& m : *fresh) {
      if (m.type == MessageType::kRequest) request_ids.push_back(m.id);
    }
    break;
  }
  std::vector<std::pair<std::string, bool>> offered;
  if (request_ids.empty()) return offered;
  // Only if the lock is free at once: the serving thread never waits.
  absl::StatusOr<ChannelLock> channel_lock = ChannelLock::Acquire(dir_, Deadline::After(absl::ZeroDuration()), false);
  if (!channel_lock.ok()) return offered;
  std::lock_guard<std::mutex> claims_lock(reader->claims_mu);
  const ipckit::Claim mine{std::string(name), platform::CurrentProcessId(), NowUnixMs()};
  IPCKIT_ASSIGN_OR_RETURN(std::vector<bool> ours,
                          ClaimRequests(dir_, file, reply_file, request_ids, mine, append_.max_file_bytes, false,
                                        reader->request_index, reader->reply_index));
  for (size_t i = 0; i < request_ids.size(); ++i) offered.emplace_back(std::move(request_ids[i]), ours[i]);
  return offered;
}

}  // namespace ipckit::bridge

namespace ipckit::bridge {

absl::StatusOr<ReaderCursor> ChannelDirectory::OpenReader(absl::string_view file, absl::string_view name,
                                                          bool start_now) {
  IPCKIT_ASSIGN_OR_RETURN(NamedReaderFiles files, NamedReaderFiles::Open(dir_, file, name, /*allow_shared=*/false));
  ReaderCursor cursor;
  if (files.saved()) {
    cursor = *files.saved();
  } else {
    // A new reader (rule R4), registered at once so that writers keep what
    // arrives from now on for it: as FileChannel::Open starts one.
    const std::string path = absl::StrCat(dir_, "/", file);
    IPCKIT_ASSIGN_OR_RETURN(FileSnapshot snapshot, ReadChannelFile(path, append_.max_file_bytes));
    CursorInbox inbox;
    if (start_now) {
      IPCKIT_RETURN_IF_ERROR(inbox.SkipAll(std::move(snapshot.text), path));
    } else {
      std::vector<uint64_t> known = ReadReaderPositions(dir_, file, NowUnixMs(), kDefaultReaderTtl, false);
      const uint64_t floor = known.empty() ? 0 : *std::max_element(known.begin(), known.end());
      IPCKIT_RETURN_IF_ERROR(inbox.StartBefore(snapshot.text, path, floor));
    }
    cursor = inbox.cursor();
    IPCKIT_RETURN_IF_ERROR(files.Save(cursor, append_.fsync));
  }
  std::lock_guard<std::mutex> lock(readers_mu_);
  readers_[ReaderKey(file, name)] =
      std::make_shared<OpenReaderFiles>(std::move(files), cursor);
  return cursor;
}

absl::StatusOr<std::shared_ptr<ChannelDirectory::OpenReaderFiles>> ChannelDirectory::FindReader(
    absl::string_view file, absl::string_view name) {
  std::lock_guard<std::mutex> lock(readers_mu_);
  auto it = readers_.find(ReaderKey(file, name));
  if (it == readers_.end()) return ClosedError(absl::StrCat("reader '", name, "' of ", file, " is not open"));
  return it->second;
}

void ChannelDirectory::CloseReader(absl::string_view file, absl::string_view name) {
  std::lock_guard<std::mutex> lock(readers_mu_);
  readers_.erase(ReaderKey(file, name));  // a claim still running keeps it until it ends
}

absl::Status ChannelDirectory::SaveCursor(absl::string_view file, absl::string_view name,
                                          const ReaderCursor& cursor) {
  IPCKIT_ASSIGN_OR_RETURN(std::shared_ptr<OpenReaderFiles> reader, FindReader(file, name));
  return reader->files.Save(cursor, append_.fsync);
}

absl::StatusOr<bool> ChannelDirectory::Claim(absl::string_view file, absl::string_view reply_file,
                                             absl::string_view name, absl::string_view request_id,
                                             absl::Duration lock_timeout) {
  IPCKIT_ASSIGN_OR_RETURN(std::shared_ptr<OpenReaderFiles> reader, FindReader(file, name));
  // The claim is the page's, under its reader name; the bridge's pid only
  // says which process held the name's lock for it.
  const ipckit::Claim mine{std::string(name), platform::CurrentProcessId(), NowUnixMs()};
  IPCKIT_ASSIGN_OR_RETURN(ChannelLock channel_lock, ChannelLock::Acquire(dir_, Deadline::After(lock_timeout), false));
  std::lock_guard<std::mutex> claims_lock(reader->claims_mu);
  IPCKIT_ASSIGN_OR_RETURN(std::vector<bool> ours,
                          ClaimRequests(dir_, file, reply_file, {std::string(request_id)}, mine,
                                        append_.max_file_bytes, false, reader->request_index, reader->reply_index));
  return ours.at(0);
}

}  // namespace ipckit::bridge
