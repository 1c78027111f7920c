// The queue from one publisher to one subscriber: a single-producer ring of
// 64-bit entries whose head both sides may advance by CAS
// (spec/shm_messaging.md, "Subscriber queues"), so that exactly one side owns
// a dropped entry. Pushes wake the subscriber on its one wake-up word.
//
//   internal::Queue q(segment, p, i);
//   if (q.Full()) { auto dropped = q.DropOldest(); ... }
//   q.Push(internal::MakeEntry(seq, slot));          // publisher
//   std::optional<uint64_t> e = q.Take(false);       // subscriber
#ifndef IPCKIT_CC_SHM_MSG_INTERNAL_QUEUE_H_
#define IPCKIT_CC_SHM_MSG_INTERNAL_QUEUE_H_

#include <atomic>
#include <cstdint>
#include <optional>

#include "cc/shm_msg/internal/segment.h"
#include "cc/shm_msg/internal/wait.h"

namespace ipckit {
namespace shm_msg {
namespace internal {

class Queue {
 public:
  Queue(const Segment& segment, uint32_t publisher, uint32_t subscriber)
      : header_(&segment.queue(publisher, subscriber)),
        wake_(&segment.wake(subscriber)),
        entries_(segment.queue_entries(publisher, subscriber)),
        capacity_(segment.config().subscriber_buffer) {}

  QueueHeader& header() const { return *header_; }

  bool Empty() const {
    return header_->head.load(std::memory_order_acquire) ==
           header_->tail.load(std::memory_order_acquire);
  }
  bool Full() const {
    return header_->tail.load(std::memory_order_acquire) -
               header_->head.load(std::memory_order_acquire) >=
           capacity_;
  }

  // Publisher: takes the oldest entry away from the subscriber; its reference
  // is then the caller's to release. nullopt if the subscriber took it first
  // and the queue is no longer full.
  std::optional<uint64_t> DropOldest() const {
    uint64_t head = header_->head.load(std::memory_order_acquire);
    while (header_->tail.load(std::memory_order_acquire) - head >= capacity_) {
      const uint64_t entry = entries_[head % capacity_].load(std::memory_order_acquire);
      if (header_->head.compare_exchange_weak(head, head + 1, std::memory_order_acq_rel)) {
        return entry;
      }
    }
    return std::nullopt;
  }

  // Publisher, with room in the queue: writes the entry, publishes the new
  // tail and wakes the subscriber if it sleeps. `memo`: the publisher's
  // WakeMemo for this subscriber's wake word.
  void Push(uint64_t entry, WakeMemo* memo = nullptr) const {
    const uint64_t tail = header_->tail.load(std::memory_order_relaxed);
    entries_[tail % capacity_].store(entry, std::memory_order_release);
    header_->tail.store(tail + 1, std::memory_order_seq_cst);
    Notify(&wake_->data_word, &wake_->data_sleepers, memo);
  }

  // Subscriber: the oldest entry, or nullopt if empty. `notify_space` wakes a
  // publisher that blocks on a full queue (`memo`: the subscriber's WakeMemo
  // for this queue's space word).
  std::optional<uint64_t> Take(bool notify_space, WakeMemo* memo = nullptr) const {
    uint64_t head = header_->head.load(std::memory_order_acquire);
    while (head != header_->tail.load(std::memory_order_acquire)) {
      const uint64_t entry = entries_[head % capacity_].load(std::memory_order_acquire);
      if (header_->head.compare_exchange_weak(head, head + 1, std::memory_order_acq_rel)) {
        if (notify_space) Notify(&header_->space_word, &header_->space_sleepers, memo);
        return entry;
      }
    }
    return std::nullopt;
  }

 private:
  QueueHeader* header_;
  QueueHeader* wake_;
  std::atomic<uint64_t>* entries_;
  uint64_t capacity_;
};

}  // namespace internal
}  // namespace shm_msg
}  // namespace ipckit

#endif  // IPCKIT_CC_SHM_MSG_INTERNAL_QUEUE_H_
