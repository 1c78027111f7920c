#include "cc/shm_msg/subscriber.h"

#include <algorithm>
#include <atomic>
#include <deque>
#include <optional>
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

struct SubscriberState {
  Membership member;
  WaitMode wait_mode = WaitMode::kBlocking;
  bool report_peer_closed = true;
  uint32_t index = 0;            // subscriber i: participant entry max_publishers + i
  uint32_t next_publisher = 0;   // whose queue Receive looks at first (round-robin)
  std::vector<WakeMemo> space_wakes;  // one per publisher's queue to us
  // Samples handed out and not yet released. Atomic: a binding may release a
  // sample on one thread while another thread waits in Receive.
  std::atomic<uint32_t> held{0};
  bool publisher_seen = false;   // a publisher was there at some point
  std::atomic<bool> closed{false};
  // History samples pinned at join, oldest first within each publisher.
  struct Pinned {
    uint32_t publisher;
    uint64_t seq;
    uint32_t slot;
  };
  std::deque<Pinned> pending;

  Segment& segment() const { return *member.segment; }
  uint64_t ref() const { return SubscriberRef(index); }
};

namespace {

// Pins publisher p's history samples with seq > `after` (spec: "History");
// returns the last seq pinned, or `after`.
uint64_t PinHistory(SubscriberState& state, uint32_t p, uint64_t after) {
  Segment& segment = state.segment();
  const uint32_t depth = segment.config().history;
  const uint64_t count = segment.history(p).count.load(std::memory_order_acquire);
  std::vector<std::pair<uint64_t, uint32_t>> pinned;
  for (uint64_t n = count > depth ? count - depth : 0; n < count; ++n) {
    const uint64_t entry = segment.history_entries(p)[n % depth].load(std::memory_order_acquire);
    const uint32_t slot = EntrySlot(entry);
    const uint64_t seq = EntrySeq(entry);
    if (seq <= after || slot >= segment.config().pool_slots) continue;
    if (segment.Pin(slot, state.ref(), p, seq) == Segment::PinResult::kPinned) {
      pinned.emplace_back(seq, slot);
    }
  }
  std::sort(pinned.begin(), pinned.end());
  for (const auto& [seq, slot] : pinned) state.pending.push_back({p, seq, slot});
  return pinned.empty() ? after : pinned.back().first;
}

}  // namespace
}  // namespace internal

namespace {

absl::Status CheckOpen(const internal::SubscriberState* state) {
  if (state == nullptr) return ClosedError("subscriber was moved from");
  if (state->closed) {
    return ClosedError(absl::StrCat("subscriber of service '", state->segment().name(),
                                    "' is closed"));
  }
  return absl::OkStatus();
}

}  // namespace

Sample::Sample(Sample&& other) noexcept
    : state_(std::move(other.state_)),
      slot_(other.slot_),
      seq_(other.seq_),
      publisher_(other.publisher_),
      data_(std::exchange(other.data_, nullptr)),
      length_(std::exchange(other.length_, 0)) {}

Sample& Sample::operator=(Sample&& other) noexcept {
  if (this != &other) {
    Release();
    state_ = std::move(other.state_);
    slot_ = other.slot_;
    seq_ = other.seq_;
    publisher_ = other.publisher_;
    data_ = std::exchange(other.data_, nullptr);
    length_ = std::exchange(other.length_, 0);
  }
  return *this;
}

bool Sample::valid() const { return state_ != nullptr && !state_->closed; }

void Sample::Release() {
  if (state_ == nullptr) return;
  // After Close every reference was released already, and entry i may belong
  // to another subscriber by now.
  if (!state_->closed) {
    state_->segment().ReleaseRef(slot_, state_->ref());
    --state_->held;
  }
  state_.reset();
  data_ = nullptr;
  length_ = 0;
}

absl::StatusOr<Subscriber> Subscriber::Create(absl::string_view name, const ServiceConfig& config,
                                              const SubscriberOptions& options) {
  IPCKIT_ASSIGN_OR_RETURN(internal::Membership member,
                          internal::Segment::Join(name, config, internal::Role::kSubscriber,
                                                  Deadline::After(options.open_timeout)));
  auto state = std::make_shared<internal::SubscriberState>();
  state->member = std::move(member);
  state->wait_mode = options.wait_mode;
  state->report_peer_closed = options.report_peer_closed;
  internal::Segment& segment = state->segment();
  state->index = state->member.entry - segment.publishers();
  const bool history = segment.config().history > 0;
  // Pin what is in the histories, then become visible to the publishers, then
  // pin what they added meanwhile: samples sent after activation come by queue.
  std::vector<uint64_t> pinned_up_to(segment.publishers(), 0);
  if (history) {
    for (uint32_t p = 0; p < segment.publishers(); ++p) {
      pinned_up_to[p] = internal::PinHistory(*state, p, 0);
    }
  }
  segment.Activate(state->member.entry);
  if (history) {
    for (uint32_t p = 0; p < segment.publishers(); ++p) {
      internal::PinHistory(*state, p, pinned_up_to[p]);
    }
  }
  state->publisher_seen = segment.AnyPublisherHeld();
  return Subscriber(std::move(state));
}

Subscriber& Subscriber::operator=(Subscriber&& other) noexcept {
  if (this != &other) {
    Close();
    state_ = std::move(other.state_);
  }
  return *this;
}

Subscriber::~Subscriber() { Close(); }

void Subscriber::Close() {
  if (state_ == nullptr || state_->closed) return;
  state_->closed = true;
  state_->pending.clear();
  state_->segment().Leave(state_->member.entry);
}

const ServiceConfig& Subscriber::config() const { return state_->segment().config(); }

uint32_t Subscriber::index() const { return state_->index; }

std::atomic<uint32_t>* Subscriber::data_word() const {
  if (CheckOpen(state_.get()).ok()) {
    return &state_->segment().wake(state_->index).data_word;
  }
  return nullptr;
}

std::atomic<uint32_t>* Subscriber::data_sleepers() const {
  if (CheckOpen(state_.get()).ok()) {
    return &state_->segment().wake(state_->index).data_sleepers;
  }
  return nullptr;
}

bool Subscriber::ReadyToReceive(bool check_publisher) {
  if (!CheckOpen(state_.get()).ok() || !state_->pending.empty()) return true;
  if (AnyQueued()) return true;
  return check_publisher && PublisherGone();
}

bool Subscriber::AnyQueued() const {
  const internal::Segment& segment = state_->segment();
  for (uint32_t p = 0; p < segment.publishers(); ++p) {
    if (!internal::Queue(segment, p, state_->index).Empty()) return true;
  }
  return false;
}

bool Subscriber::PublisherGone() {
  if (state_->segment().LivePublisher()) {
    state_->publisher_seen = true;
    return false;
  }
  return state_->publisher_seen;
}

absl::StatusOr<Sample> Subscriber::Deliver(uint32_t publisher, uint32_t slot, uint64_t seq) {
  internal::Segment& segment = state_->segment();
  const uint64_t length = segment.slot(slot).length.load(std::memory_order_acquire);
  if (length > segment.config().max_payload) {
    segment.ReleaseRef(slot, state_->ref());
    return CorruptError(absl::StrCat("service '", segment.name(), "': sample ", seq, " claims ",
                                     length, " bytes, over max_payload"));
  }
  ++state_->held;
  Sample sample;
  sample.state_ = state_;
  sample.slot_ = slot;
  sample.seq_ = seq;
  sample.publisher_ = publisher;
  sample.data_ = segment.payload(slot);
  sample.length_ = static_cast<size_t>(length);
  return sample;
}

absl::StatusOr<Sample> Subscriber::Receive(absl::Duration timeout) {
  IPCKIT_RETURN_IF_ERROR(CheckOpen(state_.get()));
  internal::Segment& segment = state_->segment();
  const ServiceConfig& config = segment.config();
  if (state_->held >= config.max_held) {
    return InUseError(absl::StrCat("service '", segment.name(), "': already holding ",
                                   state_->held.load(), " samples (max_held); release one first"));
  }
  if (!state_->pending.empty()) {
    const internal::SubscriberState::Pinned pinned = state_->pending.front();
    state_->pending.pop_front();
    return Deliver(pinned.publisher, pinned.slot, pinned.seq);
  }
  // A few loads: remember that a publisher was here, for peer_closed later.
  if (segment.AnyPublisherHeld()) state_->publisher_seen = true;
  // Read the clock only once the queues are found empty: the fast path has no
  // system call and no clock read.
  std::optional<Deadline> deadline;
  const uint32_t publishers = segment.publishers();
  const bool notify_space = config.overflow == Overflow::kBlock;
  state_->space_wakes.resize(publishers);
  internal::QueueHeader& wake = segment.wake(state_->index);
  while (true) {
    // Round-robin over the publishers' queues, so that none starves another.
    std::optional<uint64_t> entry;
    uint32_t from = 0;
    for (uint32_t k = 0; k < publishers && !entry; ++k) {
      from = (state_->next_publisher + k) % publishers;
      entry = internal::Queue(segment, from, state_->index).Take(notify_space, &state_->space_wakes[from]);
    }
    if (entry) {
      state_->next_publisher = (from + 1) % publishers;
      const uint32_t slot = internal::EntrySlot(*entry);
      const uint64_t seq = internal::EntrySeq(*entry);
      if (slot >= config.pool_slots) {
        return CorruptError(absl::StrCat("service '", segment.name(), "': queue entry names slot ",
                                         slot, " of ", config.pool_slots));
      }
      // Our reference first: while it is set the slot keeps its seq.
      if ((segment.slot(slot).control.load(std::memory_order_acquire) & state_->ref()) == 0 ||
          !segment.Holds(slot, from, seq)) {
        continue;  // stale: its reference was reclaimed
      }
      state_->publisher_seen = true;  // a publisher sent it
      return Deliver(from, slot, seq);
    }
    if (!deadline) deadline = Deadline::After(timeout);
    absl::Status waited = internal::WaitUntil(
        state_->wait_mode, &wake.data_word, &wake.data_sleepers, *deadline,
        [&] { return AnyQueued(); }, [&] { return PublisherGone(); });
    if (AnyQueued()) continue;
    if (state_->report_peer_closed && PublisherGone()) {
      return PeerClosedError(absl::StrCat("service '", segment.name(), "': every publisher has gone"));
    }
    if (!waited.ok()) {
      return MakeError(waited.code(), ErrorClassOf(waited),
                       absl::StrCat("service '", segment.name(), "': no sample within the timeout"));
    }
  }
}

}  // namespace shm_msg
}  // namespace ipckit
