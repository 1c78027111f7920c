// The service both sides of pubsub_process_test join (the test and
// pubsub_process_peer must agree on it, or the join is refused):
//
//   Publisher::Create(name, ProcessTestConfig());
#ifndef IPCKIT_CC_SHM_MSG_PROCESS_TEST_CONFIG_H_
#define IPCKIT_CC_SHM_MSG_PROCESS_TEST_CONFIG_H_

#include "cc/shm_msg/service_layout.h"

namespace ipckit {
namespace shm_msg {

// A small queue with kBlock, so that the publisher waits for the other
// process to drain it and both sides sleep on shared words.
inline ServiceConfig ProcessTestConfig() {
  ServiceConfig config;
  config.subscriber_buffer = 2;
  config.overflow = Overflow::kBlock;
  return config;
}

}  // namespace shm_msg
}  // namespace ipckit

#endif  // IPCKIT_CC_SHM_MSG_PROCESS_TEST_CONFIG_H_
