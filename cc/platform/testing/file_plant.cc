#include "cc/platform/testing/file_plant.h"

#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>

#include "cc/base/error.h"

namespace ipckit {
namespace platform {

absl::Status MakeFifo(const std::string& path, uint32_t mode) {
  if (::mkfifo(path.c_str(), static_cast<mode_t>(mode)) != 0) {
    return ErrnoError(errno, "mkfifo " + path);
  }
  return absl::OkStatus();
}

absl::Status ChownPath(const std::string& path, uint32_t uid, uint32_t gid) {
  if (::chown(path.c_str(), static_cast<uid_t>(uid), static_cast<gid_t>(gid)) != 0) {
    return ErrnoError(errno, "chown " + path);
  }
  return absl::OkStatus();
}

}  // namespace platform
}  // namespace ipckit
