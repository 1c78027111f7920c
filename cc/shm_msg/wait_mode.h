// How a shm_msg endpoint waits for its condition (data, room, a wake-up).
//
//   shm_msg::SubscriberOptions options;
//   options.wait_mode = shm_msg::WaitMode::kBusyWait;   // lowest latency, burns a core
//
// Every mode honours the call's timeout and notices a dead peer within about
// 100 ms (spec/shm_messaging.md, Waking).
#ifndef IPCKIT_CC_SHM_MSG_WAIT_MODE_H_
#define IPCKIT_CC_SHM_MSG_WAIT_MODE_H_

namespace ipckit {
namespace shm_msg {

enum class WaitMode {
  kBlocking,  // sleep on a futex; the waker makes a system call only if someone sleeps
  kBusyWait,  // poll without sleeping (opt-in: keeps one core busy while waiting)
  kHybrid,    // poll for at most 20 microseconds, then sleep as kBlocking
};

}  // namespace shm_msg
}  // namespace ipckit

#endif  // IPCKIT_CC_SHM_MSG_WAIT_MODE_H_
