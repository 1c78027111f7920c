// Files and directories that only the current user can reach: the file rules
// of a channel directory (spec/file_channel.md, "Files in a channel
// directory"), in one place for the FileChannel and the bridges.
//
//   IPCKIT_RETURN_IF_ERROR(ipckit::MakePrivateDirs(dir));                     // 0700, any umask
//   IPCKIT_RETURN_IF_ERROR(ipckit::CheckChannelDirectory(dir, /*allow_shared=*/false));
//   IPCKIT_ASSIGN_OR_RETURN(ipckit::UniqueFd fd,
//                           ipckit::OpenOwnedRegularFile(dir + "/x.json", O_RDONLY));
//
// Every refusal is permission_denied with a message naming the path and what
// was found there. Nothing here blocks: a FIFO is opened non-blocking and
// refused, never read.
#ifndef IPCKIT_CC_PLATFORM_FS_OWNED_FILE_H_
#define IPCKIT_CC_PLATFORM_FS_OWNED_FILE_H_

#include <sys/types.h>

#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "cc/platform/unique_fd.h"

namespace ipckit {

// Opens `path` with `flags` (O_RDONLY, O_WRONLY | O_CREAT | O_EXCL, ...),
// adding O_NOFOLLOW | O_CLOEXEC. Refuses (permission_denied) a symlink, FIFO,
// socket, device or directory, and a file another user owns (accepted with
// `allow_other_owner`, for a shared directory the caller opted in to). A file this call
// creates gets exactly `create_mode`, whatever the umask. O_TRUNC is applied
// only after the checks pass, so a refused file is never modified. The
// returned descriptor is blocking. not_found if `path` is missing and O_CREAT
// is not given; other failures map through ErrnoError.
absl::StatusOr<UniqueFd> OpenOwnedRegularFile(const std::string& path, int flags, mode_t create_mode = 0600,
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
