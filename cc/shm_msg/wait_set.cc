#include "cc/shm_msg/wait_set.h"

#include <algorithm>
#include <atomic>

#include "absl/time/clock.h"
#include "cc/base/deadline.h"
#include "cc/base/error.h"
#include "cc/platform/sync/wait_any.h"
#include "cc/shm_msg/internal/wait.h"

namespace ipckit {
namespace shm_msg {

size_t WaitSet::Add(Subscriber& subscriber) {
  members_.push_back({&subscriber, -1});
  return members_.size() - 1;
}

size_t WaitSet::AddFd(int fd) {
  members_.push_back({nullptr, fd});
  return members_.size() - 1;
}

std::vector<size_t> WaitSet::Ready(bool check_publishers) {
  std::vector<int> fds;
  for (const Member& m : members_) {
    if (m.subscriber == nullptr) fds.push_back(m.fd);
  }
  const std::vector<bool> readable = platform::ReadableNow(fds);
  std::vector<size_t> ready;
  size_t next_fd = 0;
  for (size_t i = 0; i < members_.size(); ++i) {
    const bool is_ready = members_[i].subscriber != nullptr
                              ? members_[i].subscriber->ReadyToReceive(check_publishers)
                              : readable[next_fd++];
    if (is_ready) ready.push_back(i);
  }
  return ready;
}

absl::StatusOr<std::vector<size_t>> WaitSet::Wait(absl::Duration timeout) {
  if (members_.empty()) return InvalidArgumentError("WaitSet::Wait: the set is empty");
  const Deadline deadline = Deadline::After(timeout);
  std::vector<int> fds;
  size_t subscribers = 0;
  for (const Member& m : members_) {
    if (m.subscriber == nullptr) fds.push_back(m.fd);
    else ++subscribers;
  }
  if (subscribers > platform::kMaxWaitWords) {
    return InvalidArgumentError("WaitSet::Wait: more than 127 subscribers and listeners");
  }
  while (true) {
    // Step 1, with the publishers' liveness (at most every kPeerCheckInterval).
    std::vector<size_t> ready = Ready(/*check_publishers=*/true);
    if (!ready.empty()) return ready;
    if (deadline.Expired()) return TimeoutError("WaitSet::Wait: nothing ready within the timeout");
    // Step 2: count ourselves in on every word, bump it, look once more, sleep.
    std::vector<platform::FutexWaitItem> words;
    std::vector<std::atomic<uint32_t>*> sleepers;
    for (const Member& m : members_) {
      if (m.subscriber == nullptr) continue;
      std::atomic<uint32_t>* word = m.subscriber->data_word();
      std::atomic<uint32_t>* count = m.subscriber->data_sleepers();
      if (word == nullptr || count == nullptr) continue;  // closed: Ready() says so
      count->fetch_add(1, std::memory_order_seq_cst);
      sleepers.push_back(count);
      words.push_back({word, word->fetch_add(1, std::memory_order_seq_cst) + 1});
    }
    ready = Ready(/*check_publishers=*/false);
    absl::Status slept = absl::OkStatus();
    if (ready.empty()) {
      slept = platform::WaitAny(words, fds,
                                std::min(deadline.Remaining(), internal::kPeerCheckInterval));
    }
    for (std::atomic<uint32_t>* count : sleepers) count->fetch_sub(1, std::memory_order_seq_cst);
    if (!ready.empty()) return ready;
    if (!slept.ok() && ErrorClassOf(slept) != kErrTimeout) return slept;
  }
}

}  // namespace shm_msg
}  // namespace ipckit
