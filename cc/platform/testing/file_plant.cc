#include "cc/platform/testing/file_plant.h"

#include <sys/stat.h>

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

}  // namespace platform
}  // namespace ipckit
