// ChannelFiles (bridge_handler.h) over a real channel directory: what the
// bridge servers hand the request handler.
//
//   ipckit::bridge::ChannelDirectory files("./ipc_channel", append_options);
//   ipckit::bridge::BridgeHandler handler(config, &files);
//
// Only the fixed channel file names reach it (the handler routes nothing
// else), and only a regular file of the current user is read or told about:
// anything else is permission_denied (cc/platform/fs/owned_file.h). Append is safe to call from one worker thread while the serving
// thread reads.
#ifndef IPCKIT_CC_BRIDGE_CHANNEL_DIRECTORY_H_
#define IPCKIT_CC_BRIDGE_CHANNEL_DIRECTORY_H_

#include <atomic>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "cc/bridge/bridge_handler.h"
#include "cc/file_channel/channel_file.h"
#include "cc/file_channel/channel_file_reader_io.h"
#include "cc/file_channel/file_index.h"
#include "cc/file_channel/inbox.h"

namespace ipckit::bridge {

class ChannelDirectory : public ChannelFiles {
 public:
  ChannelDirectory(std::string dir, AppendOptions append) : dir_(std::move(dir)), append_(append) {}

  absl::StatusOr<std::string> EtagOf(absl::string_view name) override;
  absl::StatusOr<ChannelFileVersion> Read(absl::string_view name, size_t max_bytes) override;
  absl::Status Append(absl::string_view name, const std::vector<std::string>& texts,
                      absl::Duration lock_timeout) override;
  absl::StatusOr<ReaderCursor> OpenReader(absl::string_view file, absl::string_view name, bool start_now) override;
  void CloseReader(absl::string_view file, absl::string_view name) override;
  absl::Status SaveCursor(absl::string_view file, absl::string_view name, const ReaderCursor& cursor) override;
  absl::StatusOr<bool> Claim(absl::string_view file, absl::string_view reply_file, absl::string_view name,
                             absl::string_view request_id, absl::Duration lock_timeout) override;
  absl::StatusOr<std::vector<std::pair<std::string, bool>>> ClaimOffered(absl::string_view file,
                                                                       absl::string_view reply_file,
                                                                       absl::string_view name,
                                                                       const std::string& text) override;

 private:
  struct OpenReaderFiles {
    OpenReaderFiles(NamedReaderFiles f, const ReaderCursor& cursor) : files(std::move(f)), offered(cursor) {}
    // Claims of the page (the worker) and of its stream (the serving thread)
    // share the indexes.
    std::mutex claims_mu;
    NamedReaderFiles files;
    // The request and reply files as its claims last scanned them.
    ChannelFileIndex request_index;
    ChannelFileIndex reply_index;
    // What the reader's stream has offered its page (ClaimOffered), from
    // the cursor it opened at.
    CursorInbox offered;
  };

  // The open reader `name` of `file` (shared: a claim on the worker keeps it
  // while its stream closes); closed if there is none.
  absl::StatusOr<std::shared_ptr<OpenReaderFiles>> FindReader(absl::string_view file, absl::string_view name);

  const std::string dir_;
  const AppendOptions append_;
  std::atomic<bool> wrote_once_{false};
  // Each file as this bridge's last append left it, so that an append parses
  // only what others appended since (AppendToChannelFile's index).
  std::mutex append_mu_;
  std::map<std::string, ChannelFileIndex, std::less<>> append_indexes_;  // guarded by append_mu_
  // Claims run on the worker thread; the rest on the serving thread.
  std::mutex readers_mu_;
  std::map<std::string, std::shared_ptr<OpenReaderFiles>> readers_;  // guarded by readers_mu_
};

}  // namespace ipckit::bridge

#endif  // IPCKIT_CC_BRIDGE_CHANNEL_DIRECTORY_H_
