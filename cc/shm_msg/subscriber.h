// The receiving side of a shared-memory publish/subscribe service: each
// sample is a read-only view of the bytes the publisher wrote, valid while
// the Sample is held (spec/shm_messaging.md).
//
//   IPCKIT_ASSIGN_OR_RETURN(shm_msg::Subscriber sub, shm_msg::Subscriber::Create("frames", config));
//   IPCKIT_ASSIGN_OR_RETURN(shm_msg::Sample sample, sub.Receive(absl::Seconds(1)));
//   Process(sample.data());          // no copy: the publisher's shared memory
//   sample.Release();                // or let it go out of scope
//
// Receive reports peer_closed once its queues are empty and every publisher
// it saw has left or died. A Subscriber and its samples are used from one thread
// at a time; Close() releases every sample still held, so their views must
// not be used after it.
#ifndef IPCKIT_CC_SHM_MSG_SUBSCRIBER_H_
#define IPCKIT_CC_SHM_MSG_SUBSCRIBER_H_

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <memory>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "absl/types/span.h"
#include "cc/shm_msg/service_layout.h"
#include "cc/shm_msg/wait_mode.h"

namespace ipckit {
namespace shm_msg {

namespace internal {
struct SubscriberState;
}  // namespace internal

struct SubscriberOptions {
  WaitMode wait_mode = WaitMode::kBlocking;
  // False: Receive never reports peer_closed and waits for publishers to come
  // (a request/response server waiting for clients).
  bool report_peer_closed = true;
  // How long Create waits for a service another process is creating or removing.
  absl::Duration open_timeout = absl::Seconds(1);
};

// A received sample: one reference on a slot of the pool, released on
// Release() or destruction.
class Sample {
 public:
  Sample() = default;
  Sample(Sample&&) noexcept;
  Sample& operator=(Sample&&) noexcept;
  ~Sample() { Release(); }

  // False once released, and once its Subscriber is closed.
  bool valid() const;
  absl::Span<const char> data() const { return absl::MakeConstSpan(data_, length_); }
  absl::string_view view() const { return absl::string_view(data_, length_); }
  size_t size() const { return length_; }
  // The publisher's sequence number (1, 2, ...; gaps are samples dropped on
  // overflow). Each publisher numbers its own samples.
  uint64_t sequence() const { return seq_; }
  // Which publisher sent it: its entry, 0 .. max_publishers - 1.
  uint32_t publisher() const { return publisher_; }

  void Release();

 private:
  friend class Subscriber;
  std::shared_ptr<internal::SubscriberState> state_;
  uint32_t slot_ = 0;
  uint64_t seq_ = 0;
  uint32_t publisher_ = 0;
  const char* data_ = nullptr;
  size_t length_ = 0;
};

class Subscriber {
 public:
  // Opens or creates service `name` and joins it as a subscriber. With
  // history > 0 the last samples sent before joining are received first.
  static absl::StatusOr<Subscriber> Create(absl::string_view name, const ServiceConfig& config,
                                           const SubscriberOptions& options = {});

  Subscriber(Subscriber&&) noexcept = default;
  Subscriber& operator=(Subscriber&&) noexcept;
  ~Subscriber();

  // The next sample. timeout if none arrives in time; peer_closed when none is
  // left and the publisher has gone; in_use when max_held samples are held.
  absl::StatusOr<Sample> Receive(absl::Duration timeout);

  const ServiceConfig& config() const;
  // This subscriber's index i (its entry is max_publishers + i).
  uint32_t index() const;

  // Leaves the service, releasing every sample still held. Idempotent.
  void Close();

 private:
  friend class WaitSet;
  // For a WaitSet (spec: "Wait-set"): the futex word samples arrive on and
  // its sleeper count; null when closed.
  std::atomic<uint32_t>* data_word() const;
  std::atomic<uint32_t>* data_sleepers() const;
  // Whether Receive would return without waiting: a sample pending or queued,
  // closed, or (when `check_publisher`) the publisher gone.
  bool ReadyToReceive(bool check_publisher);

  explicit Subscriber(std::shared_ptr<internal::SubscriberState> state)
      : state_(std::move(state)) {}
  absl::StatusOr<Sample> Deliver(uint32_t publisher, uint32_t slot, uint64_t seq);
  // Whether any publisher's queue to this subscriber holds an entry.
  bool AnyQueued() const;
  bool PublisherGone();
  std::shared_ptr<internal::SubscriberState> state_;
};

}  // namespace shm_msg
}  // namespace ipckit

#endif  // IPCKIT_CC_SHM_MSG_SUBSCRIBER_H_
