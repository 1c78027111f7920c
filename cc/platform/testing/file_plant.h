// Test helpers that plant what a portable test cannot make with
// std::filesystem (FIFOs, other users' files), so tests outside cc/platform
// need no system headers. POSIX only (Windows has no FIFOs or uids).
//
//   ASSERT_TRUE(platform::MakeDirectory(dir, 0700).ok());
//   ASSERT_TRUE(platform::MakeFifo(dir + "/frontend_to_backend.json", 0600).ok());
//   // ... the code under test must refuse it at once, never block on it ...
#ifndef IPCKIT_CC_PLATFORM_TESTING_FILE_PLANT_H_
#define IPCKIT_CC_PLATFORM_TESTING_FILE_PLANT_H_

#include <cstdint>
#include <string>

#include "absl/status/status.h"

namespace ipckit {
namespace platform {

// A named pipe (mkfifo) at `path` with permission bits `mode` (less the umask).
absl::Status MakeFifo(const std::string& path, uint32_t mode);

// mkdir(2): a new directory with `mode` (less the umask); already_exists if
// `path` exists.
absl::Status MakeDirectory(const std::string& path, uint32_t mode);

// chmod(2) of `path` to `mode` (permission, setuid/setgid and sticky bits).
absl::Status SetMode(const std::string& path, uint32_t mode);

// The permission, setuid/setgid and sticky bits of `path` itself (lstat: a
// symlink's own); 0 with a gtest failure if it is missing.
uint32_t ModeOf(const std::string& path);

// chown(2) of `path` (following a symlink): what a test running as root does
// to make a file or directory another user's.
absl::Status ChownPath(const std::string& path, uint32_t uid, uint32_t gid);

}  // namespace platform
}  // namespace ipckit

#endif  // IPCKIT_CC_PLATFORM_TESTING_FILE_PLANT_H_
