// A mapped messaging service: typed access to its records, membership (join,
// leave, removal with the last user) and reclaiming dead participants.
//
//   IPCKIT_ASSIGN_OR_RETURN(internal::Membership m,
//       internal::Segment::Join("jobs", config, internal::Role::kSubscriber, deadline));
//   internal::SlotRecord& slot = m.segment->slot(3);
//   ...
//   m.segment->Leave(m.entry);
//
// Records are laid out as spec/shm_messaging.md says; every field another
// process may touch concurrently is a std::atomic (lock-free, so its bytes are
// the plain little-endian integer the spec names).
#ifndef IPCKIT_CC_SHM_MSG_INTERNAL_SEGMENT_H_
#define IPCKIT_CC_SHM_MSG_INTERNAL_SEGMENT_H_

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "cc/base/deadline.h"
#include "cc/platform/shm/mapping.h"
#include "cc/platform/process/process.h"
#include "cc/platform/shm/shm_object.h"
#include "cc/shm_msg/service_layout.h"

namespace ipckit {
namespace shm_msg {
namespace internal {

// Slot control word: state in bits 62..63, reference bits below.
inline constexpr uint64_t kSlotFree = 0;
inline constexpr uint64_t kSlotLoaned = uint64_t{1} << 62;
inline constexpr uint64_t kSlotPublished = uint64_t{2} << 62;
inline constexpr uint64_t kSlotStateMask = uint64_t{3} << 62;
inline constexpr uint64_t kHistoryRef = uint64_t{1} << 32;
inline constexpr uint64_t kRefMask = (uint64_t{1} << 33) - 1;
inline uint64_t SubscriberRef(uint32_t i) { return uint64_t{1} << i; }
// Bits 48..55 name the publisher that loaned the slot (always 0 in format 1),
// so that reclaiming a publisher frees only its loans and an entry is matched
// to its sample by (publisher, seq).
inline constexpr int kOwnerShift = 48;
inline constexpr uint64_t kOwnerMask = uint64_t{0xff} << kOwnerShift;
inline uint64_t LoanedBy(uint32_t publisher) {
  return kSlotLoaned | (uint64_t{publisher} << kOwnerShift);
}
inline uint64_t PublishedBy(uint32_t publisher) {
  return kSlotPublished | (uint64_t{publisher} << kOwnerShift);
}
inline uint32_t OwnerOf(uint64_t control) {
  return static_cast<uint32_t>((control & kOwnerMask) >> kOwnerShift);
}

// Queue and history entries: (seq << 16) | slot.
inline uint64_t MakeEntry(uint64_t seq, uint32_t slot) { return (seq << 16) | slot; }
inline uint32_t EntrySlot(uint64_t entry) { return static_cast<uint32_t>(entry & 0xffff); }
inline uint64_t EntrySeq(uint64_t entry) { return entry >> 16; }

// Header closing_pid after the last leaver removed the name: never joinable.
inline constexpr uint32_t kClosingRemoved = 0xffffffff;

enum class ParticipantState : uint32_t { kJoining = 0, kActive = 1, kReclaiming = 2 };

struct ParticipantRecord {
  std::atomic<uint32_t> pid;
  std::atomic<uint32_t> state;
  std::atomic<uint32_t> pid_namespace;
  uint32_t reserved0;
  std::atomic<uint64_t> start_time;
  char reserved[40];
};
static_assert(sizeof(ParticipantRecord) == kParticipantSize, "spec: 64-byte participant entry");

struct SlotRecord {
  std::atomic<uint64_t> control;
  std::atomic<uint64_t> seq;
  std::atomic<uint64_t> length;
  uint64_t reserved;
};
static_assert(sizeof(SlotRecord) == kSlotRecordSize, "spec: 32-byte slot record");

struct QueueHeader {
  alignas(64) std::atomic<uint64_t> head;
  alignas(64) std::atomic<uint64_t> tail;
  alignas(64) std::atomic<uint32_t> data_word;
  std::atomic<uint32_t> data_sleepers;
  alignas(64) std::atomic<uint32_t> space_word;
  std::atomic<uint32_t> space_sleepers;
};
static_assert(sizeof(QueueHeader) == kQueueHeaderSize, "spec: 256-byte queue header");

struct HistoryHeader {
  std::atomic<uint64_t> count;     // samples ever added
  std::atomic<uint64_t> last_seq;  // the last seq any publisher sent
  char reserved[48];
};
static_assert(sizeof(HistoryHeader) == kHistoryHeaderSize, "spec: 64-byte history header");
static_assert(std::atomic<uint64_t>::is_always_lock_free, "shared atomics must be lock-free");

// Whether the process recorded in entry `p` (with `pid`, read by the caller)
// is alive, by shared_memory.md's rules.
platform::Liveness HolderLiveness(const ParticipantRecord& p, uint32_t pid);

enum class Role { kPublisher, kSubscriber };

class Segment;

// A participant's place in a service.
struct Membership {
  std::shared_ptr<Segment> segment;
  uint32_t entry = 0;  // p < max_publishers: publisher p; max_publishers + i: subscriber i
};

class Segment {
 public:
  // Opens or creates service `name` with the resolved `config`, and claims an
  // entry for `role` (state joining: the caller activates it). in_use when
  // the entry (or every subscriber entry) is held by a live participant.
  static absl::StatusOr<Membership> Join(absl::string_view name, const ServiceConfig& config,
                                         Role role, const Deadline& deadline);

  // For cleanup tools: opens the existing, ready service `name` without
  // joining, reclaims its provably dead participants and removes it if none
  // is left (spec: "Leaving" step 4). True if it was removed; false if a
  // participant is alive or cannot be judged, or it is still initializing.
  static absl::StatusOr<bool> RemoveIfAbandoned(absl::string_view name);

  Segment(const Segment&) = delete;
  Segment& operator=(const Segment&) = delete;

  const std::string& name() const { return name_; }
  const ServiceConfig& config() const { return config_; }
  const Layout& layout() const { return layout_; }

  ParticipantRecord& participant(uint32_t entry) const {
    return At<ParticipantRecord>(layout_.participants_offset + kParticipantSize * entry);
  }
  SlotRecord& slot(uint32_t s) const {
    return At<SlotRecord>(layout_.slots_offset + kSlotRecordSize * s);
  }
  // Participant entries: publishers first, then subscribers.
  uint32_t publishers() const { return config_.max_publishers; }
  uint32_t entries() const { return config_.max_publishers + config_.max_subscribers; }
  uint32_t subscriber_entry(uint32_t i) const { return config_.max_publishers + i; }
  bool is_publisher_entry(uint32_t entry) const { return entry < config_.max_publishers; }

  // The queue from publisher `p` to subscriber `i`.
  QueueHeader& queue(uint32_t p, uint32_t i) const { return At<QueueHeader>(QueueOffset(p, i)); }
  std::atomic<uint64_t>* queue_entries(uint32_t p, uint32_t i) const {
    return &At<std::atomic<uint64_t>>(QueueOffset(p, i) + kQueueHeaderSize);
  }
  // Subscriber i's wake-up word and sleeper count: those of its queue from
  // publisher 0, which every publisher bumps (spec: "Several publishers").
  QueueHeader& wake(uint32_t i) const { return queue(0, i); }
  HistoryHeader& history(uint32_t p) const { return At<HistoryHeader>(HistoryOffset(p)); }
  std::atomic<uint64_t>* history_entries(uint32_t p) const {
    return &At<std::atomic<uint64_t>>(HistoryOffset(p) + kHistoryHeaderSize);
  }
  char* payload(uint32_t s) const {
    return mapping_.data() + layout_.payload_offset + layout_.slot_stride * s;
  }

  // Marks a claimed entry active: from now on publishers send to it.
  void Activate(uint32_t entry) const;
  // Whether `entry` is held by a participant that has finished joining.
  bool IsActive(uint32_t entry) const;
  // Whether `entry` is held at all (joining, active or being reclaimed).
  bool IsHeld(uint32_t entry) const;
  // Whether any publisher entry is held.
  bool AnyPublisherHeld() const;
  // Whether a publisher entry is held by a process not provably dead (the
  // dead are reclaimed on the way).
  bool LivePublisher();

  // Releases what `entry` holds, frees it, reclaims the dead and removes the
  // service name if nobody is left (spec: "Leaving").
  void Leave(uint32_t entry);

  // Reclaims `entry` if its holder is provably dead. True if the entry is free
  // afterwards (it was free, or its dead holder was reclaimed).
  bool ReclaimIfDead(uint32_t entry);
  void ReclaimAllDead();

  // Clears reference `bit` on slot `s`; the last reference frees the slot.
  // False if the bit was not set.
  bool ReleaseRef(uint32_t s, uint64_t bit) const;

  // Whether slot `s` holds publisher `publisher`'s sample `seq` (stable only
  // while the caller holds a reference on it).
  bool Holds(uint32_t s, uint32_t publisher, uint64_t seq) const;

  enum class PinResult { kPinned, kAlreadyQueued, kGone };
  // Takes reference `bit` on slot `s` if it still holds publisher
  // `publisher`'s sample `seq`.
  PinResult Pin(uint32_t s, uint64_t bit, uint32_t publisher, uint64_t seq) const;

  // A free slot, now loaned to `publisher`, scanning from `start`; -1 if none
  // is free.
  int64_t TryLoanSlot(uint32_t start, uint32_t publisher) const;
  // A slot loaned to `publisher` goes back to free (a discarded loan).
  void ReturnLoan(uint32_t s, uint32_t publisher) const;

 private:
  Segment(std::string name, std::string object_name, platform::Mapping mapping,
          platform::ObjectId id, ServiceConfig config, Layout layout);

  // Opens or creates the object and maps it whole.
  static absl::StatusOr<std::shared_ptr<Segment>> OpenOrCreate(absl::string_view name,
                                                               const ServiceConfig& config,
                                                               const Layout& layout,
                                                               const Deadline& deadline);
  // Claims an entry for `role`; -1 if every candidate is held by the living.
  int64_t Claim(Role role);
  // Whether a leaver is removing the service (join step 5): the claimed
  // `entry` must then be given back and the join retried.
  bool BeingRemoved();
  // Releases what `entry` holds: loaned slots for the publisher, reference
  // bits and queue for a subscriber.
  void ReleaseHoldings(uint32_t entry) const;
  void FreeEntry(uint32_t entry) const;
  void RemoveIfLast();

  uint64_t QueueOffset(uint32_t p, uint32_t i) const {
    return layout_.queues_offset + layout_.queue_stride * (uint64_t{p} * config_.max_subscribers + i);
  }
  uint64_t HistoryOffset(uint32_t p) const {
    return layout_.history_offset + layout_.history_stride * p;
  }
  // Wakes every subscriber (a publisher left: they may report peer_closed).
  void WakeAllSubscribers() const;

  template <typename T>
  T& At(uint64_t offset) const {
    return *reinterpret_cast<T*>(mapping_.data() + offset);
  }
  std::atomic<uint32_t>& HeaderWord(size_t offset) const {
    return At<std::atomic<uint32_t>>(offset);
  }

  std::string name_;
  std::string object_name_;
  platform::Mapping mapping_;
  platform::ObjectId id_;
  ServiceConfig config_;
  Layout layout_;
  platform::ProcessIdentity me_;
};

}  // namespace internal
}  // namespace shm_msg
}  // namespace ipckit

#endif  // IPCKIT_CC_SHM_MSG_INTERNAL_SEGMENT_H_
