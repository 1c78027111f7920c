#include "cc/platform/win/fs_win.h"

#include <fcntl.h>
#include <io.h>
#include <windows.h>

#include <algorithm>
#include <memory>
#include <string>
#include <utility>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "cc/base/error.h"
#include "cc/platform/win/deadline_win.h"
#include "cc/platform/win/error_win.h"
#include "cc/platform/win/security_win.h"
#include "cc/platform/win/wide_win.h"

namespace ipckit {
namespace platform {
namespace win {
namespace {

// Sleeps `*backoff` (never past the deadline) and doubles it up to `max`.
void Backoff(absl::Duration* backoff, absl::Duration max, const Deadline& deadline) {
  absl::SleepFor(std::min(*backoff, deadline.Remaining()));
  *backoff = std::min(*backoff * 2, max);
}

}  // namespace

absl::StatusOr<UniqueFd> FdFromHandle(UniqueHandle h, absl::string_view what) {
  const int fd = ::_open_osfhandle(reinterpret_cast<intptr_t>(h.get()), _O_BINARY | _O_NOINHERIT);
  if (fd < 0) {
    return MakeError(absl::StatusCode::kResourceExhausted, kErrIo,
                     absl::StrCat(what, ": no C runtime descriptor left for the file handle"));
  }
  h.release();  // the descriptor owns it now
  return UniqueFd(fd);
}

HANDLE HandleOf(const UniqueFd& fd) { return reinterpret_cast<HANDLE>(::_get_osfhandle(fd.get())); }

absl::StatusOr<UniqueHandle> OpenShared(const std::string& path, bool create) {
  absl::StatusOr<Security> security = Security::For(SecuredObject::kFile);  // if this creates it
  if (!security.ok()) return security.status();
  UniqueHandle h(::CreateFileW(Widen(path).c_str(), GENERIC_READ | GENERIC_WRITE,
                               FILE_SHARE_READ | FILE_SHARE_WRITE | FILE_SHARE_DELETE, security->attributes(),
                               create ? OPEN_ALWAYS : OPEN_EXISTING, FILE_ATTRIBUTE_NORMAL, nullptr));
  if (!h.valid()) return WindowsError(::GetLastError(), absl::StrCat("open ", path));
  return h;
}

namespace {

// An OVERLAPPED that names the byte at `offset` (the lock calls take the
// range's start from it).
OVERLAPPED At(uint64_t offset) {
  OVERLAPPED ov{};
  ov.Offset = static_cast<DWORD>(offset);
  ov.OffsetHigh = static_cast<DWORD>(offset >> 32);
  return ov;
}

}  // namespace

absl::Status LockExclusive(HANDLE file, const Deadline& deadline, absl::string_view what, uint64_t offset) {
  absl::Duration backoff = absl::Microseconds(50);
  while (true) {
    OVERLAPPED ov = At(offset);
    if (::LockFileEx(file, LOCKFILE_EXCLUSIVE_LOCK | LOCKFILE_FAIL_IMMEDIATELY, 0, 1, 0, &ov)) {
      return absl::OkStatus();
    }
    const DWORD err = ::GetLastError();
    if (err != ERROR_LOCK_VIOLATION && err != ERROR_IO_PENDING) return WindowsError(err, absl::StrCat("lock ", what));
    if (deadline.Expired()) return TimeoutError(absl::StrCat("lock ", what, ": held by another process"));
    Backoff(&backoff, absl::Milliseconds(10), deadline);
  }
}

void Unlock(HANDLE file, uint64_t offset) {
  OVERLAPPED ov = At(offset);
  ::UnlockFileEx(file, 0, 1, 0, &ov);
}

absl::Status ReplaceByMove(const std::string& from, const std::string& to, const Deadline& deadline) {
  const std::wstring wfrom = Widen(from);
  const std::wstring wto = Widen(to);
  absl::Duration backoff = absl::Milliseconds(1);
  while (true) {
    if (::MoveFileExW(wfrom.c_str(), wto.c_str(), MOVEFILE_REPLACE_EXISTING | MOVEFILE_WRITE_THROUGH)) {
      return absl::OkStatus();
    }
    const DWORD err = ::GetLastError();
    if (err != ERROR_ACCESS_DENIED && err != ERROR_SHARING_VIOLATION) {
      return WindowsError(err, absl::StrCat("replace ", to));
    }
    if (deadline.Expired()) {
      return InUseError(absl::StrCat("replace ", to, ": another process holds it open without FILE_SHARE_DELETE"));
    }
    Backoff(&backoff, absl::Milliseconds(50), deadline);
  }
}

absl::StatusOr<DirWatch> DirWatch::Open(const std::string& dir) {
  DirWatch w;
  w.dir_ = dir;
  w.handle_.reset(::CreateFileW(Widen(dir).c_str(), FILE_LIST_DIRECTORY,
                                FILE_SHARE_READ | FILE_SHARE_WRITE | FILE_SHARE_DELETE, nullptr, OPEN_EXISTING,
                                FILE_FLAG_BACKUP_SEMANTICS | FILE_FLAG_OVERLAPPED, nullptr));
  if (!w.handle_.valid()) return WindowsError(::GetLastError(), absl::StrCat("watch ", dir));
  w.event_.reset(::CreateEventW(nullptr, TRUE, FALSE, nullptr));
  if (!w.event_.valid()) return WindowsError(::GetLastError(), "CreateEvent");
  w.buffer_.resize(64 * 1024);
  w.overlapped_ = std::make_unique<OVERLAPPED>();
  absl::Status armed = w.Arm();
  if (!armed.ok()) return armed;
  return w;
}

absl::Status DirWatch::Arm() {
  *overlapped_ = OVERLAPPED{};
  overlapped_->hEvent = event_.get();
  ::ResetEvent(event_.get());
  if (!::ReadDirectoryChangesW(handle_.get(), buffer_.data(), static_cast<DWORD>(buffer_.size()), FALSE,
                               FILE_NOTIFY_CHANGE_FILE_NAME | FILE_NOTIFY_CHANGE_LAST_WRITE |
                                   FILE_NOTIFY_CHANGE_SIZE,
                               nullptr, overlapped_.get(), nullptr)) {
    return WindowsError(::GetLastError(), absl::StrCat("watch ", dir_));
  }
  armed_ = true;
  return absl::OkStatus();
}

absl::StatusOr<bool> DirWatch::Wait(const Deadline& deadline) {
  if (!handle_.valid()) return ClosedError("directory watch: closed");
  if (!armed_) {
    absl::Status s = Arm();
    if (!s.ok()) return s;
  }
  if (::WaitForSingleObject(event_.get(), WaitMs(deadline)) == WAIT_TIMEOUT) return false;
  armed_ = false;
  DWORD n = 0;
  if (!::GetOverlappedResult(handle_.get(), overlapped_.get(), &n, FALSE)) {
    const DWORD err = ::GetLastError();
    // Too many changes for the buffer: report a change; the caller rescans.
    if (err == ERROR_NOTIFY_ENUM_DIR) return true;
    return WindowsError(err, absl::StrCat("watch ", dir_));
  }
  // Re-arm at once so that changes until the next Wait are not missed.
  absl::Status s = Arm();
  if (!s.ok()) return s;
  return true;  // n == 0 is an overflow too: still "something changed"
}

DirWatch::~DirWatch() {
  if (armed_ && handle_.valid()) {
    ::CancelIoEx(handle_.get(), overlapped_.get());
    DWORD n = 0;
    ::GetOverlappedResult(handle_.get(), overlapped_.get(), &n, TRUE);
  }
}

}  // namespace win
}  // namespace platform
}  // namespace ipckit
