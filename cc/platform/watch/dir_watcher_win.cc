// DirWatcher on Windows (spec/windows.md, "Watching"). ReadDirectoryChangesW
// (win::DirWatch) reports changes to any entry of the directory, so it only
// wakes the waiter; whether a watched file changed is decided by comparing
// the files' signatures (size, write and creation time, file index) with those at the
// last report. Signatures taken at Open() make "check, then Wait" race-free
// without relying on the watch's queue.
#include <windows.h>

#include <utility>

#include "absl/strings/str_cat.h"
#include "cc/base/error.h"
#include "cc/base/status_macros.h"
#include "cc/platform/watch/dir_watcher.h"
#include "cc/platform/win/error_win.h"
#include "cc/platform/win/fs_win.h"
#include "cc/platform/win/unique_handle_win.h"
#include "cc/platform/win/wide_win.h"

namespace ipckit {

struct DirWatcher::NativeWatch {
  platform::win::DirWatch watch;
};
void DirWatcher::NativeWatchDeleter::operator()(NativeWatch* watch) const { delete watch; }

absl::StatusOr<DirWatcher> DirWatcher::Open(absl::string_view dir, std::vector<std::string> names,
                                            DirWatcherOptions options) {
  if (dir.empty()) return InvalidArgumentError("DirWatcher: empty directory path");
  IPCKIT_RETURN_IF_ERROR(CheckNames(names));
  std::string dir_path(dir);
  const DWORD attrs = ::GetFileAttributesW(platform::win::Widen(dir_path).c_str());
  if (attrs == INVALID_FILE_ATTRIBUTES) {
    return platform::WindowsError(::GetLastError(), absl::StrCat("DirWatcher: stat '", dir_path, "'"));
  }
  if (!(attrs & FILE_ATTRIBUTE_DIRECTORY)) {
    return InvalidArgumentError(absl::StrCat("DirWatcher: '", dir_path, "' is not a directory"));
  }
  DirWatcher watcher(std::move(dir_path), std::move(names), options);
  watcher.StartPolling();  // the signatures every report compares with
  if (!options.force_polling) {
    IPCKIT_ASSIGN_OR_RETURN(platform::win::DirWatch watch, platform::win::DirWatch::Open(watcher.dir_));
    watcher.native_.reset(new NativeWatch{std::move(watch)});
  }
  return watcher;
}

std::vector<DirWatcher::FileSignature> DirWatcher::Snapshot() const {
  std::vector<FileSignature> out(names_.size());
  for (size_t i = 0; i < names_.size(); ++i) {
    const std::wstring path = platform::win::Widen(absl::StrCat(dir_, "\\", names_[i]));
    BY_HANDLE_FILE_INFORMATION info;
    // Only "not found" means missing. Any other failed open (a sharing
    // violation or a pending delete while a writer renames in the directory,
    // seen under Wine) is retried a few times; if it persists, the file reads
    // as missing, which is a change: a spurious wake, never a lost one.
    bool read = false;
    DWORD error = 0;
    for (int attempt = 0; attempt < 20 && !read; ++attempt) {
      platform::UniqueHandle h(::CreateFileW(path.c_str(), FILE_READ_ATTRIBUTES,
                                             FILE_SHARE_READ | FILE_SHARE_WRITE | FILE_SHARE_DELETE, nullptr,
                                             OPEN_EXISTING, FILE_FLAG_BACKUP_SEMANTICS, nullptr));
      if (h.valid() && ::GetFileInformationByHandle(h.get(), &info)) {
        read = true;
        break;
      }
      error = ::GetLastError();
      if (error == ERROR_FILE_NOT_FOUND || error == ERROR_PATH_NOT_FOUND) break;
      ::Sleep(1);
    }
    FileSignature& sig = out[i];
    if (!read) {  // missing: "does not exist"
      if (error != ERROR_FILE_NOT_FOUND && error != ERROR_PATH_NOT_FOUND) sig.open_error = error;
      continue;
    }
    sig.exists = true;
    // dev stays 0: the watched files share one directory, hence one volume,
    // so the serial tells nothing the file index does not; under Wine it
    // comes from a separate volume query (to its mount manager), one more
    // field that could read differently between two looks at an untouched
    // file, which is a spurious wake.
    sig.ino = (uint64_t{info.nFileIndexHigh} << 32) | info.nFileIndexLow;
    sig.size = (uint64_t{info.nFileSizeHigh} << 32) | info.nFileSizeLow;
    sig.mtime_ns = static_cast<int64_t>((uint64_t{info.ftLastWriteTime.dwHighDateTime} << 32) |
                                        info.ftLastWriteTime.dwLowDateTime);
    // (Creation time where Linux compares ctime: a replaced file is a new one.)
    sig.ctime_ns = static_cast<int64_t>((uint64_t{info.ftCreationTime.dwHighDateTime} << 32) |
                                        info.ftCreationTime.dwLowDateTime);
  }
  return out;
}

absl::StatusOr<bool> DirWatcher::Wait(const Deadline& deadline) {
  last_wake_ = Wake{};
  if (polling()) return WaitPolling(deadline);
  for (;;) {
    if (TakeChange()) return true;
    // A wake here (an overflow included) only means "compare again".
    absl::StatusOr<bool> woke = native_->watch.Wait(deadline);
    if (!woke.ok()) {
      // The directory went away or the watch failed: poll from here on and
      // let the caller re-check.
      StartPolling();
      last_wake_ = Wake{WakeReason::kWatchLost, woke.status().ToString()};
      return true;
    }
    if (!*woke) return false;
  }
}

}  // namespace ipckit
