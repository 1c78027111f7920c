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
  uint32_t index = 0;            // subscriber i: participant entry 1 + i
  // Samples handed out and not yet released. Atomic: a binding may release a
  // sample on one thread while another thread waits in Receive.
  std::atomic<uint32_t> held{0};
  bool publisher_seen = false;   // a publisher was there at some point
  std::atomic<bool> closed{false};
  // History samples pinned at join, (seq, slot), oldest first.
  std::deque<std::pair<uint64_t, uint32_t>> pending;

  Segment& segment() const { return *member.segment; }
  uint64_t ref() const { return SubscriberRef(index); }
};

namespace {

// Pins the history samples with seq > `after` (spec: "History").
void PinHistory(SubscriberState& state, uint64_t after) {
  Segment& segment = state.segment();
  const uint32_t depth = segment.config().history;
  const uint64_t count = segment.history().count.load(std::memory_order_acquire);
  std::vector<std::pair<uint64_t, uint32_t>> pinned;
  for (uint64_t n = count > depth ? count - depth : 0; n < count; ++n) {
    const uint64_t entry = segment.history_entries()[n % depth].load(std::memory_order_acquire);
    const uint32_t slot = EntrySlot(entry);
    const uint64_t seq = EntrySeq(entry);
    if (seq <= after || slot >= segment.config().pool_slots) continue;
    if (segment.Pin(slot, state.ref(), seq) == Segment::PinResult::kPinned) {
      pinned.emplace_back(seq, slot);
    }
  }
  std::sort(pinned.begin(), pinned.end());
  state.pending.insert(state.pending.end(), pinned.begin(), pinned.end());
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
      data_(std::exchange(other.data_, nullptr)),
      length_(std::exchange(other.length_, 0)) {}

Sample& Sample::operator=(Sample&& other) noexcept {
  if (this != &other) {
    Release();
    state_ = std::move(other.state_);
    slot_ = other.slot_;
    seq_ = other.seq_;
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
  state->index = state->member.entry - 1;
  internal::Segment& segment = state->segment();
  const bool history = segment.config().history > 0;
  // Pin what is in the history, then become visible to the publisher, then
  // pin what it added meanwhile: samples sent after activation come by queue.
  if (history) internal::PinHistory(*state, 0);
  segment.Activate(state->member.entry);
  if (history) {
    internal::PinHistory(*state, state->pending.empty() ? 0 : state->pending.back().first);
  }
  state->publisher_seen = segment.IsHeld(0);
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

std::atomic<uint32_t>* Subscriber::data_word() const {
  if (CheckOpen(state_.get()).ok()) {
    return &internal::Queue(state_->segment(), state_->index).header().data_word;
  }
  return nullptr;
}

std::atomic<uint32_t>* Subscriber::data_sleepers() const {
  if (CheckOpen(state_.get()).ok()) {
    return &internal::Queue(state_->segment(), state_->index).header().data_sleepers;
  }
  return nullptr;
}

bool Subscriber::ReadyToReceive(bool check_publisher) {
  if (!CheckOpen(state_.get()).ok() || !state_->pending.empty()) return true;
  if (!internal::Queue(state_->segment(), state_->index).Empty()) return true;
  return check_publisher && PublisherGone();
}

bool Subscriber::PublisherGone() {
  internal::Segment& segment = state_->segment();
  if (segment.IsHeld(0) && !segment.ReclaimIfDead(0)) {
    state_->publisher_seen = true;
    return false;
  }
  return state_->publisher_seen;
}

absl::StatusOr<Sample> Subscriber::Deliver(uint32_t slot, uint64_t seq) {
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
    auto [seq, slot] = state_->pending.front();
    state_->pending.pop_front();
    return Deliver(slot, seq);
  }
  // One load: remember that a publisher was here, for peer_closed later.
  if (segment.IsHeld(0)) state_->publisher_seen = true;
  // Read the clock only once the queue is found empty: the fast path has no
  // system call and no clock read.
  std::optional<Deadline> deadline;
  internal::Queue queue(segment, state_->index);
  const bool notify_space = config.overflow == Overflow::kBlock;
  while (true) {
    if (std::optional<uint64_t> entry = queue.Take(notify_space)) {
      const uint32_t slot = internal::EntrySlot(*entry);
      const uint64_t seq = internal::EntrySeq(*entry);
      if (slot >= config.pool_slots) {
        return CorruptError(absl::StrCat("service '", segment.name(), "': queue entry names slot ",
                                         slot, " of ", config.pool_slots));
      }
      // Our reference first: while it is set the slot keeps its seq.
      const internal::SlotRecord& record = segment.slot(slot);
      if ((record.control.load(std::memory_order_acquire) & state_->ref()) == 0 ||
          record.seq.load(std::memory_order_acquire) != seq) {
        continue;  // stale: its reference was reclaimed
      }
      state_->publisher_seen = true;  // a publisher sent it
      return Deliver(slot, seq);
    }
    if (!deadline) deadline = Deadline::After(timeout);
    absl::Status waited = internal::WaitUntil(
        state_->wait_mode, &queue.header().data_word, &queue.header().data_sleepers, *deadline,
        [&] { return !queue.Empty(); }, [&] { return PublisherGone(); });
    if (!queue.Empty()) continue;
    if (PublisherGone()) {
      return PeerClosedError(absl::StrCat("service '", segment.name(), "': the publisher has gone"));
    }
    if (!waited.ok()) {
      return MakeError(waited.code(), ErrorClassOf(waited),
                       absl::StrCat("service '", segment.name(), "': no sample within the timeout"));
    }
  }
}

}  // namespace shm_msg
}  // namespace ipckit
