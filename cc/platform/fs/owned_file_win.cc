// owned_file.h on Windows (spec/windows.md, "FileChannel" and "Security").
// Files are opened sharing read, write and delete, so an ipckit reader never
// blocks another process's replace; FILE_FLAG_OPEN_REPARSE_POINT plus a check
// of the result stands for O_NOFOLLOW. There are no mode bits: what ipckit
// creates gets an explicit owner-only DACL (cc/platform/win/security_win.h),
// a file made with group or other bits in `create_mode` (a shared directory's
// 0660) an Everyone entry as well; what exists must be owned by this user and
// writable by no one else, unless the caller opted in.
#include <windows.h>

#include <optional>
#include <utility>

#include "absl/strings/str_cat.h"
#include "cc/base/error.h"
#include "cc/platform/fs/owned_file.h"
#include "cc/platform/win/error_win.h"
#include "cc/platform/win/fs_win.h"
#include "cc/platform/win/security_win.h"
#include "cc/platform/win/unique_handle_win.h"
#include "cc/platform/win/wide_win.h"

namespace ipckit {
namespace {

using platform::UniqueHandle;
using platform::WindowsError;
using platform::win::CheckPrivate;
using platform::win::SecuredObject;
using platform::win::Security;
using platform::win::Widen;

constexpr char kSharedDirectoryOptIn[] = "allow_shared_directory";

absl::Status Refused(const std::string& path, absl::string_view what) {
  return MakeError(absl::StatusCode::kPermissionDenied, kErrPermissionDenied,
                   absl::StrCat("'", path, "' ", what, ": refused"));
}

DWORD Disposition(int open_flags) {
  if (!(open_flags & kOpenCreate)) return OPEN_EXISTING;
  return (open_flags & kOpenExclusive) ? CREATE_NEW : OPEN_ALWAYS;
}

}  // namespace

absl::StatusOr<UniqueFd> OpenOwnedRegularFile(const std::string& path, int open_flags, uint32_t create_mode,
                                              bool allow_other_owner) {
  DWORD access = GENERIC_READ;  // includes READ_CONTROL, for the owner check
  if (open_flags & (kOpenWrite | kOpenReadWrite)) access |= GENERIC_WRITE;
  // Windows applies it only if this call creates the file.
  std::optional<Security> security;
  if (open_flags & kOpenCreate) {
    absl::StatusOr<Security> made = Security::For(SecuredObject::kFile, (create_mode & 0066) != 0);
    if (!made.ok()) return made.status();
    security = *std::move(made);
  }
  // Write-only callers still get read access: LockFileEx and
  // GetFileInformationByHandle need one of the two, never harmful here.
  UniqueHandle h(::CreateFileW(Widen(path).c_str(), access, FILE_SHARE_READ | FILE_SHARE_WRITE | FILE_SHARE_DELETE,
                               security ? security->attributes() : nullptr, Disposition(open_flags),
                               FILE_ATTRIBUTE_NORMAL | FILE_FLAG_OPEN_REPARSE_POINT | FILE_FLAG_BACKUP_SEMANTICS,
                               nullptr));
  // OPEN_ALWAYS on an existing file says so; CREATE_NEW always creates.
  const bool created = h.valid() && (open_flags & kOpenCreate) && ::GetLastError() != ERROR_ALREADY_EXISTS;
  if (!h.valid()) {
    const DWORD err = ::GetLastError();
    const DWORD attrs = ::GetFileAttributesW(Widen(path).c_str());
    if (err == ERROR_ACCESS_DENIED && attrs != INVALID_FILE_ATTRIBUTES && (attrs & FILE_ATTRIBUTE_DIRECTORY)) {
      return Refused(path, "is a directory");
    }
    return WindowsError(err, absl::StrCat("open '", path, "'"));
  }
  BY_HANDLE_FILE_INFORMATION info;
  if (!::GetFileInformationByHandle(h.get(), &info)) {
    return WindowsError(::GetLastError(), absl::StrCat("stat '", path, "'"));
  }
  if (info.dwFileAttributes & FILE_ATTRIBUTE_REPARSE_POINT) return Refused(path, "is a symlink or junction");
  if (info.dwFileAttributes & FILE_ATTRIBUTE_DIRECTORY) return Refused(path, "is a directory");
  if (::GetFileType(h.get()) != FILE_TYPE_DISK) return Refused(path, "is not a regular file");
  // A file this call made carries our own DACL; any other must be this
  // user's and writable by no one else (Windows' "bypass traverse checking"
  // lets any user reach a file by path, so a private directory does not
  // guard the files in it).
  if (!created && !allow_other_owner) {
    if (absl::Status ok = CheckPrivate(h.get(), path, kSharedDirectoryOptIn); !ok.ok()) return ok;
  }
  // Truncated only after the checks, so a refused file is never modified.
  if ((open_flags & kOpenTruncate) && !::SetEndOfFile(h.get())) {
    return WindowsError(::GetLastError(), absl::StrCat("truncate '", path, "'"));
  }
  return platform::win::FdFromHandle(std::move(h), path);
}

absl::Status CheckChannelDirectory(const std::string& dir, bool allow_shared) {
  const DWORD attrs = ::GetFileAttributesW(Widen(dir).c_str());
  if (attrs == INVALID_FILE_ATTRIBUTES) return WindowsError(::GetLastError(), absl::StrCat("stat '", dir, "'"));
  if (!(attrs & FILE_ATTRIBUTE_DIRECTORY)) return InvalidArgumentError(absl::StrCat("'", dir, "' is not a directory"));
  if (allow_shared) return absl::OkStatus();
  // Follows a link the caller named, as stat(2) does on Linux.
  UniqueHandle h(::CreateFileW(Widen(dir).c_str(), READ_CONTROL, FILE_SHARE_READ | FILE_SHARE_WRITE | FILE_SHARE_DELETE,
                               nullptr, OPEN_EXISTING, FILE_FLAG_BACKUP_SEMANTICS, nullptr));
  if (!h.valid()) return WindowsError(::GetLastError(), absl::StrCat("open directory '", dir, "'"));
  return CheckPrivate(h.get(), dir, kSharedDirectoryOptIn);
}

absl::Status MakePrivateDirs(const std::string& dir) {
  // Owner-only and protected: a parent that others may write (C:\ProgramData,
  // C:\Users\Public) passes nothing down.
  absl::StatusOr<Security> security = Security::For(SecuredObject::kDirectory);
  if (!security.ok()) return security.status();
  for (size_t pos = 1; pos <= dir.size(); ++pos) {
    if (pos != dir.size() && dir[pos] != '/' && dir[pos] != '\\') continue;
    const std::string prefix = dir.substr(0, pos);
    if (prefix.size() == 2 && prefix[1] == ':') continue;  // a drive ("C:"), not a directory to make
    if (::CreateDirectoryW(Widen(prefix).c_str(), security->attributes())) continue;
    const DWORD err = ::GetLastError();
    if (err == ERROR_ALREADY_EXISTS || err == ERROR_ACCESS_DENIED) continue;  // checked below
    return WindowsError(err, absl::StrCat("create directory '", prefix, "'"));
  }
  const DWORD attrs = ::GetFileAttributesW(Widen(dir).c_str());
  if (attrs == INVALID_FILE_ATTRIBUTES) return WindowsError(::GetLastError(), absl::StrCat("stat '", dir, "'"));
  if (!(attrs & FILE_ATTRIBUTE_DIRECTORY)) {
    return InvalidArgumentError(absl::StrCat("'", dir, "' exists and is not a directory"));
  }
  return absl::OkStatus();
}

}  // namespace ipckit
