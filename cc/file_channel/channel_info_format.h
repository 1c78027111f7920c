// The text of .channel_info, which marks a directory as a file-ipc channel and
// names its version: composing and validating it, with no file access (that
// is EnsureChannelInfo in channel_info.h), so this also builds for WASM.
//
//   std::string text = ipckit::ComposeChannelInfo(ipckit::NowUnixMs());
//   IPCKIT_RETURN_IF_ERROR(ipckit::ValidateChannelInfo(text, ".channel_info"));
//   // text == {"version":"1.0","protocol":"file-ipc","format_version":2,"created":...}\n
#ifndef IPCKIT_CC_FILE_CHANNEL_CHANNEL_INFO_FORMAT_H_
#define IPCKIT_CC_FILE_CHANNEL_CHANNEL_INFO_FORMAT_H_

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace ipckit {

// The channel format this code reads and writes (spec/file_channel.md).
inline constexpr uint64_t kFileChannelFormatVersion = 2;
inline constexpr size_t kMaxChannelInfoBytes = 64 * 1024;

// {"version":"1.0","protocol":"file-ipc","format_version":2,"created":N}
// plus a newline ("created" in ms since the epoch, as ipckit 0.1 writes it).
std::string ComposeChannelInfo(uint64_t created_ms);

// OK for a JSON object whose "protocol" is "file-ipc", whose "version" has
// major version 1 ("1", "1.0", "1.7", ...) and whose optional
// "format_version" is at most kFileChannelFormatVersion; other fields are
// ignored. unsupported_version for anything else that is a JSON object,
// corrupt for text that is not one.
absl::Status ValidateChannelInfo(absl::string_view text, absl::string_view label);

// What an opening endpoint needs of a valid .channel_info: its format version
// (0 when absent, as ipckit 0.1 writes it) and "created" (if an unsigned
// integer). Errors as ValidateChannelInfo.
struct ChannelInfoFields {
  uint64_t format_version = 0;
  std::optional<uint64_t> created_ms;
};
absl::StatusOr<ChannelInfoFields> ReadChannelInfo(absl::string_view text, absl::string_view label);

}  // namespace ipckit

#endif  // IPCKIT_CC_FILE_CHANNEL_CHANNEL_INFO_FORMAT_H_
