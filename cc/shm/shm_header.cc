#include "cc/shm/shm_header.h"

#include <algorithm>
#include <array>

#include "absl/strings/escaping.h"
#include "absl/strings/str_format.h"
#include "cc/base/error.h"

namespace ipckit {
namespace shm {
namespace {

// Little-endian field access by shifts, so the result does not depend on the
// host byte order or on alignment.
uint64_t LoadLe(absl::string_view bytes, size_t offset, size_t width) {
  uint64_t value = 0;
  for (size_t i = 0; i < width; ++i) {
    value |= uint64_t{static_cast<unsigned char>(bytes[offset + i])} << (8 * i);
  }
  return value;
}

void StoreLe(std::string& bytes, size_t offset, size_t width, uint64_t value) {
  for (size_t i = 0; i < width; ++i) {
    bytes[offset + i] = static_cast<char>((value >> (8 * i)) & 0xff);
  }
}

std::array<uint32_t, 256> MakeCrc32cTable() {
  std::array<uint32_t, 256> table{};
  for (uint32_t i = 0; i < 256; ++i) {
    uint32_t crc = i;
    for (int bit = 0; bit < 8; ++bit) {
      crc = (crc & 1) ? (crc >> 1) ^ 0x82F63B78u : crc >> 1;
    }
    table[i] = crc;
  }
  return table;
}

absl::Status CheckUserSize(uint64_t user_size) {
  if (user_size == 0) return InvalidArgumentError("segment size is 0; it must be at least 1 byte");
  if (user_size > kMaxUserSize) {
    return TooLargeError(absl::StrFormat("segment size %d exceeds the limit %d (1 TiB)",
                                         user_size, kMaxUserSize));
  }
  return absl::OkStatus();
}

}  // namespace

uint32_t Crc32c(absl::string_view data) {
  static const std::array<uint32_t, 256> table = MakeCrc32cTable();
  uint32_t crc = 0xFFFFFFFFu;
  for (char c : data) {
    crc = table[(crc ^ static_cast<unsigned char>(c)) & 0xff] ^ (crc >> 8);
  }
  return crc ^ 0xFFFFFFFFu;
}

absl::StatusOr<uint64_t> ObjectSizeFor(uint64_t user_size) {
  absl::Status valid = CheckUserSize(user_size);
  if (!valid.ok()) return valid;
  return kHeaderSize + user_size;
}

absl::StatusOr<std::string> BuildHeader(const HeaderFields& fields) {
  absl::Status valid = CheckUserSize(fields.user_size);
  if (!valid.ok()) return valid;
  if (fields.state != SegmentState::kInitializing && fields.state != SegmentState::kReady) {
    return InvalidArgumentError(absl::StrFormat("segment state %d is not a known state",
                                                static_cast<uint32_t>(fields.state)));
  }
  std::string bytes(kHeaderSize, '\0');
  bytes.replace(kMagicOffset, kMagic.size(), kMagic.data(), kMagic.size());
  StoreLe(bytes, kVersionOffset, 2, kFormatVersion);
  StoreLe(bytes, kHeaderSizeOffset, 2, kHeaderSize);
  StoreLe(bytes, kFlagsOffset, 4, 0);
  StoreLe(bytes, kUserSizeOffset, 8, fields.user_size);
  StoreLe(bytes, kDataOffsetOffset, 8, kHeaderSize);
  StoreLe(bytes, kCreatorPidOffset, 4, fields.creator_pid);
  StoreLe(bytes, kCreatorPidNamespaceOffset, 4, fields.creator_pid_namespace);
  StoreLe(bytes, kCreatorStartTimeOffset, 8, fields.creator_start_time);
  StoreLe(bytes, kCreationTimeOffset, 8, fields.creation_time_ns);
  StoreLe(bytes, kStateOffset, 4, static_cast<uint32_t>(fields.state));
  StoreLe(bytes, kChecksumOffset, 4,
          Crc32c(absl::string_view(bytes).substr(0, kChecksummedSize)));
  return bytes;
}

absl::StatusOr<HeaderFields> ParseHeader(absl::string_view head, uint64_t object_size) {
  const uint64_t available = std::min<uint64_t>(object_size, kHeaderSize);
  if (head.size() < available) {
    return InvalidArgumentError(absl::StrFormat(
        "header bytes given: %d; need the object's first %d bytes", head.size(), available));
  }
  if (object_size < kMagic.size()) {
    return CorruptError(absl::StrFormat(
        "object of %d bytes is too small to be an ipckit segment (header is %d bytes)",
        object_size, kHeaderSize));
  }
  if (head.substr(kMagicOffset, kMagic.size()) != kMagic) {
    return CorruptError(absl::StrFormat("not an ipckit segment: magic is \"%s\", expected \"%s\"",
                                        absl::CHexEscape(head.substr(0, kMagic.size())),
                                        absl::CHexEscape(kMagic)));
  }
  if (object_size < kVersionOffset + 2) {
    return CorruptError(absl::StrFormat(
        "segment is truncated: object is %d bytes, header is %d", object_size, kHeaderSize));
  }
  HeaderFields f;
  f.format_version = static_cast<uint16_t>(LoadLe(head, kVersionOffset, 2));
  if (f.format_version == 0) return CorruptError("segment format version is 0");
  if (f.format_version > kFormatVersion) {
    return UnsupportedVersionError(absl::StrFormat(
        "segment format version %d is newer than the supported version %d", f.format_version,
        kFormatVersion));
  }
  if (object_size < kHeaderSize) {
    return CorruptError(absl::StrFormat(
        "segment is truncated: object is %d bytes, header is %d", object_size, kHeaderSize));
  }
  f.header_size = static_cast<uint16_t>(LoadLe(head, kHeaderSizeOffset, 2));
  if (f.header_size != kHeaderSize) {
    return CorruptError(absl::StrFormat("header size %d; format version 1 requires %d",
                                        f.header_size, kHeaderSize));
  }
  f.checksum = static_cast<uint32_t>(LoadLe(head, kChecksumOffset, 4));
  const uint32_t computed = Crc32c(head.substr(0, kChecksummedSize));
  if (f.checksum != computed) {
    return CorruptError(absl::StrFormat(
        "header checksum mismatch: stored 0x%08x, computed 0x%08x", f.checksum, computed));
  }
  f.flags = static_cast<uint32_t>(LoadLe(head, kFlagsOffset, 4));
  if (f.flags != 0) {
    return UnsupportedVersionError(
        absl::StrFormat("segment flags 0x%08x include bits format version 1 does not define",
                        f.flags));
  }
  const uint32_t state = static_cast<uint32_t>(LoadLe(head, kStateOffset, 4));
  if (state != static_cast<uint32_t>(SegmentState::kInitializing) &&
      state != static_cast<uint32_t>(SegmentState::kReady)) {
    return CorruptError(absl::StrFormat("segment state word %d is not a known state", state));
  }
  f.state = static_cast<SegmentState>(state);
  f.user_size = LoadLe(head, kUserSizeOffset, 8);
  f.data_offset = LoadLe(head, kDataOffsetOffset, 8);
  f.creator_pid = static_cast<uint32_t>(LoadLe(head, kCreatorPidOffset, 4));
  f.creator_pid_namespace = static_cast<uint32_t>(LoadLe(head, kCreatorPidNamespaceOffset, 4));
  f.creator_start_time = LoadLe(head, kCreatorStartTimeOffset, 8);
  f.creation_time_ns = LoadLe(head, kCreationTimeOffset, 8);

  if (f.data_offset < kHeaderSize || f.data_offset % kDataAlignment != 0) {
    return CorruptError(absl::StrFormat(
        "data offset %d is not a multiple of %d at or after the %d-byte header", f.data_offset,
        kDataAlignment, kHeaderSize));
  }
  if (f.data_offset > object_size) {
    return CorruptError(absl::StrFormat("data offset %d is beyond the object size %d",
                                        f.data_offset, object_size));
  }
  if (f.user_size == 0) return CorruptError("segment user size is 0");
  if (f.user_size > kMaxUserSize) {
    return CorruptError(absl::StrFormat("segment user size %d exceeds the limit %d",
                                        f.user_size, kMaxUserSize));
  }
  // Subtraction cannot wrap: data_offset <= object_size was checked above.
  if (f.user_size > object_size - f.data_offset) {
    return CorruptError(absl::StrFormat(
        "user size %d at data offset %d does not fit in the object size %d", f.user_size,
        f.data_offset, object_size));
  }
  return f;
}

absl::string_view SegmentStateName(SegmentState state) {
  switch (state) {
    case SegmentState::kInitializing: return "initializing";
    case SegmentState::kReady: return "ready";
  }
  return "unknown";
}

}  // namespace shm
}  // namespace ipckit
