#include "cc/file_channel/test_util.h"

#include <atomic>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <system_error>

#include "absl/strings/str_cat.h"
#include "cc/platform/fs/file_ops.h"
#include "cc/platform/io/child_process.h"
#include "cc/platform/process/process.h"

namespace ipckit {
namespace testing {
namespace {

constexpr char kPeerPath[] = "cc/file_channel/file_channel_peer";

bool WriteWhole(const std::string& path, absl::string_view text) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out.write(text.data(), static_cast<std::streamsize>(text.size()));
  out.close();
  return !out.fail();
}

}  // namespace

std::string ScratchPath(absl::string_view tag, absl::string_view base) {
  static std::atomic<int> counter{0};
  return absl::StrCat(base, "/ipckit_fc_", tag, "_", platform::CurrentProcessId(), "_", counter++);
}

std::string FastScratchBase() {
  const std::string probe = ScratchPath("probe", "/dev/shm");
  std::error_code error;
  if (!std::filesystem::create_directory(probe, error)) return "/tmp";
  std::filesystem::remove(probe, error);
  return "/dev/shm";
}

void RemoveTree(const std::string& path) {
  std::error_code ignored;  // best effort, like rm -rf
  std::filesystem::remove_all(path, ignored);
}

bool WriteFileAtomically(const std::string& path, absl::string_view text) {
  std::string temp = absl::StrCat(path, ".foreign-tmp");
  return WriteWhole(temp, text) && ReplaceByRename(temp, path).ok();
}

bool WriteFileInPlace(const std::string& path, absl::string_view text) { return WriteWhole(path, text); }

std::string ReadFileOrDie(const std::string& path) {
  FILE* f = std::fopen(path.c_str(), "rb");
  if (f == nullptr) {
    std::perror(path.c_str());
    std::abort();
  }
  std::string out;
  char buf[65536];
  size_t n;
  while ((n = std::fread(buf, 1, sizeof(buf), f)) > 0) out.append(buf, n);
  std::fclose(f);
  return out;
}

PeerProcess PeerProcess::Start(const std::vector<std::string>& args) {
  absl::StatusOr<pid_t> pid = SpawnChild(kPeerPath, args);
  return PeerProcess(pid.ok() ? static_cast<int>(*pid) : -1);
}

PeerProcess::~PeerProcess() {
  if (pid_ > 0) KillChild(pid_);
}

int PeerProcess::Wait(absl::Duration timeout) {
  if (pid_ <= 0) return -1;
  absl::StatusOr<int> status = WaitChild(pid_, timeout);  // kills and reaps it on timeout
  pid_ = -1;
  return status.ok() ? ExitCodeOf(*status) : -1;
}

}  // namespace testing
}  // namespace ipckit
