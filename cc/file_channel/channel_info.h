// .channel_info: marks a directory as a file-ipc channel and names its version.
//
//   IPCKIT_RETURN_IF_ERROR(ipckit::EnsureChannelFiles(dir, deadline));  // .channel_info and both files
//   std::string text = ipckit::ComposeChannelInfo(ipckit::NowUnixMs());
//   IPCKIT_RETURN_IF_ERROR(ipckit::ValidateChannelInfo(text, ".channel_info"));
//
// Written once by whichever endpoint opens the directory first (under the
// channel lock, by atomic replace); every later open validates it. The text
// rules (ComposeChannelInfo, ValidateChannelInfo) are in channel_info_format.h,
// included here; this header adds the file access.
#ifndef IPCKIT_CC_FILE_CHANNEL_CHANNEL_INFO_H_
#define IPCKIT_CC_FILE_CHANNEL_CHANNEL_INFO_H_

#include <string>

#include "absl/status/status.h"
#include "cc/base/deadline.h"
#include "cc/file_channel/channel_info_format.h"

namespace ipckit {

// Creates <dir>/.channel_info if it is missing (taking the channel lock until
// `deadline`), else validates it.
absl::Status EnsureChannelInfo(const std::string& dir, const Deadline& deadline, bool allow_shared = false);

// What opening a channel does to the directory (as ipckit 0.1 does): creates
// or validates .channel_info, and creates each missing channel file as an
// empty channel ("[]"), under the channel lock, so a frontend can fetch both
// files before anything is sent.
absl::Status EnsureChannelFiles(const std::string& dir, const Deadline& deadline, bool allow_shared = false);

}  // namespace ipckit

#endif  // IPCKIT_CC_FILE_CHANNEL_CHANNEL_INFO_H_
