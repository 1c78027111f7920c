#include "cc/file_channel/channel_info.h"

#include <optional>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/string_view.h"
#include "cc/base/status_macros.h"
#include "cc/file_channel/channel_file.h"
#include "cc/file_channel/channel_info_format.h"
#include "cc/platform/fs/file_ops.h"

namespace ipckit {

namespace {

// Creates what is missing of .channel_info and, if `channel_files`, the two
// channel files. Taking the lock only when something is missing keeps the
// usual open (all present) lock-free.
absl::Status EnsureFiles(const std::string& dir, const Deadline& deadline, bool allow_shared, bool channel_files) {
  const std::string info_path = absl::StrCat(dir, "/", kChannelInfoFile);
  std::vector<absl::string_view> files;
  if (channel_files) files = {kBackendToFrontendFile, kFrontendToBackendFile};
  // Returns whether everything is in place; validates .channel_info. One of
  // an older format is not: RaiseChannelInfo says what replaces it.
  auto current = [&](const FileSnapshot& info) -> absl::StatusOr<bool> {
    IPCKIT_ASSIGN_OR_RETURN(std::optional<std::string> raised, RaiseChannelInfo(info.text, NowUnixMs(), info_path));
    return !raised.has_value();
  };
  auto check = [&]() -> absl::StatusOr<bool> {
    IPCKIT_ASSIGN_OR_RETURN(FileSnapshot info, ReadChannelFile(info_path, kMaxChannelInfoBytes, allow_shared));
    bool complete = info.exists;
    if (info.exists) {
      IPCKIT_ASSIGN_OR_RETURN(complete, current(info));
    }
    for (absl::string_view name : files) {
      if (!StatLink(absl::StrCat(dir, "/", name)).ok()) complete = false;
    }
    return complete;
  };
  IPCKIT_ASSIGN_OR_RETURN(bool complete, check());
  if (complete) return absl::OkStatus();
  // Create under the lock so that two endpoints opening at once agree, and
  // no writer's first message is replaced by an empty file.
  IPCKIT_ASSIGN_OR_RETURN(ChannelLock lock, ChannelLock::Acquire(dir, deadline, allow_shared));
  IPCKIT_ASSIGN_OR_RETURN(FileSnapshot info, ReadChannelFile(info_path, kMaxChannelInfoBytes, allow_shared));
  if (!info.exists) {
    IPCKIT_RETURN_IF_ERROR(
        ReplaceFileAtomically(dir, kChannelInfoFile, ComposeChannelInfo(NowUnixMs()), 0, false, allow_shared));
  } else {
    IPCKIT_ASSIGN_OR_RETURN(std::optional<std::string> raised, RaiseChannelInfo(info.text, NowUnixMs(), info_path));
    if (raised) IPCKIT_RETURN_IF_ERROR(ReplaceFileAtomically(dir, kChannelInfoFile, *raised, info.mode, false, allow_shared));
  }
  for (absl::string_view name : files) {
    // A file that exists is left alone, whatever it is: reads and writes
    // check it (corrupt, permission_denied) when they use it.
    if (StatLink(absl::StrCat(dir, "/", name)).ok()) continue;
    IPCKIT_RETURN_IF_ERROR(ReplaceFileAtomically(dir, name, ComposeChannelFile({}), 0, false, allow_shared));
  }
  return absl::OkStatus();
}

}  // namespace

absl::Status EnsureChannelInfo(const std::string& dir, const Deadline& deadline, bool allow_shared) {
  return EnsureFiles(dir, deadline, allow_shared, /*channel_files=*/false);
}

absl::Status EnsureChannelFiles(const std::string& dir, const Deadline& deadline, bool allow_shared) {
  return EnsureFiles(dir, deadline, allow_shared, /*channel_files=*/true);
}

}  // namespace ipckit
