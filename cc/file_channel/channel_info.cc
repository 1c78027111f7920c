#include "cc/file_channel/channel_info.h"

#include "absl/strings/str_cat.h"
#include "cc/base/status_macros.h"
#include "cc/file_channel/channel_file.h"

namespace ipckit {

absl::Status EnsureChannelInfo(const std::string& dir, const Deadline& deadline) {
  const std::string path = absl::StrCat(dir, "/", kChannelInfoFile);
  IPCKIT_ASSIGN_OR_RETURN(FileSnapshot info, ReadChannelFile(path, kMaxChannelInfoBytes));
  if (info.exists) return ValidateChannelInfo(info.text, path);
  // Create it under the lock so that two endpoints opening at once agree.
  IPCKIT_ASSIGN_OR_RETURN(ChannelLock lock, ChannelLock::Acquire(dir, deadline));
  IPCKIT_ASSIGN_OR_RETURN(info, ReadChannelFile(path, kMaxChannelInfoBytes));
  if (info.exists) return ValidateChannelInfo(info.text, path);
  return ReplaceFileAtomically(dir, kChannelInfoFile, ComposeChannelInfo(NowUnixMs()), 0, false);
}

}  // namespace ipckit
