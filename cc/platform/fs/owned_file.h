// Files and directories that only the current user can reach: the file rules
// of a channel directory (spec/file_channel.md, "Files in a channel
// directory"), in one place for the FileChannel and the bridges.
//
//   IPCKIT_RETURN_IF_ERROR(ipckit::MakePrivateDirs(dir));                     // 0700, any umask
//   IPCKIT_RETURN_IF_ERROR(ipckit::CheckChannelDirectory(dir, /*allow_shared=*/false));
//   IPCKIT_ASSIGN_OR_RETURN(ipckit::UniqueFd fd,
//                           ipckit::OpenOwnedRegularFile(dir + "/x.json", ipckit::kOpenRead));
//
// Every refusal is permission_denied with a message naming the path and what
// was found there. Nothing here blocks: a FIFO is opened non-blocking and
// refused, never read. On Windows a mode is an owner-only DACL and an owner a
// SID, and others' write access is checked on files too (spec/windows.md,
// "Security").
#ifndef IPCKIT_CC_PLATFORM_FS_OWNED_FILE_H_
#define IPCKIT_CC_PLATFORM_FS_OWNED_FILE_H_

#include <cstdint>
#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "cc/platform/unique_fd.h"

namespace ipckit {

// How OpenOwnedRegularFile opens: one access mode, or'ed with any of the
// others (the meaning of open(2)'s O_* flags, spelled for every OS).
inline constexpr int kOpenRead = 0x0;
inline constexpr int kOpenWrite = 0x1;
inline constexpr int kOpenReadWrite = 0x2;
inline constexpr int kOpenCreate = 0x10;
inline constexpr int kOpenExclusive = 0x20;  // with kOpenCreate: in_use if it exists
inline constexpr int kOpenTruncate = 0x40;

// Opens `path` with `open_flags` (kOpenRead, kOpenWrite | kOpenCreate |
// kOpenExclusive, ...), never following a symlink, not inherited by children. Refuses (permission_denied) a symlink, FIFO,
// socket, device or directory, and a file another user owns (accepted with
// `allow_other_owner`, for a shared directory the caller opted in to). A file this call
// creates gets exactly `create_mode`, whatever the umask. Truncation is applied
// only after the checks pass, so a refused file is never modified. The
// returned descriptor is blocking. not_found if `path` is missing and kOpenCreate
// is not given; other failures map through ErrnoError.
absl::StatusOr<UniqueFd> OpenOwnedRegularFile(const std::string& path, int open_flags, uint32_t create_mode = 0600,
                                              bool allow_other_owner = false);

// Checks an existing channel directory. invalid_argument if `dir` is not a
// directory. Unless `allow_shared`, permission_denied if another user owns it
// or group or others may write to it (they could then plant or swap files).
absl::Status CheckChannelDirectory(const std::string& dir, bool allow_shared);

// mkdir -p: creates `dir` and its missing parents, each new one 0700 whatever
// the umask. Existing directories are left as they are. invalid_argument if a
// component exists and is not a directory.
absl::Status MakePrivateDirs(const std::string& dir);

}  // namespace ipckit

#endif  // IPCKIT_CC_PLATFORM_FS_OWNED_FILE_H_
