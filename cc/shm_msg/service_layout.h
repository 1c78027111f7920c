// The shared-memory messaging service segment (format versions 1 and 2): its
// configuration, where each region lies, and the 128-byte header.
//
//   shm_msg::ServiceConfig config;  config.max_payload = 4096;
//   IPCKIT_ASSIGN_OR_RETURN(config, shm_msg::ResolveConfig(config));
//   IPCKIT_ASSIGN_OR_RETURN(shm_msg::Layout layout, shm_msg::ComputeLayout(config));
//   std::string header = shm_msg::BuildHeader(config, layout);   // state: initializing
//   IPCKIT_ASSIGN_OR_RETURN(shm_msg::ParsedHeader parsed, shm_msg::ParseHeader(header, size));
//
// The layout and the validation order are in spec/shm_messaging.md. Pure: no
// I/O, no OS calls, no atomics (the mapped segment's business).
#ifndef IPCKIT_CC_SHM_MSG_SERVICE_LAYOUT_H_
#define IPCKIT_CC_SHM_MSG_SERVICE_LAYOUT_H_

#include <cstddef>
#include <cstdint>
#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace ipckit {
namespace shm_msg {

// "IPCKMSG\0": the first 8 bytes of every service segment.
inline constexpr absl::string_view kMagic{"IPCKMSG\0", 8};
// A service with one publisher entry is written as format 1 (its bytes are
// format 1's, so format 1 readers still join it); several publishers need 2.
inline constexpr uint16_t kFormatVersion = 2;
inline constexpr uint16_t kSinglePublisherFormatVersion = 1;
inline constexpr size_t kHeaderSize = 128;
inline constexpr uint32_t kPatternPublishSubscribe = 1;

// Limits of the configuration fields.
inline constexpr uint32_t kMaxSubscribers = 32;
inline constexpr uint32_t kMaxPublishers = 16;
inline constexpr uint64_t kMaxPayloadLimit = uint64_t{1} << 40;
inline constexpr uint32_t kMaxPoolSlots = 65535;
inline constexpr uint32_t kMaxSubscriberBuffer = 4096;
inline constexpr uint32_t kMaxHistory = 1024;
inline constexpr uint32_t kMaxHeld = 1024;
inline constexpr uint64_t kMaxTotalSize = uint64_t{1} << 44;

// Byte offsets in the header.
inline constexpr size_t kVersionOffset = 8;
inline constexpr size_t kStateOffset = 104;
inline constexpr size_t kClosingPidOffset = 108;
inline constexpr size_t kClosingStartTimeOffset = 112;
inline constexpr size_t kChecksumOffset = 124;
// The checksum covers [0, kChecksummedSize): everything before the atomics.
inline constexpr size_t kChecksummedSize = 104;

// Sizes of the fixed records (see the spec's tables).
inline constexpr size_t kParticipantSize = 64;
inline constexpr size_t kSlotRecordSize = 32;
inline constexpr size_t kQueueHeaderSize = 256;
inline constexpr size_t kHistoryHeaderSize = 64;

enum class Overflow : uint32_t {
  kDropOldest = 0,  // a full queue loses its oldest sample
  kBlock = 1,       // the publisher waits for room, up to its timeout
};

// What a service is; every participant must ask for the same.
struct ServiceConfig {
  uint32_t max_publishers = 1;  // publishers at once (format 2 when > 1)
  uint32_t max_subscribers = 4;
  uint64_t max_payload = 4096;
  uint32_t pool_slots = 0;  // 0: enough that a loan never finds the pool empty
  uint32_t subscriber_buffer = 16;
  uint32_t history = 0;
  uint32_t max_held = 2;
  Overflow overflow = Overflow::kDropOldest;

  bool operator==(const ServiceConfig& o) const {
    return max_publishers == o.max_publishers && max_subscribers == o.max_subscribers && max_payload == o.max_payload &&
           pool_slots == o.pool_slots && subscriber_buffer == o.subscriber_buffer &&
           history == o.history && max_held == o.max_held && overflow == o.overflow;
  }
};

// Byte offsets and strides of the regions, all derived from a ServiceConfig.
struct Layout {
  uint64_t participants_offset = 0;
  uint64_t slots_offset = 0;
  uint64_t queues_offset = 0;
  uint64_t queue_stride = 0;
  uint64_t history_offset = 0;
  uint64_t history_stride = 0;  // one history list per publisher
  uint64_t payload_offset = 0;
  uint64_t slot_stride = 0;
  uint64_t total_size = 0;
};

// Checks the ranges (invalid_argument) and fills a pool_slots of 0 with
// max_subscribers * (max_publishers * subscriber_buffer + max_held) +
// max_publishers * (history + 2), the most samples that can be referenced at
// once plus two loans per publisher (capped at 65535).
absl::StatusOr<ServiceConfig> ResolveConfig(const ServiceConfig& config);

// The layout of a resolved config. too_large if total_size would pass 2^44.
absl::StatusOr<Layout> ComputeLayout(const ServiceConfig& config);

// The 128 header bytes, state 0 (initializing), checksum computed; format 1
// when max_publishers is 1, else 2.
std::string BuildHeader(const ServiceConfig& config, const Layout& layout);

struct ParsedHeader {
  ServiceConfig config;
  Layout layout;
  uint32_t state = 0;
};

// Validation steps 1..12 of the spec on a private copy of the object's first
// min(object_size, 128) bytes.
absl::StatusOr<ParsedHeader> ParseHeader(absl::string_view bytes, uint64_t object_size);

// OK if `have` (the service's) equals `want` (resolved); else invalid_argument
// naming the first field that differs.
absl::Status CheckSameConfig(const ServiceConfig& want, const ServiceConfig& have);

}  // namespace shm_msg
}  // namespace ipckit

#endif  // IPCKIT_CC_SHM_MSG_SERVICE_LAYOUT_H_
