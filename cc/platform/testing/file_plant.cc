#include "cc/platform/testing/file_plant.h"

#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>

#include "cc/base/error.h"
#include "gtest/gtest.h"

namespace ipckit {
namespace platform {

absl::Status MakeFifo(const std::string& path, uint32_t mode) {
  if (::mkfifo(path.c_str(), static_cast<mode_t>(mode)) != 0) {
    return ErrnoError(errno, "mkfifo " + path);
  }
  return absl::OkStatus();
}

absl::Status MakeDirectory(const std::string& path, uint32_t mode) {
  if (::mkdir(path.c_str(), static_cast<mode_t>(mode)) != 0) return ErrnoError(errno, "mkdir " + path);
  return absl::OkStatus();
}

absl::Status SetMode(const std::string& path, uint32_t mode) {
  if (::chmod(path.c_str(), static_cast<mode_t>(mode)) != 0) return ErrnoError(errno, "chmod " + path);
  return absl::OkStatus();
}

uint32_t ModeOf(const std::string& path) {
  struct stat st;
  if (::lstat(path.c_str(), &st) != 0) {
    ADD_FAILURE() << ErrnoError(errno, "lstat " + path);
    return 0;
  }
  return static_cast<uint32_t>(st.st_mode & 07777);
}

absl::Status ChownPath(const std::string& path, uint32_t uid, uint32_t gid) {
  if (::chown(path.c_str(), static_cast<uid_t>(uid), static_cast<gid_t>(gid)) != 0) {
    return ErrnoError(errno, "chown " + path);
  }
  return absl::OkStatus();
}

}  // namespace platform
}  // namespace ipckit
