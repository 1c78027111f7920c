// Test helpers for FileChannel: scratch directories and peer processes.
//
//   std::string dir = ipckit::testing::ScratchDir("roundtrip");  // unique per run
//   auto peer = ipckit::testing::PeerProcess::Start({"serve", dir});
//   EXPECT_EQ(peer.Wait(absl::Seconds(10)), 0);
#ifndef IPCKIT_CC_FILE_CHANNEL_TEST_UTIL_H_
#define IPCKIT_CC_FILE_CHANNEL_TEST_UTIL_H_

#include <string>
#include <vector>

#include "absl/strings/string_view.h"
#include "absl/time/time.h"

namespace ipckit {
namespace testing {

// A fresh path "<base>/ipckit_fc_<tag>_<pid>_<n>" (not created); removed by
// RemoveTree.
std::string ScratchPath(absl::string_view tag, absl::string_view base = "/tmp");

// "/dev/shm" when it is a directory this process can create in (a tmpfs:
// fast for tests that rewrite files a lot), else "/tmp".
std::string FastScratchBase();

// rm -rf `path`.
void RemoveTree(const std::string& path);

// Writes `text` to `path` by temp file + rename (as a foreign writer that
// follows the protocol would). Returns false on failure.
bool WriteFileAtomically(const std::string& path, absl::string_view text);
// Writes in place (a writer that does not follow the protocol).
bool WriteFileInPlace(const std::string& path, absl::string_view text);
std::string ReadFileOrDie(const std::string& path);

// cc/file_channel/file_channel_peer started as a child process (SpawnChild). Killed on
// destruction if still running.
class PeerProcess {
 public:
  static PeerProcess Start(const std::vector<std::string>& args);
  PeerProcess(PeerProcess&& other) noexcept : pid_(other.pid_) { other.pid_ = -1; }
  PeerProcess& operator=(PeerProcess&&) = delete;
  ~PeerProcess();

  bool started() const { return pid_ > 0; }
  // The exit code, 128 + signal if killed by one, or -1 if it did not exit
  // within `timeout` (it is then killed).
  int Wait(absl::Duration timeout);

 private:
  explicit PeerProcess(int pid) : pid_(pid) {}
  int pid_ = -1;
};

}  // namespace testing
}  // namespace ipckit

#endif  // IPCKIT_CC_FILE_CHANNEL_TEST_UTIL_H_
