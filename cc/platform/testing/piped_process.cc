#include "cc/platform/testing/piped_process.h"

#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstring>

#include "cc/base/deadline.h"
#include "cc/platform/io/child_process.h"
#include "cc/platform/io/fd_io.h"
#include "gtest/gtest.h"

extern char** environ;

namespace ipckit {
namespace platform {

PipedProcess::PipedProcess(const std::string& path, const std::vector<std::string>& args) {
  absl::StatusOr<fd_io::PipeFds> in = fd_io::MakePipe();
  absl::StatusOr<fd_io::PipeFds> out = fd_io::MakePipe();
  if (!in.ok() || !out.ok()) {
    ADD_FAILURE() << "pipes for " << path;
    return;
  }
  // The child's ends become its blocking stdin and stdout (dup2 clears
  // close-on-exec; O_NONBLOCK belongs to the description, so clear it).
  if (!fd_io::SetNonBlocking(in->reader.get(), false).ok() ||
      !fd_io::SetNonBlocking(out->writer.get(), false).ok()) {
    ADD_FAILURE() << "blocking ends for " << path;
    return;
  }
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_adddup2(&actions, in->reader.get(), STDIN_FILENO);
  posix_spawn_file_actions_adddup2(&actions, out->writer.get(), STDOUT_FILENO);
  std::vector<std::string> argv_store = {path};
  argv_store.insert(argv_store.end(), args.begin(), args.end());
  std::vector<char*> argv;
  for (std::string& a : argv_store) argv.push_back(a.data());
  argv.push_back(nullptr);
  const int rc = ::posix_spawn(&pid_, path.c_str(), &actions, nullptr, argv.data(), environ);
  posix_spawn_file_actions_destroy(&actions);
  to_child_ = std::move(in->writer);
  from_child_ = std::move(out->reader);
  if (rc != 0) {
    ADD_FAILURE() << "posix_spawn " << path << ": " << std::strerror(rc);
    pid_ = -1;
  }
}

PipedProcess::~PipedProcess() {
  CloseStdin();
  if (pid_ > 0 && !reaped_) KillChild(pid_);
}

std::string PipedProcess::ReadLine(absl::Duration timeout) {
  const Deadline deadline = Deadline::After(timeout);
  while (true) {
    const size_t nl = buffer_.find('\n');
    if (nl != std::string::npos) {
      std::string line = buffer_.substr(0, nl);
      buffer_.erase(0, nl + 1);
      return line;
    }
    char chunk[512];
    absl::StatusOr<size_t> n =
        fd_io::ReadSome(from_child_.get(), absl::MakeSpan(chunk), deadline, "peer stdout");
    if (!n.ok() || *n == 0) return "";
    buffer_.append(chunk, *n);
  }
}

void PipedProcess::Send(const std::string& line) {
  absl::Status s = fd_io::WriteAll(to_child_.get(), fd_io::FdKind::kPipe, line + "\n",
                                   Deadline::After(absl::Seconds(10)), "peer stdin");
  ASSERT_TRUE(s.ok()) << s;
}

void PipedProcess::Kill() {
  if (pid_ > 0 && !reaped_) ::kill(pid_, SIGKILL);
}

void PipedProcess::Terminate() {
  if (pid_ > 0 && !reaped_) ::kill(pid_, SIGTERM);
}

int PipedProcess::Wait(absl::Duration timeout) {
  if (pid_ <= 0 || reaped_) return -1;
  absl::StatusOr<int> status = WaitChild(pid_, timeout);
  reaped_ = true;
  EXPECT_TRUE(status.ok()) << status.status();
  return status.ok() ? *status : -1;
}

bool ChownShmObject(const std::string& object_name, uint32_t uid, uint32_t gid) {
  const int fd = ::shm_open(object_name.c_str(), O_RDWR, 0);
  if (fd < 0) return false;
  const bool ok = ::fchown(fd, uid, gid) == 0;
  ::close(fd);
  return ok;
}

}  // namespace platform
}  // namespace ipckit
