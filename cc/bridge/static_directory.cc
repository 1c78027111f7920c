#include "cc/bridge/static_directory.h"

#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "cc/base/error.h"
#include "cc/base/status_macros.h"
#include "cc/file_channel/channel_file.h"
#include "cc/platform/fs/file_ops.h"

namespace ipckit::bridge {
namespace {

constexpr uint32_t kGroupOrOtherWrite = 022;

absl::Status PermissionDeniedError(absl::string_view message) {
  return MakeError(absl::StatusCode::kPermissionDenied, kErrPermissionDenied, message);
}

// A directory on the way to a page file: a real directory (not a symlink to
// one) that only its owner may write, so nobody else can swap in a link.
absl::Status CheckStaticDirectory(const std::string& path, bool is_root) {
  absl::StatusOr<FileStatus> st = is_root ? StatPath(path) : StatLink(path);
  if (ErrorClassOf(st.status()) == kErrNotFound) return NotFoundError(absl::StrCat("no page file under '", path, "'"));
  if (!st.ok()) return st.status();
  if (st->type == FileStatus::Type::kSymlink) {
    return PermissionDeniedError(absl::StrCat("'", path, "' is a symlink: page files are not served through links"));
  }
  if (st->type != FileStatus::Type::kDirectory) return NotFoundError(absl::StrCat("'", path, "' is not a directory"));
  if ((st->permissions & kGroupOrOtherWrite) != 0) {
    return PermissionDeniedError(absl::StrCat("'", path, "' may be written by group or others: not served"));
  }
  return absl::OkStatus();
}

}  // namespace

absl::StatusOr<StaticFile> StaticDirectory::Read(absl::string_view relative_path, size_t max_bytes) {
  IPCKIT_RETURN_IF_ERROR(CheckStaticDirectory(dir_, /*is_root=*/true));
  std::vector<absl::string_view> parts = absl::StrSplit(relative_path, '/');
  std::string path = dir_;
  for (size_t i = 0; i + 1 < parts.size(); ++i) {
    absl::StrAppend(&path, "/", parts[i]);
    IPCKIT_RETURN_IF_ERROR(CheckStaticDirectory(path, /*is_root=*/false));
  }
  absl::StrAppend(&path, "/", parts.back());
  absl::StatusOr<FileStatus> st = StatLink(path);
  if (st.ok() && st->type == FileStatus::Type::kDirectory) {
    return NotFoundError(absl::StrCat("'", relative_path, "' is a directory"));
  }
  // Opened without following a symlink, as a regular file only; page files
  // may belong to another user (installed by a package), as they are public.
  IPCKIT_ASSIGN_OR_RETURN(FileSnapshot snapshot, ReadChannelFile(path, max_bytes, /*allow_other_owner=*/true));
  if (!snapshot.exists) return NotFoundError(absl::StrCat("no page file '", relative_path, "'"));
  StaticFile file;
  file.content_type = std::string(ContentTypeFor(parts.back()));
  file.etag = absl::StrCat("\"", snapshot.inode, "-", snapshot.size, "-", snapshot.mtime_ns, "\"");
  file.body = std::move(snapshot.text);
  return file;
}

}  // namespace ipckit::bridge
