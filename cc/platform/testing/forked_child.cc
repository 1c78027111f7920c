#include "cc/platform/testing/forked_child.h"

#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <utility>

#include "cc/base/deadline.h"
#include "cc/base/error.h"
#include "cc/platform/io/child_process.h"
#include "cc/platform/io/fd_io.h"

namespace ipckit {
namespace platform {

absl::StatusOr<ForkedChild> ForkedChild::Start(const std::function<int(ForkedChild&)>& body) {
  absl::StatusOr<fd_io::PipeFds> down = fd_io::MakePipe();
  if (!down.ok()) return down.status();
  absl::StatusOr<fd_io::PipeFds> up = fd_io::MakePipe();
  if (!up.ok()) return up.status();
  const pid_t pid = ::fork();
  if (pid < 0) return ErrnoError(errno, "fork");
  if (pid == 0) {
    down->writer.reset();
    up->reader.reset();
    ForkedChild self(0, std::move(up->writer), std::move(down->reader));
    ::_exit(body(self));
  }
  return ForkedChild(pid, std::move(down->writer), std::move(up->reader));
}

ForkedChild::~ForkedChild() {
  if (pid_ > 0) Kill();
}

bool ForkedChild::Send(char byte) {
  return fd_io::WriteAll(to_other_.get(), fd_io::FdKind::kPipe, absl::string_view(&byte, 1),
                         Deadline::After(absl::Seconds(10)), "forked child channel")
      .ok();
}

char ForkedChild::Receive(absl::Duration timeout) {
  char byte = 0;
  absl::StatusOr<size_t> n = fd_io::ReadSome(from_other_.get(), absl::MakeSpan(&byte, 1),
                                             Deadline::After(timeout), "forked child channel");
  return n.ok() && *n == 1 ? byte : 0;
}

void ForkedChild::Kill() {
  if (pid_ <= 0) return;
  KillChild(pid_);
  pid_ = 0;
}

absl::StatusOr<int> ForkedChild::Wait(absl::Duration timeout) {
  if (pid_ <= 0) return InvalidArgumentError("no child to wait for");
  absl::StatusOr<int> status = WaitChild(pid_, timeout);
  pid_ = 0;  // reaped either way: WaitChild kills one that outlives `timeout`
  return status;
}

namespace {

// CPU time of all the children this process has reaped so far.
absl::Duration ReapedChildrenCpuTime() {
  struct rusage usage = {};
  ::getrusage(RUSAGE_CHILDREN, &usage);
  return absl::DurationFromTimeval(usage.ru_utime) + absl::DurationFromTimeval(usage.ru_stime);
}

}  // namespace

absl::StatusOr<ForkedChild::End> ForkedChild::WaitWithCpuTime(absl::Duration timeout) {
  const absl::Duration before = ReapedChildrenCpuTime();
  absl::StatusOr<int> status = Wait(timeout);
  if (!status.ok()) return status.status();
  return End{*status, ReapedChildrenCpuTime() - before};
}

bool BecomeUser(uint32_t uid, uint32_t gid) {
  return ::setgid(static_cast<gid_t>(gid)) == 0 && ::setuid(static_cast<uid_t>(uid)) == 0;
}

ScopedUmask::ScopedUmask(uint32_t mask) : old_(::umask(static_cast<mode_t>(mask))) {}
ScopedUmask::~ScopedUmask() { ::umask(static_cast<mode_t>(old_)); }

}  // namespace platform
}  // namespace ipckit
