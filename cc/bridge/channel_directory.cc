#include "cc/bridge/channel_directory.h"

#include <cstdint>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "cc/base/deadline.h"
#include "cc/base/error.h"
#include "cc/platform/fs/file_ops.h"
#include "cc/platform/fs/owned_file.h"

namespace ipckit::bridge {
namespace {

constexpr absl::string_view kMissingEtag = "\"missing\"";

// Writers replace files by rename, so every write changes the inode.
std::string EtagFor(uint64_t inode, uint64_t size, int64_t mtime_ns) {
  return absl::StrCat("\"", inode, "-", size, "-", mtime_ns, "\"");
}

}  // namespace

absl::StatusOr<std::string> ChannelDirectory::EtagOf(absl::string_view name) {
  // Opened, not stat'ed by path: even the version of a symlink, a FIFO or
  // another user's file is not told (the file rule, owned_file.h).
  const std::string path = absl::StrCat(dir_, "/", name);
  absl::StatusOr<UniqueFd> fd = OpenOwnedRegularFile(path, kOpenRead);
  if (ErrorClassOf(fd.status()) == kErrNotFound) return std::string(kMissingEtag);
  if (!fd.ok()) return fd.status();
  absl::StatusOr<FileStatus> st = StatOpenFile(*fd, path);
  if (!st.ok()) return st.status();
  return EtagFor(st->inode, st->size, st->mtime_ns);
}

absl::StatusOr<ChannelFileVersion> ChannelDirectory::Read(absl::string_view name, size_t max_bytes) {
  absl::StatusOr<FileSnapshot> snapshot = ReadChannelFile(absl::StrCat(dir_, "/", name), max_bytes);
  if (!snapshot.ok()) return snapshot.status();
  ChannelFileVersion version;
  version.exists = snapshot->exists;
  // Named after fstat of the opened file: exactly the bytes read.
  version.etag = snapshot->exists ? EtagFor(snapshot->inode, snapshot->size, snapshot->mtime_ns)
                                  : std::string(kMissingEtag);
  version.text = std::move(snapshot->text);
  return version;
}

absl::Status ChannelDirectory::Append(absl::string_view name, const std::vector<std::string>& texts,
                                      absl::Duration lock_timeout) {
  AppendOptions options = append_;
  options.remove_stale_temps = !wrote_once_.load();
  absl::Status status =
      AppendToChannelFile(dir_, name, texts, options, Deadline::After(lock_timeout));
  if (status.ok()) wrote_once_.store(true);
  return status;
}

}  // namespace ipckit::bridge
