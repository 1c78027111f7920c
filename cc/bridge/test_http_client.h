// Raw HTTP over loopback TCP for the bridge tests: a test controls every byte
// and when it is sent (slow clients, pipelining, duplicate headers).
//
//   int fd = ipckit::bridge::ConnectLoopback(port);
//   ipckit::bridge::SendAll(fd, "GET /v1/info HTTP/1.1\r\n...");
//   std::string response = ipckit::bridge::ReadUntilClosed(fd, absl::Seconds(10));
#ifndef IPCKIT_CC_BRIDGE_TEST_HTTP_CLIENT_H_
#define IPCKIT_CC_BRIDGE_TEST_HTTP_CLIENT_H_

#include <cstdint>
#include <string>

#include "absl/strings/string_view.h"
#include "absl/time/time.h"

namespace ipckit::bridge {

// A TCP socket connected to 127.0.0.1:`port`, or -1.
int ConnectLoopback(uint16_t port);

// Sends all of `data`; false if the connection failed.
bool SendAll(int fd, absl::string_view data);

// Everything received until the peer closes, or until `timeout` (a bound for
// a broken server only). Does not close `fd`.
std::string ReadUntilClosed(int fd, absl::Duration timeout);

// Closes a descriptor ConnectLoopback returned.
void CloseConnection(int fd);

}  // namespace ipckit::bridge

#endif  // IPCKIT_CC_BRIDGE_TEST_HTTP_CLIENT_H_
