// file_ops.h on Windows (spec/windows.md, "FileChannel"): a UniqueFd is a C
// runtime descriptor owning the file's HANDLE (win::FdFromHandle), and every
// call below goes to the HANDLE.
#include <windows.h>

#include <cstdint>

#include "absl/strings/str_cat.h"
#include "absl/time/time.h"
#include "cc/base/deadline.h"
#include "cc/base/error.h"
#include "cc/platform/fs/file_ops.h"
#include "cc/platform/win/error_win.h"
#include "cc/platform/win/fs_win.h"
#include "cc/platform/win/unique_handle_win.h"
#include "cc/platform/win/wide_win.h"

namespace ipckit {
namespace {

using platform::UniqueHandle;
using platform::WindowsError;
using platform::win::HandleOf;
using platform::win::Widen;

// How long ReplaceByRename waits out a reader that holds the target open
// without FILE_SHARE_DELETE (Wine: any reader). Channel files are read in
// well under a millisecond; this only bounds a stuck reader.
constexpr absl::Duration kReplaceRetryLimit = absl::Seconds(5);

// 100 ns ticks from 1601 to 1970.
constexpr int64_t kUnixEpochIn1601Ticks = 116444736000000000LL;

absl::StatusOr<FileStatus> StatHandle(HANDLE h, absl::string_view path) {
  BY_HANDLE_FILE_INFORMATION info;
  if (!::GetFileInformationByHandle(h, &info)) {
    return WindowsError(::GetLastError(), absl::StrCat("stat '", path, "'"));
  }
  FileStatus out;
  if (info.dwFileAttributes & FILE_ATTRIBUTE_REPARSE_POINT) {
    out.type = FileStatus::Type::kSymlink;
  } else if (info.dwFileAttributes & FILE_ATTRIBUTE_DIRECTORY) {
    out.type = FileStatus::Type::kDirectory;
  } else {
    out.type = FileStatus::Type::kRegular;
  }
  out.permissions = (info.dwFileAttributes & FILE_ATTRIBUTE_READONLY) ? 0400 : 0600;
  out.owner = 0;  // no numeric user ids: CurrentUserId() is 0 too
  out.device = info.dwVolumeSerialNumber;
  out.inode = (uint64_t{info.nFileIndexHigh} << 32) | info.nFileIndexLow;
  out.size = (uint64_t{info.nFileSizeHigh} << 32) | info.nFileSizeLow;
  const int64_t ticks =
      static_cast<int64_t>((uint64_t{info.ftLastWriteTime.dwHighDateTime} << 32) | info.ftLastWriteTime.dwLowDateTime);
  out.mtime_ns = (ticks - kUnixEpochIn1601Ticks) * 100;
  return out;
}

// Attribute-only open of a path (a directory too); `follow` false opens a
// reparse point itself, as lstat does.
absl::StatusOr<FileStatus> StatByPath(const std::string& path, bool follow) {
  DWORD flags = FILE_FLAG_BACKUP_SEMANTICS | (follow ? 0 : FILE_FLAG_OPEN_REPARSE_POINT);
  UniqueHandle h(::CreateFileW(Widen(path).c_str(), FILE_READ_ATTRIBUTES,
                               FILE_SHARE_READ | FILE_SHARE_WRITE | FILE_SHARE_DELETE, nullptr, OPEN_EXISTING, flags,
                               nullptr));
  if (!h.valid()) return WindowsError(::GetLastError(), absl::StrCat("stat '", path, "'"));
  return StatHandle(h.get(), path);
}

}  // namespace

absl::StatusOr<FileStatus> StatOpenFile(const UniqueFd& fd, absl::string_view path) {
  return StatHandle(HandleOf(fd), path);
}

absl::StatusOr<FileStatus> StatPath(const std::string& path) { return StatByPath(path, /*follow=*/true); }

absl::StatusOr<FileStatus> StatLink(const std::string& path) { return StatByPath(path, /*follow=*/false); }

absl::StatusOr<size_t> ReadFileSome(const UniqueFd& fd, char* buffer, size_t size, absl::string_view path) {
  DWORD n = 0;
  const DWORD want = static_cast<DWORD>(std::min<size_t>(size, 1u << 30));
  if (!::ReadFile(HandleOf(fd), buffer, want, &n, nullptr)) {
    const DWORD err = ::GetLastError();
    if (err == ERROR_HANDLE_EOF) return 0;
    return WindowsError(err, absl::StrCat("read '", path, "'"));
  }
  return static_cast<size_t>(n);
}

absl::Status WriteFileAll(const UniqueFd& fd, absl::string_view data, absl::string_view path) {
  while (!data.empty()) {
    DWORD n = 0;
    const DWORD chunk = static_cast<DWORD>(std::min<size_t>(data.size(), 1u << 30));
    if (!::WriteFile(HandleOf(fd), data.data(), chunk, &n, nullptr)) {
      return WindowsError(::GetLastError(), absl::StrCat("write '", path, "'"));
    }
    data.remove_prefix(n);
  }
  return absl::OkStatus();
}

absl::Status SyncFile(const UniqueFd& fd, absl::string_view path) {
  if (!::FlushFileBuffers(HandleOf(fd))) return WindowsError(::GetLastError(), absl::StrCat("flush '", path, "'"));
  return absl::OkStatus();
}

// Windows has no directory flush: ReplaceByRename's MOVEFILE_WRITE_THROUGH
// makes the rename itself durable.
absl::Status SyncDirectory(const std::string&) { return absl::OkStatus(); }

absl::Status ReplaceByRename(const std::string& from, const std::string& to) {
  return platform::win::ReplaceByMove(from, to, Deadline::After(kReplaceRetryLimit));
}

absl::Status RemoveFile(const std::string& path) {
  if (!::DeleteFileW(Widen(path).c_str())) return WindowsError(::GetLastError(), absl::StrCat("remove '", path, "'"));
  return absl::OkStatus();
}

absl::StatusOr<std::vector<std::string>> ListDirectory(const std::string& dir) {
  WIN32_FIND_DATAW found;
  HANDLE find = ::FindFirstFileW(Widen(absl::StrCat(dir, "\\*")).c_str(), &found);
  if (find == INVALID_HANDLE_VALUE) {
    return WindowsError(::GetLastError(), absl::StrCat("open directory '", dir, "'"));
  }
  std::vector<std::string> names;
  DWORD err = ERROR_SUCCESS;
  while (err == ERROR_SUCCESS) {
    const std::wstring wide(found.cFileName);
    if (wide != L"." && wide != L"..") {
      const int len = ::WideCharToMultiByte(CP_UTF8, 0, wide.data(), static_cast<int>(wide.size()), nullptr, 0,
                                            nullptr, nullptr);
      std::string name(static_cast<size_t>(len), '\0');
      ::WideCharToMultiByte(CP_UTF8, 0, wide.data(), static_cast<int>(wide.size()), name.data(), len, nullptr,
                            nullptr);
      names.push_back(std::move(name));
    }
    if (!::FindNextFileW(find, &found)) err = ::GetLastError();
  }
  ::FindClose(find);
  if (err != ERROR_NO_MORE_FILES) return WindowsError(err, absl::StrCat("read directory '", dir, "'"));
  return names;
}

absl::StatusOr<bool> LockFile(const UniqueFd& fd, bool wait, absl::string_view path) {
  // An expired deadline makes LockExclusive try exactly once.
  absl::Status locked =
      platform::win::LockExclusive(HandleOf(fd), wait ? Deadline::Never() : Deadline::After(absl::ZeroDuration()),
                                   path, kLockFileByte);
  if (locked.ok()) return true;
  if (!wait && ErrorClassOf(locked) == kErrTimeout) return false;
  return locked;
}

}  // namespace ipckit
