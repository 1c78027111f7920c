// The service configuration crash_test and its peer process agree on.
//
//   auto pub = shm_msg::Publisher::Create(name, shm_msg::CrashTestConfig());
//   auto server = shm_msg::Server::Create(name, shm_msg::CrashTestRpcOptions());
#ifndef IPCKIT_CC_SHM_MSG_CRASH_TEST_CONFIG_H_
#define IPCKIT_CC_SHM_MSG_CRASH_TEST_CONFIG_H_

#include "cc/shm_msg/rpc.h"
#include "cc/shm_msg/service_layout.h"

namespace ipckit {
namespace shm_msg {

// Pool: 2 * (4 + 2) + 0 + 2 = 14 slots.
inline ServiceConfig CrashTestConfig() {
  ServiceConfig c;
  c.max_subscribers = 2;
  c.max_payload = 64;
  c.subscriber_buffer = 4;
  c.max_held = 2;
  return c;
}

// The same with two publishers (format 2). Pool: 2 * (2 * 4 + 2) + 2 * 2 = 24.
inline ServiceConfig CrashTestMultiConfig() {
  ServiceConfig c = CrashTestConfig();
  c.max_publishers = 2;
  return c;
}

// Request/response: two clients, two servers.
inline RpcOptions CrashTestRpcOptions() {
  RpcOptions o;
  o.max_clients = 2;
  o.max_servers = 2;
  o.max_request = 64;
  o.max_response = 64;
  return o;
}

}  // namespace shm_msg
}  // namespace ipckit

#endif  // IPCKIT_CC_SHM_MSG_CRASH_TEST_CONFIG_H_
