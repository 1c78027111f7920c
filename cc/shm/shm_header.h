// The shared-memory segment header (format version 1): build, parse, validate.
//
//   shm::HeaderFields fields;  fields.user_size = 4096;
//   IPCKIT_ASSIGN_OR_RETURN(std::string bytes, shm::BuildHeader(fields));
//   IPCKIT_ASSIGN_OR_RETURN(shm::HeaderFields parsed, shm::ParseHeader(bytes, 4160));
//
// The layout and the rules are in spec/shared_memory.md. This file is pure: no
// I/O and no OS calls, so the same code can run in a WASM build (e.g. to inspect
// a dumped segment). Atomic access to the state word is the caller's business.
#ifndef IPCKIT_CC_SHM_SHM_HEADER_H_
#define IPCKIT_CC_SHM_SHM_HEADER_H_

#include <cstddef>
#include <cstdint>
#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace ipckit {
namespace shm {

// "IPCKSHM\0": the first 8 bytes of every ipckit segment.
inline constexpr absl::string_view kMagic{"IPCKSHM\0", 8};
inline constexpr uint16_t kFormatVersion = 1;
// Size of the version-1 header, and the version-1 writer's data offset.
inline constexpr size_t kHeaderSize = 64;
// User data starts at a multiple of this (one cache line).
inline constexpr size_t kDataAlignment = 64;
// Largest user size a writer creates and a reader accepts: 1 TiB.
inline constexpr uint64_t kMaxUserSize = uint64_t{1} << 40;

// Byte offsets of the fields (see the table in the spec).
inline constexpr size_t kMagicOffset = 0;
inline constexpr size_t kVersionOffset = 8;
inline constexpr size_t kHeaderSizeOffset = 10;
inline constexpr size_t kFlagsOffset = 12;
inline constexpr size_t kUserSizeOffset = 16;
inline constexpr size_t kDataOffsetOffset = 24;
inline constexpr size_t kCreatorPidOffset = 32;
inline constexpr size_t kCreatorPidNamespaceOffset = 36;
inline constexpr size_t kCreatorStartTimeOffset = 40;
inline constexpr size_t kCreationTimeOffset = 48;
inline constexpr size_t kStateOffset = 56;
inline constexpr size_t kChecksumOffset = 60;
// The checksum covers bytes [0, kChecksummedSize): everything before the state
// word, which changes after the checksum is written.
inline constexpr size_t kChecksummedSize = kStateOffset;

// The state word, published last by the creator with a release store.
enum class SegmentState : uint32_t {
  kInitializing = 0,
  kReady = 1,
};

// The decoded header. Defaults are what a version-1 writer puts in the fields
// it does not take from the caller.
struct HeaderFields {
  uint16_t format_version = kFormatVersion;
  uint16_t header_size = kHeaderSize;
  uint32_t flags = 0;
  uint64_t user_size = 0;
  uint64_t data_offset = kHeaderSize;
  uint32_t creator_pid = 0;            // 0: unknown
  uint32_t creator_pid_namespace = 0;  // 0: unknown
  uint64_t creator_start_time = 0;     // 0: unknown
  uint64_t creation_time_ns = 0;       // unix ns; 0: unknown
  SegmentState state = SegmentState::kReady;
  uint32_t checksum = 0;  // filled in by BuildHeader / ParseHeader
};

// CRC-32C (Castagnoli; reflected polynomial 0x82F63B78, initial value and final
// XOR 0xFFFFFFFF). Crc32c("123456789") == 0xE3069283.
uint32_t Crc32c(absl::string_view data);

// The 64 header bytes for `fields`, with the checksum computed. Only user_size,
// the creator fields, creation_time_ns and state are taken from `fields`; the
// rest are the version-1 constants. invalid_argument for user_size 0, too_large
// above kMaxUserSize.
absl::StatusOr<std::string> BuildHeader(const HeaderFields& fields);

// Total object size for a segment with `user_size` bytes of user data
// (kHeaderSize + user_size); same errors as BuildHeader.
absl::StatusOr<uint64_t> ObjectSizeFor(uint64_t user_size);

// Decodes and validates a header. `head` is the start of the object: at least
// min(object_size, kHeaderSize) bytes (more are ignored); `object_size` is the
// object's full size. Errors (all classes from spec/conventions.md):
//   corrupt: too small for a header, wrong magic ("not an ipckit segment"),
//            version 0, bad header size, bad checksum, bad state word, data
//            offset or user size inconsistent with the object size;
//   unsupported_version: version > 1, or flag bits this version does not know;
//   invalid_argument: `head` shorter than min(object_size, kHeaderSize).
absl::StatusOr<HeaderFields> ParseHeader(absl::string_view head, uint64_t object_size);

// "initializing" / "ready" (the spelling used by the vectors).
absl::string_view SegmentStateName(SegmentState state);

}  // namespace shm
}  // namespace ipckit

#endif  // IPCKIT_CC_SHM_SHM_HEADER_H_
