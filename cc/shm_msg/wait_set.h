// One thread waits on several subscribers, listeners and file descriptors at
// once, with a timeout (spec/shm_messaging.md, "Wait-set").
//
//   shm_msg::WaitSet set;
//   const size_t frames = set.Add(frame_subscriber);
//   const size_t events = set.Add(listener);
//   const size_t socket = set.AddFd(fd);
//   IPCKIT_ASSIGN_OR_RETURN(std::vector<size_t> ready, set.Wait(absl::Seconds(1)));
//   for (size_t i : ready) {
//     if (i == frames) Process(frame_subscriber.Receive(absl::ZeroDuration()));
//   }
//
// A member is ready when receiving from it would not wait: a sample or event
// is there, its publisher has gone (Receive says peer_closed), it is closed,
// or the fd is readable. The set keeps pointers: members must outlive it, and
// it is used from one thread at a time.
#ifndef IPCKIT_CC_SHM_MSG_WAIT_SET_H_
#define IPCKIT_CC_SHM_MSG_WAIT_SET_H_

#include <cstddef>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "cc/shm_msg/event.h"
#include "cc/shm_msg/subscriber.h"

namespace ipckit {
namespace shm_msg {

class WaitSet {
 public:
  // Each returns the member's index, in the order added.
  size_t Add(Subscriber& subscriber);
  size_t Add(Listener& listener) { return Add(listener.subscriber_); }
  size_t AddFd(int fd);

  // The indices of the ready members, in index order. timeout if none is
  // ready in time; invalid_argument when empty or over 127 subscribers and
  // listeners.
  absl::StatusOr<std::vector<size_t>> Wait(absl::Duration timeout);

 private:
  struct Member {
    Subscriber* subscriber = nullptr;  // or:
    int fd = -1;
  };
  std::vector<size_t> Ready(bool check_publishers);
  std::vector<Member> members_;
};

}  // namespace shm_msg
}  // namespace ipckit

#endif  // IPCKIT_CC_SHM_MSG_WAIT_SET_H_
