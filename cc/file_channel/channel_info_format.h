// The text of .channel_info, which marks a directory as a file-ipc channel and
// names its version: composing and validating it, with no file access (that
// is EnsureChannelInfo in channel_info.h), so this also builds for WASM.
//
//   std::string text = ipckit::ComposeChannelInfo(ipckit::NowUnixMs());
//   IPCKIT_RETURN_IF_ERROR(ipckit::ValidateChannelInfo(text, ".channel_info"));
//   // text == {"version":"1.0","protocol":"file-ipc","format_version":2,"created":...}\n
//   // RaiseChannelInfo(R"({"version":"1.0","protocol":"file-ipc","created":5})", now, label)
//   //   -> {"version":"1.0","protocol":"file-ipc","format_version":2,"created":5}\n
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

// What an opening endpoint writes over the .channel_info `text` it read
// (spec/file_channel.md, ".channel_info", rule 3): nullopt when `text` is of
// kFileChannelFormatVersion already; for an older format (0.1's has no
// format_version, format 1's is 1) the text ComposeChannelInfo writes, keeping
// "created" (`now_ms` if there is none), so endpoints of the older format
// refuse the channel instead of pruning it by their rules. Errors as
// ValidateChannelInfo (a newer format is unsupported_version).
absl::StatusOr<std::optional<std::string>> RaiseChannelInfo(absl::string_view text, uint64_t now_ms,
                                                            absl::string_view label);

}  // namespace ipckit

#endif  // IPCKIT_CC_FILE_CHANNEL_CHANNEL_INFO_FORMAT_H_
