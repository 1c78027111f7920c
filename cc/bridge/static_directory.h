// StaticFiles (static_files.h) over a real directory: the page files a
// bridge serves from BridgeOptions::static_dir.
//
//   ipckit::bridge::StaticDirectory files("./web");
//   absl::StatusOr<ipckit::bridge::StaticFile> f = files.Read("app/main.js", max_bytes);
//
// Each directory on the path is checked without following a symlink and the
// file is opened without following one, so nothing outside the directory is
// reached; a directory that group or others may write is refused, so nobody
// else can swap a link in between the check and the open.
#ifndef IPCKIT_CC_BRIDGE_STATIC_DIRECTORY_H_
#define IPCKIT_CC_BRIDGE_STATIC_DIRECTORY_H_

#include <cstddef>
#include <string>
#include <utility>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "cc/bridge/static_files.h"

namespace ipckit::bridge {

class StaticDirectory : public StaticFiles {
 public:
  explicit StaticDirectory(std::string dir) : dir_(std::move(dir)) {}
  // not_found for a missing file or a directory; permission_denied for a
  // symlink anywhere on the path, a FIFO or device, or a directory on the
  // path that group or others may write.
  absl::StatusOr<StaticFile> Read(absl::string_view relative_path, size_t max_bytes) override;

 private:
  const std::string dir_;
};

}  // namespace ipckit::bridge

#endif  // IPCKIT_CC_BRIDGE_STATIC_DIRECTORY_H_
