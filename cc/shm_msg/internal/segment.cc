#include "cc/shm_msg/internal/segment.h"

#include <algorithm>
#include <cstring>
#include <utility>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "cc/base/error.h"
#include "cc/base/name.h"
#include "cc/base/status_macros.h"
#include "cc/shm_msg/internal/wait.h"

namespace ipckit {
namespace shm_msg {
namespace internal {
namespace {

using platform::Mapping;
using platform::ShmAccess;

absl::Status InService(absl::string_view name, const absl::Status& status) {
  if (status.ok()) return status;
  return MakeError(status.code(), ErrorClassOf(status),
                   absl::StrCat("service '", name, "': ", status.message()));
}

// Backoff while another process creates or removes the service.
void Backoff(int* round, const Deadline& deadline) {
  const absl::Duration step = std::min(absl::Microseconds(100) * (1 << std::min(*round, 6)),
                                       absl::Milliseconds(5));
  ++*round;
  absl::SleepFor(std::min(step, deadline.Remaining()));
}

}  // namespace

platform::Liveness HolderLiveness(const ParticipantRecord& p, uint32_t pid) {
  platform::ProcessIdentity holder;
  holder.pid = pid;
  holder.pid_namespace = p.pid_namespace.load(std::memory_order_acquire);
  holder.start_time = p.start_time.load(std::memory_order_acquire);
  return platform::CheckLiveness(holder);
}

Segment::Segment(std::string name, std::string object_name, Mapping mapping,
                 platform::ObjectId id, ServiceConfig config, Layout layout)
    : name_(std::move(name)),
      object_name_(std::move(object_name)),
      mapping_(std::move(mapping)),
      id_(id),
      config_(config),
      layout_(layout),
      me_(platform::CurrentProcess()) {}

absl::StatusOr<std::shared_ptr<Segment>> Segment::OpenOrCreate(absl::string_view name,
                                                               const ServiceConfig& config,
                                                               const Layout& layout,
                                                               const Deadline& deadline) {
  const std::string object_name = absl::StrCat("/ipckit_msg.", name);
  int round = 0;
  while (true) {
    absl::StatusOr<platform::ShmObject> created =
        platform::ShmCreateExclusive(object_name, 0600, layout.total_size);
    if (created.ok()) {
      auto undo = [&](const absl::Status& s) {
        (void)platform::ShmUnlink(object_name);
        return InService(name, s);
      };
      if (absl::Status s = platform::ResizeObject(*created, layout.total_size); !s.ok()) {
        return undo(s);
      }
      absl::StatusOr<platform::ObjectInfo> info = platform::StatObject(*created);
      if (!info.ok()) return undo(info.status());
      absl::StatusOr<Mapping> map =
          Mapping::Map(*created, layout.total_size, ShmAccess::kReadWrite);
      if (!map.ok()) return undo(map.status());
      const std::string header = BuildHeader(config, layout);
      std::memcpy(map->data(), header.data(), kHeaderSize);
      auto* state = reinterpret_cast<std::atomic<uint32_t>*>(map->data() + kStateOffset);
      state->store(1, std::memory_order_release);
      return std::shared_ptr<Segment>(new Segment(std::string(name), object_name, std::move(*map),
                                                  info->id, config, layout));
    }
    if (ErrorClassOf(created.status()) != kErrInUse) return InService(name, created.status());

    absl::StatusOr<platform::ShmObject> fd = platform::ShmOpen(object_name, ShmAccess::kReadWrite);
    if (!fd.ok() && ErrorClassOf(fd.status()) != kErrNotFound) {
      return InService(name, fd.status());
    }
    if (fd.ok()) {
      IPCKIT_ASSIGN_OR_RETURN(platform::ObjectInfo info, platform::StatObject(*fd));
      // Sized 0, or sized with the header not yet written or not yet ready:
      // being created, so wait below.
      if (info.size >= kHeaderSize) {
        IPCKIT_ASSIGN_OR_RETURN(Mapping head, Mapping::Map(*fd, kHeaderSize,
                                                            ShmAccess::kReadOnly));
        const uint32_t state = reinterpret_cast<std::atomic<uint32_t>*>(head.data() + kStateOffset)
                                   ->load(std::memory_order_acquire);
        const std::string bytes(head.data(), kHeaderSize);
        const bool blank = bytes.substr(0, kMagic.size()).find_first_not_of('\0') ==
                           std::string::npos;
        if (!blank) {
          absl::StatusOr<ParsedHeader> parsed = ParseHeader(bytes, info.size);
          if (!parsed.ok()) return InService(name, parsed.status());
          if (state == 1) {
            IPCKIT_RETURN_IF_ERROR(InService(name, CheckSameConfig(config, parsed->config)));
            IPCKIT_ASSIGN_OR_RETURN(Mapping whole, Mapping::Map(*fd, layout.total_size,
                                                                ShmAccess::kReadWrite));
            return std::shared_ptr<Segment>(new Segment(std::string(name), object_name,
                                                        std::move(whole), info.id, config,
                                                        layout));
          }
        }
      } else if (info.size > 0) {
        return InService(name, CorruptError(absl::StrCat("object of ", info.size,
                                                         " bytes is too small for a service")));
      }
    }
    // Missing (removed between our two calls) or being created: try again.
    if (deadline.Expired()) {
      return InService(name, TimeoutError("still being created or removed at the deadline"));
    }
    Backoff(&round, deadline);
  }
}

absl::StatusOr<bool> Segment::RemoveIfAbandoned(absl::string_view name) {
  const std::string object_name = absl::StrCat("/ipckit_msg.", name);
  IPCKIT_ASSIGN_OR_RETURN(platform::ShmObject fd,
                          platform::ShmOpen(object_name, ShmAccess::kReadWrite));
  IPCKIT_ASSIGN_OR_RETURN(platform::ObjectInfo info, platform::StatObject(fd));
  if (info.size < kHeaderSize) return InService(name, CorruptError("shorter than its header"));
  IPCKIT_ASSIGN_OR_RETURN(Mapping head, Mapping::Map(fd, kHeaderSize, ShmAccess::kReadOnly));
  absl::StatusOr<ParsedHeader> parsed = ParseHeader(std::string(head.data(), kHeaderSize), info.size);
  if (!parsed.ok()) return InService(name, parsed.status());
  if (parsed->state != 1) return false;  // format 1 records no creator to judge
  IPCKIT_ASSIGN_OR_RETURN(Mapping whole, Mapping::Map(fd, parsed->layout.total_size,
                                                      ShmAccess::kReadWrite));
  Segment segment(std::string(name), object_name, std::move(whole), info.id, parsed->config,
                  parsed->layout);
  segment.ReclaimAllDead();
  segment.RemoveIfLast();
  return segment.HeaderWord(kClosingPidOffset).load(std::memory_order_seq_cst) == kClosingRemoved;
}

absl::StatusOr<Membership> Segment::Join(absl::string_view name, const ServiceConfig& requested,
                                         Role role, const Deadline& deadline) {
  IPCKIT_RETURN_IF_ERROR(ValidateName(name));
  IPCKIT_ASSIGN_OR_RETURN(ServiceConfig config, ResolveConfig(requested));
  absl::StatusOr<Layout> layout = ComputeLayout(config);
  if (!layout.ok()) return InService(name, layout.status());
  if (layout->total_size > platform::ShmBytesAvailable()) {
    return InService(name, TooLargeError(absl::StrCat("needs ", layout->total_size,
                                                      " bytes, more than /dev/shm has free")));
  }
  int round = 0;
  while (true) {
    IPCKIT_ASSIGN_OR_RETURN(std::shared_ptr<Segment> segment,
                            OpenOrCreate(name, config, *layout, deadline));
    const int64_t entry = segment->Claim(role);
    if (entry < 0) {
      return InService(name, InUseError(role == Role::kPublisher
                                            ? absl::StrCat("already has ", config.max_publishers,
                                                           " live publisher(s), the most it allows")
                                            : absl::StrCat("already has ", config.max_subscribers,
                                                           " subscribers, the most it allows")));
    }
    if (!segment->BeingRemoved()) return Membership{std::move(segment), static_cast<uint32_t>(entry)};
    segment->FreeEntry(static_cast<uint32_t>(entry));
    if (deadline.Expired()) return InService(name, TimeoutError("being removed at the deadline"));
    Backoff(&round, deadline);
  }
}

int64_t Segment::Claim(Role role) {
  const uint32_t first = role == Role::kPublisher ? 0 : publishers();
  const uint32_t end = role == Role::kPublisher ? publishers() : entries();
  for (int pass = 0; pass < 2; ++pass) {
    for (uint32_t e = first; e < end; ++e) {
      ParticipantRecord& p = participant(e);
      uint32_t expected = 0;
      if (p.pid.compare_exchange_strong(expected, me_.pid, std::memory_order_seq_cst)) {
        p.pid_namespace.store(me_.pid_namespace, std::memory_order_release);
        p.start_time.store(me_.start_time, std::memory_order_release);
        if (!is_publisher_entry(e)) {
          // Entries left by an earlier holder start empty.
          for (uint32_t pub = 0; pub < publishers(); ++pub) {
            QueueHeader& q = queue(pub, e - publishers());
            q.head.store(q.tail.load(std::memory_order_acquire), std::memory_order_release);
          }
        }
        return e;
      }
    }
    ReclaimAllDead();
  }
  return -1;
}

bool Segment::BeingRemoved() {
  std::atomic<uint32_t>& closing = HeaderWord(kClosingPidOffset);
  uint32_t pid = closing.load(std::memory_order_seq_cst);
  if (pid == 0) return false;
  if (pid == kClosingRemoved) return true;
  platform::ProcessIdentity closer;
  closer.pid = pid;
  closer.start_time = At<std::atomic<uint64_t>>(kClosingStartTimeOffset).load();
  if (platform::CheckLiveness(closer) != platform::Liveness::kDead) return true;
  // The leaver died before it finished: the name is still ours to use.
  closing.compare_exchange_strong(pid, 0, std::memory_order_seq_cst);
  return false;
}

void Segment::Activate(uint32_t entry) const {
  participant(entry).state.store(static_cast<uint32_t>(ParticipantState::kActive),
                                 std::memory_order_seq_cst);
}

bool Segment::IsActive(uint32_t entry) const {
  const ParticipantRecord& p = participant(entry);
  return p.pid.load(std::memory_order_acquire) != 0 &&
         p.state.load(std::memory_order_acquire) ==
             static_cast<uint32_t>(ParticipantState::kActive);
}

bool Segment::IsHeld(uint32_t entry) const {
  return participant(entry).pid.load(std::memory_order_acquire) != 0;
}

bool Segment::AnyPublisherHeld() const {
  for (uint32_t p = 0; p < publishers(); ++p) {
    if (IsHeld(p)) return true;
  }
  return false;
}

bool Segment::LivePublisher() {
  for (uint32_t p = 0; p < publishers(); ++p) {
    if (IsHeld(p) && !ReclaimIfDead(p)) return true;
  }
  return false;
}

void Segment::WakeAllSubscribers() const {
  for (uint32_t i = 0; i < config_.max_subscribers; ++i) {
    Notify(&wake(i).data_word, &wake(i).data_sleepers);
  }
}

void Segment::ReleaseHoldings(uint32_t entry) const {
  if (is_publisher_entry(entry)) {
    for (uint32_t s = 0; s < config_.pool_slots; ++s) ReturnLoan(s, entry);
    return;
  }
  const uint32_t i = entry - publishers();
  for (uint32_t s = 0; s < config_.pool_slots; ++s) ReleaseRef(s, SubscriberRef(i));
  for (uint32_t pub = 0; pub < publishers(); ++pub) {
    QueueHeader& q = queue(pub, i);
    uint64_t head = q.head.load(std::memory_order_acquire);
    uint64_t tail = q.tail.load(std::memory_order_acquire);
    while (head < tail && !q.head.compare_exchange_weak(head, tail, std::memory_order_acq_rel)) {
      tail = q.tail.load(std::memory_order_acquire);
    }
    // A publisher blocked on this queue re-examines it.
    Notify(&q.space_word, &q.space_sleepers);
  }
}

void Segment::FreeEntry(uint32_t entry) const {
  ParticipantRecord& p = participant(entry);
  p.start_time.store(0, std::memory_order_relaxed);
  p.pid_namespace.store(0, std::memory_order_relaxed);
  p.state.store(static_cast<uint32_t>(ParticipantState::kJoining), std::memory_order_relaxed);
  p.pid.store(0, std::memory_order_seq_cst);
}

bool Segment::ReclaimIfDead(uint32_t entry) {
  ParticipantRecord& p = participant(entry);
  const uint32_t pid = p.pid.load(std::memory_order_acquire);
  if (pid == 0) return true;
  if (HolderLiveness(p, pid) != platform::Liveness::kDead) return false;
  uint32_t state = p.state.load(std::memory_order_acquire);
  if (state == static_cast<uint32_t>(ParticipantState::kReclaiming) ||
      !p.state.compare_exchange_strong(state,
                                       static_cast<uint32_t>(ParticipantState::kReclaiming),
                                       std::memory_order_acq_rel)) {
    return false;  // another participant is reclaiming it
  }
  ReleaseHoldings(entry);
  FreeEntry(entry);
  // Subscribers asleep on their queues learn that a publisher is gone.
  if (is_publisher_entry(entry)) WakeAllSubscribers();
  return true;
}

void Segment::ReclaimAllDead() {
  for (uint32_t e = 0; e < entries(); ++e) ReclaimIfDead(e);
}

void Segment::Leave(uint32_t entry) {
  ReleaseHoldings(entry);
  FreeEntry(entry);
  if (is_publisher_entry(entry)) WakeAllSubscribers();
  ReclaimAllDead();
  RemoveIfLast();
}

void Segment::RemoveIfLast() {
  std::atomic<uint32_t>& closing = HeaderWord(kClosingPidOffset);
  uint32_t expected = 0;
  if (!closing.compare_exchange_strong(expected, me_.pid, std::memory_order_seq_cst)) return;
  At<std::atomic<uint64_t>>(kClosingStartTimeOffset).store(me_.start_time);
  for (uint32_t e = 0; e < entries(); ++e) {
    if (participant(e).pid.load(std::memory_order_seq_cst) != 0) {
      closing.store(0, std::memory_order_seq_cst);
      return;
    }
  }
  (void)platform::ShmUnlinkIfSame(object_name_, id_);
  closing.store(kClosingRemoved, std::memory_order_seq_cst);
}

bool Segment::ReleaseRef(uint32_t s, uint64_t bit) const {
  std::atomic<uint64_t>& control = slot(s).control;
  uint64_t w = control.load(std::memory_order_acquire);
  while (true) {
    if ((w & bit) == 0) return false;
    uint64_t next = w & ~bit;
    if ((next & kRefMask) == 0 && (next & kSlotStateMask) == kSlotPublished) next = kSlotFree;
    if (control.compare_exchange_weak(w, next, std::memory_order_acq_rel)) return true;
  }
}

bool Segment::Holds(uint32_t s, uint32_t publisher, uint64_t seq) const {
  const SlotRecord& record = slot(s);
  return OwnerOf(record.control.load(std::memory_order_acquire)) == publisher &&
         record.seq.load(std::memory_order_acquire) == seq;
}

Segment::PinResult Segment::Pin(uint32_t s, uint64_t bit, uint32_t publisher,
                                uint64_t seq) const {
  SlotRecord& record = slot(s);
  uint64_t w = record.control.load(std::memory_order_acquire);
  while (true) {
    if ((w & kSlotStateMask) != kSlotPublished || (w & kRefMask) == 0) return PinResult::kGone;
    if ((w & bit) != 0) return PinResult::kAlreadyQueued;
    if (record.control.compare_exchange_weak(w, w | bit, std::memory_order_acq_rel)) break;
  }
  // While our bit is set the slot cannot be freed, so its owner and seq are
  // stable.
  if (Holds(s, publisher, seq)) return PinResult::kPinned;
  ReleaseRef(s, bit);
  return PinResult::kGone;
}

int64_t Segment::TryLoanSlot(uint32_t start, uint32_t publisher) const {
  for (uint32_t k = 0; k < config_.pool_slots; ++k) {
    const uint32_t s = (start + k) % config_.pool_slots;
    uint64_t expected = kSlotFree;
    if (slot(s).control.compare_exchange_strong(expected, LoanedBy(publisher),
                                                std::memory_order_acq_rel)) {
      return s;
    }
  }
  return -1;
}

void Segment::ReturnLoan(uint32_t s, uint32_t publisher) const {
  uint64_t expected = LoanedBy(publisher);
  slot(s).control.compare_exchange_strong(expected, kSlotFree, std::memory_order_acq_rel);
}

}  // namespace internal
}  // namespace shm_msg
}  // namespace ipckit
