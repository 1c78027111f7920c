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
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "cc/bridge/bridge_handler.h"
#include "cc/file_channel/channel_file.h"

namespace ipckit::bridge {

class ChannelDirectory : public ChannelFiles {
 public:
  ChannelDirectory(std::string dir, AppendOptions append) : dir_(std::move(dir)), append_(append) {}

  absl::StatusOr<std::string> EtagOf(absl::string_view name) override;
  absl::StatusOr<ChannelFileVersion> Read(absl::string_view name, size_t max_bytes) override;
  absl::Status Append(absl::string_view name, const std::vector<std::string>& texts,
                      absl::Duration lock_timeout) override;

 private:
  const std::string dir_;
  const AppendOptions append_;
  std::atomic<bool> wrote_once_{false};
};

}  // namespace ipckit::bridge

#endif  // IPCKIT_CC_BRIDGE_CHANNEL_DIRECTORY_H_
