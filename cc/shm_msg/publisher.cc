#include "cc/shm_msg/publisher.h"

#include <cstring>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "cc/base/deadline.h"
#include "cc/base/error.h"
#include "cc/base/status_macros.h"
#include "cc/shm_msg/internal/queue.h"
#include "cc/shm_msg/internal/segment.h"
#include "cc/shm_msg/internal/wait.h"

namespace ipckit {
namespace shm_msg {
namespace internal {

struct PublisherState {
  Membership member;
  WaitMode wait_mode = WaitMode::kBlocking;
  // Slots are loaned round-robin from here. Not the last sent slot again once
  // it is free: a subscriber on another core has just read it, and writing
  // lines shared with that core made the next 1 MiB loan fill about twice as
  // slow as filling a slot gone cold (Python ping-pong, processes pinned apart).
  uint32_t next_loan = 0;
  bool closed = false;
  std::vector<WakeMemo> data_wakes;  // one per subscriber's wake word

  Segment& segment() const { return *member.segment; }
  // Publisher p holds participant entry p.
  uint32_t index() const { return member.entry; }
};

}  // namespace internal

namespace {

// OK while `state` (null after a move) is open.
absl::Status CheckOpen(const internal::PublisherState* state) {
  if (state == nullptr) return ClosedError("publisher was moved from");
  if (state->closed) {
    return ClosedError(absl::StrCat("publisher of service '", state->segment().name(), "' is closed"));
  }
  return absl::OkStatus();
}

}  // namespace

LoanedSample::LoanedSample(LoanedSample&& other) noexcept
    : state_(std::move(other.state_)),
      slot_(other.slot_),
      data_(std::exchange(other.data_, nullptr)),
      length_(std::exchange(other.length_, 0)) {}

LoanedSample& LoanedSample::operator=(LoanedSample&& other) noexcept {
  if (this != &other) {
    this->~LoanedSample();
    new (this) LoanedSample(std::move(other));
  }
  return *this;
}

LoanedSample::~LoanedSample() {
  // After Close the publisher has given every loan back already, and the slot
  // may belong to a newer publisher's loan by now.
  if (state_ != nullptr && !state_->closed) state_->segment().ReturnLoan(slot_, state_->index());
  state_.reset();
}

bool LoanedSample::valid() const { return state_ != nullptr && !state_->closed; }

absl::Status LoanedSample::Resize(size_t length) {
  if (state_ == nullptr) return InvalidArgumentError("resizing an empty loan");
  const uint64_t max = state_->segment().config().max_payload;
  if (length > max) {
    return TooLargeError(absl::StrCat("payload of ", length, " bytes; service '",
                                      state_->segment().name(), "' allows at most ", max));
  }
  length_ = length;
  return absl::OkStatus();
}

absl::StatusOr<Publisher> Publisher::Create(absl::string_view name, const ServiceConfig& config,
                                            const PublisherOptions& options) {
  IPCKIT_ASSIGN_OR_RETURN(internal::Membership member,
                          internal::Segment::Join(name, config, internal::Role::kPublisher,
                                                  Deadline::After(options.open_timeout)));
  member.segment->Activate(member.entry);
  auto state = std::make_shared<internal::PublisherState>();
  state->member = std::move(member);
  state->wait_mode = options.wait_mode;
  // Publishers start loaning at different places in the pool.
  const internal::Segment& segment = state->segment();
  state->next_loan = static_cast<uint32_t>(uint64_t{segment.config().pool_slots} *
                                           state->index() / segment.publishers());
  return Publisher(std::move(state));
}

Publisher& Publisher::operator=(Publisher&& other) noexcept {
  if (this != &other) {
    Close();
    state_ = std::move(other.state_);
  }
  return *this;
}

Publisher::~Publisher() { Close(); }

void Publisher::Close() {
  if (state_ == nullptr || state_->closed) return;
  state_->closed = true;
  state_->segment().Leave(state_->member.entry);
}

const ServiceConfig& Publisher::config() const { return state_->segment().config(); }

size_t Publisher::subscriber_count() const {
  size_t n = 0;
  const internal::Segment& segment = state_->segment();
  for (uint32_t i = 0; i < config().max_subscribers; ++i) {
    n += segment.IsActive(segment.subscriber_entry(i));
  }
  return n;
}

absl::StatusOr<LoanedSample> Publisher::Loan(size_t length) {
  IPCKIT_RETURN_IF_ERROR(CheckOpen(state_.get()));
  internal::Segment& segment = state_->segment();
  const uint64_t max = segment.config().max_payload;
  if (length > max) {
    return TooLargeError(absl::StrCat("payload of ", length, " bytes; service '", segment.name(),
                                      "' allows at most ", max));
  }
  int64_t slot = segment.TryLoanSlot(state_->next_loan, state_->index());
  if (slot < 0) {
    segment.ReclaimAllDead();
    slot = segment.TryLoanSlot(state_->next_loan, state_->index());
  }
  if (slot < 0) {
    return InUseError(absl::StrCat("service '", segment.name(), "': all ",
                                   segment.config().pool_slots,
                                   " samples are loaned or held; release some first"));
  }
  state_->next_loan = static_cast<uint32_t>(slot + 1) % segment.config().pool_slots;
  LoanedSample loan;
  loan.state_ = state_;
  loan.slot_ = static_cast<uint32_t>(slot);
  loan.data_ = segment.payload(loan.slot_);
  loan.length_ = length;
  return loan;
}

absl::Status Publisher::Send(LoanedSample& sample, absl::Duration timeout) {
  return SendImpl(sample, std::nullopt, timeout);
}

absl::Status Publisher::SendTo(LoanedSample& sample, uint32_t subscriber, absl::Duration timeout) {
  return SendImpl(sample, subscriber, timeout);
}

std::vector<PeerEntry> Publisher::ActiveSubscribers() const {
  std::vector<PeerEntry> out;
  if (!CheckOpen(state_.get()).ok()) return out;
  const internal::Segment& segment = state_->segment();
  for (uint32_t i = 0; i < segment.config().max_subscribers; ++i) {
    const uint32_t e = segment.subscriber_entry(i);
    const uint32_t pid = segment.participant(e).pid.load(std::memory_order_acquire);
    if (pid != 0 && segment.IsActive(e)) out.push_back({i, pid});
  }
  return out;
}

bool Publisher::StillThere(const PeerEntry& peer) {
  if (!CheckOpen(state_.get()).ok()) return false;
  internal::Segment& segment = state_->segment();
  if (peer.index >= segment.config().max_subscribers) return false;
  const uint32_t e = segment.subscriber_entry(peer.index);
  if (segment.participant(e).pid.load(std::memory_order_acquire) != peer.pid) return false;
  return !segment.ReclaimIfDead(e);
}

absl::Status Publisher::SendImpl(LoanedSample& sample, std::optional<uint32_t> target,
                                 absl::Duration timeout) {
  IPCKIT_RETURN_IF_ERROR(CheckOpen(state_.get()));
  if (sample.state_ != state_) return InvalidArgumentError("sample was not loaned by this publisher");
  internal::Segment& segment = state_->segment();
  const ServiceConfig& config = segment.config();
  uint64_t refs = 0;
  for (uint32_t i = 0; i < config.max_subscribers; ++i) {
    if (target && *target != i) continue;
    if (segment.IsActive(segment.subscriber_entry(i))) refs |= internal::SubscriberRef(i);
  }
  if (target && refs == 0) {
    return PeerClosedError(absl::StrCat("service '", segment.name(), "': subscriber ", *target,
                                        " has gone"));
  }
  if (config.overflow == Overflow::kBlock) {
    const Deadline deadline = Deadline::After(timeout);
    for (uint32_t i = 0; i < config.max_subscribers; ++i) {
      if ((refs & internal::SubscriberRef(i)) == 0) continue;
      internal::Queue queue(segment, state_->index(), i);
      auto gone = [&] { return !segment.IsActive(segment.subscriber_entry(i)); };
      absl::Status waited = internal::WaitUntil(
          state_->wait_mode, &queue.header().space_word, &queue.header().space_sleepers, deadline,
          [&] { return !queue.Full() || gone(); },
          [&] { return segment.ReclaimIfDead(segment.subscriber_entry(i)); });
      if (!waited.ok()) {
        return MakeError(waited.code(), ErrorClassOf(waited),
                         absl::StrCat("service '", segment.name(), "': subscriber ", i,
                                      "'s queue stayed full: ", waited.message()));
      }
      if (gone()) refs &= ~internal::SubscriberRef(i);
    }
  }
  if (target && refs == 0) {
    return PeerClosedError(absl::StrCat("service '", segment.name(), "': subscriber ", *target,
                                        " left while the send waited"));
  }
  const bool to_history = config.history > 0 && !target;
  if (to_history) refs |= internal::kHistoryRef;

  internal::HistoryHeader& history = segment.history(state_->index());
  const uint64_t seq = history.last_seq.load(std::memory_order_acquire) + 1;
  history.last_seq.store(seq, std::memory_order_release);
  internal::SlotRecord& record = segment.slot(sample.slot_);
  record.seq.store(seq, std::memory_order_relaxed);
  record.length.store(sample.length_, std::memory_order_relaxed);
  const uint32_t slot = sample.slot_;
  sample.state_.reset();
  sample.data_ = nullptr;
  if (refs == 0) {
    record.control.store(internal::kSlotFree, std::memory_order_release);
    return absl::OkStatus();
  }
  record.control.store(internal::PublishedBy(state_->index()) | refs, std::memory_order_release);

  const uint64_t entry = internal::MakeEntry(seq, slot);
  state_->data_wakes.resize(config.max_subscribers);
  for (uint32_t i = 0; i < config.max_subscribers; ++i) {
    if ((refs & internal::SubscriberRef(i)) == 0) continue;
    internal::Queue queue(segment, state_->index(), i);
    while (queue.Full()) {
      std::optional<uint64_t> dropped = queue.DropOldest();
      if (!dropped) break;
      const uint32_t old = internal::EntrySlot(*dropped);
      if (old < config.pool_slots &&
          segment.Holds(old, state_->index(), internal::EntrySeq(*dropped))) {
        segment.ReleaseRef(old, internal::SubscriberRef(i));
      }
    }
    queue.Push(entry, &state_->data_wakes[i]);
  }
  if (to_history) {
    const uint64_t n = history.count.load(std::memory_order_relaxed);
    const uint64_t evicted =
        segment.history_entries(state_->index())[n % config.history].exchange(entry, std::memory_order_acq_rel);
    history.count.store(n + 1, std::memory_order_release);
    if (n >= config.history) {
      const uint32_t old = internal::EntrySlot(evicted);
      if (old < config.pool_slots &&
          segment.Holds(old, state_->index(), internal::EntrySeq(evicted))) {
        segment.ReleaseRef(old, internal::kHistoryRef);
      }
    }
  }
  return absl::OkStatus();
}

absl::Status Publisher::SendCopy(absl::string_view bytes, absl::Duration timeout) {
  IPCKIT_ASSIGN_OR_RETURN(LoanedSample loan, Loan(bytes.size()));
  if (!bytes.empty()) std::memcpy(loan.data().data(), bytes.data(), bytes.size());
  return Send(loan, timeout);
}

}  // namespace shm_msg
}  // namespace ipckit
