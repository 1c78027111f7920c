#include "cc/file_channel/file_channel.h"

#include <limits.h>

#include <algorithm>
#include <cerrno>
#include <utility>

#include "absl/strings/str_cat.h"
#include "cc/base/error.h"
#include "cc/base/status_macros.h"
#include "cc/file_channel/channel_file_format.h"
#include "cc/file_channel/channel_info.h"
#include "cc/file_channel/uuid.h"
#include "cc/platform/fs/file_ops.h"
#include "cc/platform/fs/owned_file.h"
#include "cc/platform/process/process.h"

namespace ipckit {
namespace {

// A backend's liveness lock (spec/file_channel.md, "Backend liveness"): the
// descriptor holding flock on .backend.lock, or an empty one when another
// backend holds it. Writes our pid into the file, so watchers see a change.
absl::StatusOr<UniqueFd> TakeLivenessLock(const std::string& dir, bool allow_shared) {
  const std::string path = absl::StrCat(dir, "/", kBackendLockFile);
  const uint32_t mode = allow_shared ? 0660 : 0600;
  IPCKIT_ASSIGN_OR_RETURN(UniqueFd fd, OpenOwnedRegularFile(path, kOpenReadWrite | kOpenCreate, mode, allow_shared));
  IPCKIT_ASSIGN_OR_RETURN(bool locked, LockFile(fd, /*wait=*/false, path));
  if (!locked) return UniqueFd();
  IPCKIT_ASSIGN_OR_RETURN(UniqueFd writer,
                          OpenOwnedRegularFile(path, kOpenWrite | kOpenTruncate, mode, allow_shared));
  IPCKIT_RETURN_IF_ERROR(WriteFileAll(writer, absl::StrCat(platform::CurrentProcessId(), "\n"), path));
  return fd;
}

}  // namespace

absl::StatusOr<FileChannel> FileChannel::Backend(absl::string_view dir, FileChannelOptions options) {
  return Open(dir, FileChannelSide::kBackend, options);
}

absl::StatusOr<FileChannel> FileChannel::Frontend(absl::string_view dir, FileChannelOptions options) {
  return Open(dir, FileChannelSide::kFrontend, options);
}

absl::StatusOr<FileChannel> FileChannel::Open(absl::string_view dir_in, FileChannelSide side,
                                              FileChannelOptions options) {
  if (dir_in.empty()) return InvalidArgumentError("FileChannel: the directory path is empty");
  if (dir_in.find('\0') != absl::string_view::npos) {
    return InvalidArgumentError("FileChannel: the directory path contains a NUL byte");
  }
  if (dir_in.size() >= PATH_MAX - 64) {
    return InvalidArgumentError(absl::StrCat("FileChannel: the directory path is ", dir_in.size(),
                                             " bytes, too long for files inside it"));
  }
  std::string dir(dir_in);
  while (dir.size() > 1 && dir.back() == '/') dir.pop_back();
  IPCKIT_RETURN_IF_ERROR(MakePrivateDirs(dir));
  IPCKIT_RETURN_IF_ERROR(CheckChannelDirectory(dir, options.allow_shared_directory));
  IPCKIT_RETURN_IF_ERROR(
      EnsureChannelFiles(dir, Deadline::After(options.open_timeout), options.allow_shared_directory));
  IPCKIT_ASSIGN_OR_RETURN(std::string sender_id, NewUuidV4());
  FileChannel channel(std::move(dir), side, options, std::move(sender_id));
  if (side == FileChannelSide::kBackend) {
    IPCKIT_ASSIGN_OR_RETURN(channel.liveness_lock_, TakeLivenessLock(channel.dir_, options.allow_shared_directory));
  }
  if (!options.reader_name.empty()) {
    IPCKIT_ASSIGN_OR_RETURN(NamedReaderFiles files,
                            NamedReaderFiles::Open(channel.dir_, channel.incoming_name(), options.reader_name,
                                                   options.allow_shared_directory));
    const bool resumes = files.saved().has_value();
    channel.named_inbox_.emplace(files.saved().value_or(ReaderCursor()));
    channel.reader_files_.emplace(std::move(files));
    if (!resumes) {
      // Registered at once, so writers keep what arrives from now on for it,
      // and a loss after this moment is reported.
      IPCKIT_ASSIGN_OR_RETURN(FileSnapshot snapshot,
                              ReadChannelFile(channel.incoming_path(), options.max_file_bytes,
                                              options.allow_shared_directory));
      if (options.skip_existing) {
        IPCKIT_RETURN_IF_ERROR(channel.named_inbox_->SkipAll(std::move(snapshot.text), channel.incoming_path()));
      } else {
        std::vector<uint64_t> known = ReadReaderPositions(channel.dir_, channel.incoming_name(), NowUnixMs(),
                                                          options.reader_ttl, options.allow_shared_directory);
        const uint64_t floor = known.empty() ? 0 : *std::max_element(known.begin(), known.end());
        IPCKIT_RETURN_IF_ERROR(
            channel.named_inbox_->StartBefore(snapshot.text, channel.incoming_path(), floor));
      }
      IPCKIT_RETURN_IF_ERROR(channel.reader_files_->Save(channel.named_inbox_->cursor(), options.fsync));
    }
  } else if (options.skip_existing) {
    IPCKIT_ASSIGN_OR_RETURN(FileSnapshot snapshot,
                            ReadChannelFile(channel.incoming_path(), options.max_file_bytes,
                                            options.allow_shared_directory));
    IPCKIT_RETURN_IF_ERROR(channel.inbox_.SkipAll(std::move(snapshot.text), channel.incoming_path()));
  }
  return channel;
}

absl::string_view FileChannel::incoming_name() const {
  return side_ == FileChannelSide::kBackend ? kFrontendToBackendFile : kBackendToFrontendFile;
}

absl::string_view FileChannel::outgoing_name() const {
  return side_ == FileChannelSide::kBackend ? kBackendToFrontendFile : kFrontendToBackendFile;
}

std::string FileChannel::incoming_path() const { return absl::StrCat(dir_, "/", incoming_name()); }
std::string FileChannel::outgoing_path() const { return absl::StrCat(dir_, "/", outgoing_name()); }

absl::StatusOr<std::string> FileChannel::SendRequest(absl::string_view method, absl::string_view payload_json,
                                                     absl::Duration timeout) {
  return Send(MessageType::kRequest, std::string(method), std::nullopt, payload_json, std::nullopt, timeout);
}

absl::StatusOr<std::string> FileChannel::SendResponse(absl::string_view request_id, absl::string_view result_json,
                                                      absl::Duration timeout) {
  return Send(MessageType::kResponse, std::nullopt, std::string(request_id), result_json, std::nullopt, timeout);
}

absl::StatusOr<std::string> FileChannel::SendError(absl::string_view request_id, absl::string_view error_message,
                                                   absl::Duration timeout) {
  return Send(MessageType::kResponse, std::nullopt, std::string(request_id), "null", std::string(error_message),
              timeout);
}

absl::StatusOr<std::string> FileChannel::SendEvent(absl::string_view name, absl::string_view payload_json,
                                                   absl::Duration timeout) {
  return Send(MessageType::kEvent, std::string(name), std::nullopt, payload_json, std::nullopt, timeout);
}

absl::StatusOr<std::string> FileChannel::Send(MessageType type, std::optional<std::string> method,
                                              std::optional<std::string> reply_to, absl::string_view payload_json,
                                              std::optional<std::string> error, absl::Duration timeout) {
  if (reply_to && reply_to->empty()) return InvalidArgumentError("FileChannel: empty request id to reply to");
  FileMessage m;
  IPCKIT_ASSIGN_OR_RETURN(m.id, NewUuidV4());
  m.timestamp_ms = options_.clock ? options_.clock() : NowUnixMs();
  m.type = type;
  m.method = std::move(method);
  m.reply_to = std::move(reply_to);
  m.payload_json = std::string(payload_json);
  m.error = std::move(error);
  m.seq = next_seq_;
  m.sender = sender_id_;
  IPCKIT_ASSIGN_OR_RETURN(std::string text, ComposeMessage(m));
  IPCKIT_RETURN_IF_ERROR(AppendToChannelFile(dir_, outgoing_name(), {std::move(text)}, MakeAppendOptions(),
                                             Deadline::After(timeout), &outgoing_index_));
  // Only a message that reached the file uses up a seq: readers see no gap
  // for a failed send.
  ++next_seq_;
  return m.id;
}

AppendOptions FileChannel::MakeAppendOptions() const {
  AppendOptions append;
  append.retention = options_.retention;
  append.max_file_bytes = options_.max_file_bytes;
  append.fsync = options_.fsync;
  append.ipckit01_lock = options_.ipckit01_lock;
  // Every write, not only the first: a long-lived writer (a bridge) also
  // cleans up after writers that were killed mid-write.
  append.remove_stale_temps = true;
  append.allow_shared_directory = options_.allow_shared_directory;
  append.reader_positions = [dir = dir_, file = std::string(outgoing_name()), ttl = options_.reader_ttl,
                             shared = options_.allow_shared_directory] {
    return ReadReaderPositions(dir, file, NowUnixMs(), ttl, shared);
  };
  return append;
}

absl::Status FileChannel::Poll() {
  const std::string path = incoming_path();
  IPCKIT_ASSIGN_OR_RETURN(FileSnapshot snapshot,
                          ReadChannelFile(path, options_.max_file_bytes, options_.allow_shared_directory));
  std::vector<FileMessage> fresh;
  if (named_inbox_) {
    const ReaderCursor before = named_inbox_->cursor();
    absl::StatusOr<std::vector<FileMessage>> taken = named_inbox_->TakeNew(std::move(snapshot.text), path);
    if (!(named_inbox_->cursor() == before)) cursor_dirty_ = true;  // data_loss moves it too
    if (!taken.ok()) return taken.status();
    fresh = *std::move(taken);
  } else {
    IPCKIT_ASSIGN_OR_RETURN(fresh, inbox_.TakeNew(std::move(snapshot.text), path));
  }
  IPCKIT_RETURN_IF_ERROR(KeepClaimed(fresh));
  for (FileMessage& m : fresh) pending_.push_back(std::move(m));
  return absl::OkStatus();
}

absl::Status FileChannel::KeepClaimed(std::vector<FileMessage>& fresh) {
  if (!options_.claim_requests) return absl::OkStatus();
  std::vector<std::string> request_ids;
  for (const FileMessage& m : fresh) {
    if (m.type == MessageType::kRequest) request_ids.push_back(m.id);
  }
  if (request_ids.empty()) return absl::OkStatus();
  const Claim mine{options_.reader_name, platform::CurrentProcessId(), NowUnixMs()};
  IPCKIT_ASSIGN_OR_RETURN(ChannelLock lock, ChannelLock::Acquire(dir_, Deadline::After(options_.open_timeout),
                                                                 options_.allow_shared_directory));
  IPCKIT_ASSIGN_OR_RETURN(std::vector<bool> ours,
                          ClaimRequests(dir_, incoming_name(), outgoing_name(), request_ids, mine,
                                        options_.max_file_bytes, options_.allow_shared_directory,
                                        claim_request_index_, claim_reply_index_));
  size_t next = 0;
  std::vector<FileMessage> kept;
  kept.reserve(fresh.size());
  for (FileMessage& m : fresh) {
    if (m.type == MessageType::kRequest && !ours[next++]) continue;  // answered, or another reader's
    kept.push_back(std::move(m));
  }
  fresh = std::move(kept);
  return absl::OkStatus();
}

absl::Status FileChannel::SaveCursorIfDelivered() {
  if (!reader_files_ || !cursor_dirty_ || !pending_.empty()) return absl::OkStatus();
  IPCKIT_RETURN_IF_ERROR(reader_files_->Save(named_inbox_->cursor(), options_.fsync));
  cursor_dirty_ = false;
  return absl::OkStatus();
}

absl::Status FileChannel::WaitForChange(const Deadline& deadline, bool* timed_out) {
  *timed_out = false;
  if (!watcher_) {
    DirWatcherOptions watch_options;
    watch_options.force_polling = options_.force_polling;
    IPCKIT_ASSIGN_OR_RETURN(DirWatcher watcher,
                            DirWatcher::Open(dir_, {std::string(incoming_name())}, watch_options));
    watcher_.emplace(std::move(watcher));
    return absl::OkStatus();  // armed now: the caller re-checks before really waiting
  }
  IPCKIT_ASSIGN_OR_RETURN(bool changed, watcher_->Wait(deadline));
  *timed_out = !changed;
  return absl::OkStatus();
}

absl::StatusOr<int> FileChannel::ChangeFd() {
  if (!watcher_) IPCKIT_RETURN_IF_ERROR(TakeChange().status());
  return watcher_->fd();
}

absl::StatusOr<bool> FileChannel::TakeChange() {
  bool timed_out = false;
  IPCKIT_RETURN_IF_ERROR(WaitForChange(Deadline::After(absl::ZeroDuration()), &timed_out));
  return !timed_out;
}

absl::StatusOr<std::vector<FileMessage>> FileChannel::Recv() {
  absl::Status status = Poll();
  // Messages queued earlier are still good even if the file is not now.
  if (!status.ok() && pending_.empty()) return status;
  std::vector<FileMessage> out(std::make_move_iterator(pending_.begin()), std::make_move_iterator(pending_.end()));
  pending_.clear();
  IPCKIT_RETURN_IF_ERROR(SaveCursorIfDelivered());
  return out;
}

absl::StatusOr<std::optional<FileMessage>> FileChannel::RecvOne(absl::Duration timeout) {
  if (pending_.empty()) {
    absl::Status status = WaitForMessages(timeout);
    if (ErrorClassOf(status) == kErrTimeout) return std::nullopt;
    IPCKIT_RETURN_IF_ERROR(status);
  }
  FileMessage m = std::move(pending_.front());
  pending_.pop_front();
  IPCKIT_RETURN_IF_ERROR(SaveCursorIfDelivered());
  return m;
}

absl::Status FileChannel::WaitForMessages(absl::Duration timeout) {
  Deadline deadline = Deadline::After(timeout);
  for (;;) {
    if (!pending_.empty()) return absl::OkStatus();
    IPCKIT_RETURN_IF_ERROR(Poll());
    if (!pending_.empty()) return absl::OkStatus();
    if (deadline.Expired()) {
      return TimeoutError(absl::StrCat("FileChannel: no message in '", incoming_path(), "' within ",
                                       absl::FormatDuration(timeout)));
    }
    bool timed_out;
    IPCKIT_RETURN_IF_ERROR(WaitForChange(deadline, &timed_out));
  }
}

absl::StatusOr<FileMessage> FileChannel::WaitResponse(absl::string_view request_id, absl::Duration timeout) {
  Deadline deadline = Deadline::After(timeout);
  size_t searched = 0;  // pending_ entries already known not to match
  for (;;) {
    for (auto it = pending_.begin() + searched; it != pending_.end(); ++it) {
      if (it->type == MessageType::kResponse && it->reply_to == request_id) {
        FileMessage m = std::move(*it);
        pending_.erase(it);
        IPCKIT_RETURN_IF_ERROR(SaveCursorIfDelivered());
        return m;
      }
    }
    searched = pending_.size();
    IPCKIT_RETURN_IF_ERROR(Poll());
    if (pending_.size() > searched) continue;  // look at what just arrived
    if (deadline.Expired()) {
      return TimeoutError(absl::StrCat("FileChannel: no response to request ", request_id, " in '", incoming_path(),
                                       "' within ", absl::FormatDuration(timeout)));
    }
    bool timed_out;
    IPCKIT_RETURN_IF_ERROR(WaitForChange(deadline, &timed_out));
  }
}

absl::Status FileChannel::Clear(absl::Duration timeout) {
  IPCKIT_RETURN_IF_ERROR(EmptyChannelFiles(dir_, {kBackendToFrontendFile, kFrontendToBackendFile},
                                           MakeAppendOptions(), Deadline::After(timeout)));
  // Cursors stay (pos stays monotonic for named readers); claims go with the
  // requests they were on.
  IPCKIT_RETURN_IF_ERROR(RemoveClaims(dir_, {kBackendToFrontendFile, kFrontendToBackendFile}));
  pending_.clear();
  IPCKIT_RETURN_IF_ERROR(SaveCursorIfDelivered());
  outgoing_index_ = ChannelFileIndex();
  // Whatever was sent after the files were emptied is new to this reader.
  inbox_ = InboxTracker();
  return absl::OkStatus();
}

}  // namespace ipckit
