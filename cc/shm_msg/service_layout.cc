#include "cc/shm_msg/service_layout.h"

#include <algorithm>
#include <cstring>

#include "absl/strings/str_cat.h"
#include "cc/base/error.h"
#include "cc/shm/shm_header.h"

namespace ipckit {
namespace shm_msg {
namespace {

uint64_t Align(uint64_t x, uint64_t to) { return (x + to - 1) / to * to; }

void Put16(std::string* b, size_t at, uint16_t v) {
  for (int i = 0; i < 2; ++i) (*b)[at + i] = static_cast<char>(v >> (8 * i));
}
void Put32(std::string* b, size_t at, uint32_t v) {
  for (int i = 0; i < 4; ++i) (*b)[at + i] = static_cast<char>(v >> (8 * i));
}
void Put64(std::string* b, size_t at, uint64_t v) {
  for (int i = 0; i < 8; ++i) (*b)[at + i] = static_cast<char>(v >> (8 * i));
}
uint64_t Get(absl::string_view b, size_t at, int bytes) {
  uint64_t v = 0;
  for (int i = bytes - 1; i >= 0; --i) v = (v << 8) | static_cast<unsigned char>(b[at + i]);
  return v;
}

absl::Status CheckRange(absl::string_view field, uint64_t value, uint64_t lo, uint64_t hi) {
  if (value >= lo && value <= hi) return absl::OkStatus();
  return InvalidArgumentError(
      absl::StrCat(field, " ", value, " is outside ", lo, "..", hi));
}

absl::Status CheckRanges(const ServiceConfig& c) {
  for (absl::Status s : {CheckRange("max_publishers", c.max_publishers, 1, kMaxPublishers),
                         CheckRange("max_subscribers", c.max_subscribers, 1, kMaxSubscribers),
                         CheckRange("max_payload", c.max_payload, 1, kMaxPayloadLimit),
                         CheckRange("pool_slots", c.pool_slots, 1, kMaxPoolSlots),
                         CheckRange("subscriber_buffer", c.subscriber_buffer, 1,
                                    kMaxSubscriberBuffer),
                         CheckRange("history", c.history, 0, kMaxHistory),
                         CheckRange("max_held", c.max_held, 1, kMaxHeld),
                         CheckRange("overflow", static_cast<uint32_t>(c.overflow), 0, 1)}) {
    if (!s.ok()) return s;
  }
  return absl::OkStatus();
}

}  // namespace

absl::StatusOr<ServiceConfig> ResolveConfig(const ServiceConfig& config) {
  ServiceConfig out = config;
  if (out.pool_slots == 0) {
    const uint64_t publishers = out.max_publishers;
    const uint64_t wanted =
        uint64_t{out.max_subscribers} * (publishers * out.subscriber_buffer + out.max_held) +
        publishers * (out.history + 2);
    out.pool_slots = static_cast<uint32_t>(std::min<uint64_t>(wanted, kMaxPoolSlots));
  }
  if (absl::Status s = CheckRanges(out); !s.ok()) return s;
  return out;
}

absl::StatusOr<Layout> ComputeLayout(const ServiceConfig& c) {
  if (absl::Status s = CheckRanges(c); !s.ok()) return s;
  Layout l;
  const uint64_t participants = uint64_t{c.max_publishers} + c.max_subscribers;
  l.participants_offset = kHeaderSize;
  l.slots_offset = l.participants_offset + kParticipantSize * participants;
  l.queues_offset = l.slots_offset + Align(kSlotRecordSize * c.pool_slots, 64);
  l.queue_stride = kQueueHeaderSize + Align(8 * uint64_t{c.subscriber_buffer}, 64);
  l.history_offset =
      l.queues_offset + uint64_t{c.max_publishers} * c.max_subscribers * l.queue_stride;
  l.history_stride = kHistoryHeaderSize + Align(8 * uint64_t{c.history}, 64);
  l.payload_offset = Align(l.history_offset + c.max_publishers * l.history_stride, 4096);
  l.slot_stride = Align(c.max_payload, 64);
  // slot_stride <= 2^40 and pool_slots < 2^16: the product cannot wrap.
  l.total_size = l.payload_offset + c.pool_slots * l.slot_stride;
  if (l.total_size > kMaxTotalSize) {
    return TooLargeError(absl::StrCat("service of ", c.pool_slots, " slots of ", c.max_payload,
                                      " bytes needs ", l.total_size, " bytes, over 2^44"));
  }
  return l;
}

std::string BuildHeader(const ServiceConfig& c, const Layout& l) {
  std::string b(kHeaderSize, '\0');
  std::memcpy(&b[0], kMagic.data(), kMagic.size());
  const bool single = c.max_publishers == 1;
  Put16(&b, 8, single ? kSinglePublisherFormatVersion : kFormatVersion);
  Put16(&b, 10, kHeaderSize);
  Put32(&b, 12, 0);
  Put32(&b, 16, kPatternPublishSubscribe);
  Put32(&b, 20, c.max_subscribers);
  Put64(&b, 24, c.max_payload);
  Put32(&b, 32, c.pool_slots);
  Put32(&b, 36, c.subscriber_buffer);
  Put32(&b, 40, c.history);
  Put32(&b, 44, c.max_held);
  Put32(&b, 48, static_cast<uint32_t>(c.overflow));
  Put32(&b, 52, single ? 0 : c.max_publishers);  // reserved (0) in format 1
  Put64(&b, 56, l.participants_offset);
  Put64(&b, 64, l.slots_offset);
  Put64(&b, 72, l.queues_offset);
  Put64(&b, 80, l.history_offset);
  Put64(&b, 88, l.payload_offset);
  Put64(&b, 96, l.total_size);
  Put32(&b, kChecksumOffset, shm::Crc32c(absl::string_view(b).substr(0, kChecksummedSize)));
  return b;
}

absl::StatusOr<ParsedHeader> ParseHeader(absl::string_view b, uint64_t object_size) {
  if (object_size < kHeaderSize || b.size() < kHeaderSize) {
    return CorruptError(absl::StrCat("object of ", object_size,
                                     " bytes is too small for a service header"));
  }
  if (b.substr(0, kMagic.size()) != kMagic) return CorruptError("not an ipckit service");
  const uint64_t version = Get(b, 8, 2);
  if (version == 0) return CorruptError("format version 0");
  if (version > kFormatVersion) {
    return UnsupportedVersionError(
        absl::StrCat("service format version ", version, "; this reader knows ", kFormatVersion));
  }
  if (Get(b, 10, 2) != kHeaderSize) return CorruptError("header_size is not 128");
  if (Get(b, kChecksumOffset, 4) != shm::Crc32c(b.substr(0, kChecksummedSize))) {
    return CorruptError("header checksum mismatch");
  }
  if (Get(b, 12, 4) != 0) return UnsupportedVersionError("unknown flags in service header");
  if (Get(b, 16, 4) != kPatternPublishSubscribe) {
    return UnsupportedVersionError(absl::StrCat("unknown messaging pattern ", Get(b, 16, 4)));
  }
  ParsedHeader out;
  out.state = static_cast<uint32_t>(Get(b, kStateOffset, 4));
  if (out.state > 1) return CorruptError(absl::StrCat("service state ", out.state));
  ServiceConfig& c = out.config;
  c.max_subscribers = static_cast<uint32_t>(Get(b, 20, 4));
  c.max_payload = Get(b, 24, 8);
  c.pool_slots = static_cast<uint32_t>(Get(b, 32, 4));
  c.subscriber_buffer = static_cast<uint32_t>(Get(b, 36, 4));
  c.history = static_cast<uint32_t>(Get(b, 40, 4));
  c.max_held = static_cast<uint32_t>(Get(b, 44, 4));
  const uint64_t overflow = Get(b, 48, 4);
  if (overflow > 1) return CorruptError(absl::StrCat("overflow policy ", overflow));
  c.overflow = static_cast<Overflow>(overflow);
  if (version == kSinglePublisherFormatVersion) {
    c.max_publishers = 1;
  } else {
    // One encoding per configuration: one publisher is written as format 1.
    c.max_publishers = static_cast<uint32_t>(Get(b, 52, 4));
    if (c.max_publishers < 2) {
      return CorruptError(absl::StrCat("format 2 service with max_publishers ", c.max_publishers));
    }
  }
  if (absl::Status s = CheckRanges(c); !s.ok()) {
    return CorruptError(absl::StrCat("service header: ", s.message()));
  }
  absl::StatusOr<Layout> want = ComputeLayout(c);
  if (!want.ok()) return CorruptError(absl::StrCat("service header: ", want.status().message()));
  out.layout = *want;
  const Layout& l = *want;
  if (Get(b, 56, 8) != l.participants_offset || Get(b, 64, 8) != l.slots_offset ||
      Get(b, 72, 8) != l.queues_offset || Get(b, 80, 8) != l.history_offset ||
      Get(b, 88, 8) != l.payload_offset || Get(b, 96, 8) != l.total_size) {
    return CorruptError("service header offsets disagree with its configuration");
  }
  if (l.total_size > object_size) {
    return CorruptError(absl::StrCat("service truncated: needs ", l.total_size, " bytes, object has ",
                                     object_size));
  }
  return out;
}

absl::Status CheckSameConfig(const ServiceConfig& want, const ServiceConfig& have) {
  auto differs = [](absl::string_view field, uint64_t w, uint64_t h) {
    return InvalidArgumentError(absl::StrCat("service exists with ", field, " ", h,
                                             ", asked for ", w));
  };
  if (want.max_publishers != have.max_publishers)
    return differs("max_publishers", want.max_publishers, have.max_publishers);
  if (want.max_subscribers != have.max_subscribers)
    return differs("max_subscribers", want.max_subscribers, have.max_subscribers);
  if (want.max_payload != have.max_payload)
    return differs("max_payload", want.max_payload, have.max_payload);
  if (want.pool_slots != have.pool_slots)
    return differs("pool_slots", want.pool_slots, have.pool_slots);
  if (want.subscriber_buffer != have.subscriber_buffer)
    return differs("subscriber_buffer", want.subscriber_buffer, have.subscriber_buffer);
  if (want.history != have.history) return differs("history", want.history, have.history);
  if (want.max_held != have.max_held) return differs("max_held", want.max_held, have.max_held);
  if (want.overflow != have.overflow)
    return differs("overflow", static_cast<uint32_t>(want.overflow),
                   static_cast<uint32_t>(have.overflow));
  return absl::OkStatus();
}

}  // namespace shm_msg
}  // namespace ipckit
