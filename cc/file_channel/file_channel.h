// FileChannel: request/response and events between a backend and frontends
// through two JSON files in a directory (ipckit 0.1's file-ipc format).
//
//   IPCKIT_ASSIGN_OR_RETURN(ipckit::FileChannel ch, ipckit::FileChannel::Backend("./ipc_channel"));
//   IPCKIT_ASSIGN_OR_RETURN(std::string id, ch.SendRequest("getData", R"({"key":"user_info"})"));
//   IPCKIT_ASSIGN_OR_RETURN(ipckit::FileMessage reply, ch.WaitResponse(id, absl::Seconds(5)));
//
// The backend writes backend_to_frontend.json and reads frontend_to_backend.json;
// a frontend the reverse. Any number of processes may write one side (the
// channel lock serializes them); every reader of a file receives every message
// in it once, in file order. Waits wake on inotify, not on a poll timer.
// A FileChannel is not thread-safe: use one per thread or lock around it.
// The format and its rules are in spec/file_channel.md.
#ifndef IPCKIT_CC_FILE_CHANNEL_FILE_CHANNEL_H_
#define IPCKIT_CC_FILE_CHANNEL_FILE_CHANNEL_H_

#include <cstddef>
#include <cstdint>
#include <deque>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "cc/base/deadline.h"
#include "cc/file_channel/channel_file.h"
#include "cc/file_channel/channel_file_reader_io.h"
#include "cc/file_channel/file_index.h"
#include "cc/file_channel/inbox.h"
#include "cc/file_channel/message.h"
#include "cc/platform/unique_fd.h"
#include "cc/platform/watch/dir_watcher.h"

namespace ipckit {

enum class FileChannelSide { kBackend, kFrontend };

struct FileChannelOptions {
  RetentionPolicy retention;                    // acknowledged / 1000 messages / 8 MiB
  size_t max_file_bytes = kDefaultMaxFileBytes;  // per channel file, read and write
  bool fsync = false;                           // see AppendOptions::fsync
  bool ipckit01_lock = true;                    // see AppendOptions::ipckit01_lock
  bool force_polling = false;                   // wait by polling instead of inotify
  // Skip the messages already in the incoming file when opening (default:
  // deliver them, so requests sent before this endpoint started are served).
  // A named reader that resumes from its cursor ignores it; a new one starts
  // at the end of the file as it is when it opens (nothing sent later is lost).
  bool skip_existing = false;
  // Format 2 named reader (spec/file_channel.md, "Readers: anonymous and
  // named"): non-empty keeps a cursor in the directory under this name
  // ([A-Za-z0-9_-]{1,64}), so a restarted endpoint resumes where the last one
  // stopped (no replay, nothing lost) and writers prune what it took. One
  // open FileChannel per name (in_use otherwise). Empty: anonymous, as in
  // format 1.
  std::string reader_name;
  // Deliver a request only after claiming it under the channel lock (rule
  // C1): a request goes to one endpoint of this side, once, across restarts;
  // one already answered is not delivered again. Off: every reader gets every
  // request (format 1).
  bool claim_requests = true;
  // Writers delete cursors this old whose reader is not open (rule W2).
  absl::Duration reader_ttl = kDefaultReaderTtl;
  // Bounds the wait for the channel lock while opening.
  absl::Duration open_timeout = absl::Seconds(10);
  // Accept a channel directory that another user owns or that group or
  // others can write, and files of other users in it. Such users can read,
  // forge, replace or delete every message, and block writers by holding the
  // locks (spec/file_channel.md, "Files in a channel directory"). Off: such a
  // directory is refused (permission_denied) and only this user's regular
  // files are opened.
  bool allow_shared_directory = false;
  // The clock that stamps each message's timestamp (ms since the epoch);
  // empty: the system clock. For tests that need messages of one
  // millisecond without racing for it. Retention still uses the system clock.
  std::function<uint64_t()> clock;
};

class FileChannel {
 public:
  // Opens the channel in `dir`, creating what is missing: the directory and
  // its parents (0700), .channel_info and both channel files (empty, 0600).
  // invalid_argument for an empty path or one that is not a directory;
  // permission_denied for a directory of another user or one that group or
  // others can write (unless options.allow_shared_directory), or a channel
  // file that is not this user's regular file; unsupported_version/corrupt
  // for a bad .channel_info.
  static absl::StatusOr<FileChannel> Backend(absl::string_view dir, FileChannelOptions options = {});
  static absl::StatusOr<FileChannel> Frontend(absl::string_view dir, FileChannelOptions options = {});
  static absl::StatusOr<FileChannel> Open(absl::string_view dir, FileChannelSide side,
                                          FileChannelOptions options = {});

  FileChannel(FileChannel&&) = default;
  FileChannel& operator=(FileChannel&&) = default;
  FileChannel(const FileChannel&) = delete;
  FileChannel& operator=(const FileChannel&) = delete;

  // Each Send appends one message to the outgoing file and returns its id.
  // `*_json` must be one JSON value (invalid_argument otherwise). `timeout`
  // bounds the wait for the channel lock. corrupt if the outgoing file is
  // corrupt (it is left as is); too_large if it would exceed max_file_bytes.
  absl::StatusOr<std::string> SendRequest(absl::string_view method, absl::string_view payload_json,
                                          absl::Duration timeout = absl::InfiniteDuration());
  absl::StatusOr<std::string> SendResponse(absl::string_view request_id, absl::string_view result_json,
                                           absl::Duration timeout = absl::InfiniteDuration());
  absl::StatusOr<std::string> SendError(absl::string_view request_id, absl::string_view error_message,
                                        absl::Duration timeout = absl::InfiniteDuration());
  absl::StatusOr<std::string> SendEvent(absl::string_view name, absl::string_view payload_json,
                                        absl::Duration timeout = absl::InfiniteDuration());

  // All messages not yet returned, in order; empty if none. Never blocks on
  // other processes. Errors: corrupt (incoming file unreadable; nothing is
  // consumed), data_loss (messages were pruned before this reader took them;
  // reported once, the next call continues).
  absl::StatusOr<std::vector<FileMessage>> Recv();

  // The next message, waiting up to `timeout` (default: don't wait); nullopt
  // if none arrived in time.
  absl::StatusOr<std::optional<FileMessage>> RecvOne(absl::Duration timeout = absl::ZeroDuration());

  // The response (or error response) to `request_id`. Other messages that
  // arrive meanwhile, including responses to other requests, stay queued for
  // Recv/WaitResponse. timeout if none arrives within `timeout`.
  absl::StatusOr<FileMessage> WaitResponse(absl::string_view request_id,
                                           absl::Duration timeout = absl::InfiniteDuration());

  // OK once at least one message is ready for Recv; timeout otherwise.
  absl::Status WaitForMessages(absl::Duration timeout = absl::InfiniteDuration());

  // For an event loop that waits itself (ipckit.aio): arms the change watch
  // if it is not armed yet and returns its descriptor, readable once the
  // incoming file may have changed; -1 when waits poll (no inotify). Arm,
  // then check for messages (Recv, RecvOne or WaitResponse with a zero
  // timeout), then wait for readability and call TakeChange: no change
  // between the check and the wait is missed.
  absl::StatusOr<int> ChangeFd();
  // Consumes the change notifications queued on ChangeFd(), never waiting;
  // true if the incoming file may have changed since the last call (always
  // true on the call that arms the watch).
  absl::StatusOr<bool> TakeChange();

  // Empties both channel files (ipckit 0.1's clear()), under the locks a
  // send takes, and drops every message received but not yet returned.
  // Messages no reader has taken yet are gone. `timeout` bounds the wait for
  // the locks.
  absl::Status Clear(absl::Duration timeout = absl::InfiniteDuration());

  const std::string& dir() const { return dir_; }
  FileChannelSide side() const { return side_; }
  // This endpoint's writer id (the "sender" field of what it sends).
  const std::string& sender_id() const { return sender_id_; }
  // Path of the file this endpoint reads / writes.
  std::string incoming_path() const;
  std::string outgoing_path() const;
  // True when waits poll (no inotify); known after the first wait.
  bool polling() const { return watcher_ && watcher_->polling(); }

 private:
  FileChannel(std::string dir, FileChannelSide side, FileChannelOptions options, std::string sender_id)
      : dir_(std::move(dir)), side_(side), options_(options), sender_id_(std::move(sender_id)) {}

  absl::string_view incoming_name() const;
  absl::string_view outgoing_name() const;
  AppendOptions MakeAppendOptions() const;
  absl::StatusOr<std::string> Send(MessageType type, std::optional<std::string> method,
                                   std::optional<std::string> reply_to, absl::string_view payload_json,
                                   std::optional<std::string> error, absl::Duration timeout);
  // Reads the incoming file and queues what is new (and, for requests, ours).
  absl::Status Poll();
  // The requests of `fresh` this endpoint may not deliver (rule C1) removed.
  absl::Status KeepClaimed(std::vector<FileMessage>& fresh);
  // A named reader writes its cursor once the application has every message
  // it took (rule R6).
  absl::Status SaveCursorIfDelivered();
  // Waits for the incoming file to change. The first call arms the watcher
  // and returns at once, so the caller re-checks after arming.
  absl::Status WaitForChange(const Deadline& deadline, bool* timed_out);

  std::string dir_;
  FileChannelSide side_;
  FileChannelOptions options_;
  std::string sender_id_;
  uint64_t next_seq_ = 1;
  InboxTracker inbox_;                    // anonymous readers
  std::optional<NamedReaderFiles> reader_files_;  // named readers: lock and cursor file
  std::optional<CursorInbox> named_inbox_;
  bool cursor_dirty_ = false;             // named_inbox_ moved since the last save
  // The request and reply files as ClaimRequests last scanned them.
  ChannelFileIndex claim_request_index_;
  ChannelFileIndex claim_reply_index_;
  ChannelFileIndex outgoing_index_;  // the outgoing file as of our last write
  std::deque<FileMessage> pending_;
  std::optional<DirWatcher> watcher_;
  // A backend's flock on .backend.lock, held while it is open: frontends
  // see it as online (spec/file_channel.md, "Backend liveness"). Empty for
  // a frontend, and for a backend while another one holds it.
  UniqueFd liveness_lock_;
};

}  // namespace ipckit

#endif  // IPCKIT_CC_FILE_CHANNEL_FILE_CHANNEL_H_
