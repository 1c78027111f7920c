// Raw HTTP over loopback TCP for the bridge tests: a test controls every byte
// and when it is sent (slow clients, pipelining, duplicate headers).
//
//   ipckit::SocketHandle fd = ipckit::bridge::ConnectLoopback(port);
//   ipckit::bridge::SendAll(fd, "GET /v1/info HTTP/1.1\r\n...");
//   std::string response = ipckit::bridge::ReadUntilClosed(fd, absl::Seconds(10));
#ifndef IPCKIT_CC_BRIDGE_TEST_HTTP_CLIENT_H_
#define IPCKIT_CC_BRIDGE_TEST_HTTP_CLIENT_H_

#include <cstdint>
#include <map>
#include <string>

#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "cc/platform/net/loopback_socket.h"

namespace ipckit::bridge {

// A TCP socket connected to 127.0.0.1:`port`, or kInvalidSocket.
SocketHandle ConnectLoopback(uint16_t port);

// Sends all of `data`; false if the connection failed.
bool SendAll(SocketHandle fd, absl::string_view data);

// Everything received until the peer closes, or until `timeout` (a bound for
// a broken server only). Does not close `fd`.
std::string ReadUntilClosed(SocketHandle fd, absl::Duration timeout);

// Appends what arrives to `*in` until it contains `marker` (true), the peer
// closes, or `timeout` passes (false). For responses that do not end, such
// as event streams.
bool ReadUntil(SocketHandle fd, absl::string_view marker, std::string* in, absl::Duration timeout);

// Closes a descriptor ConnectLoopback returned.
void CloseConnection(SocketHandle fd);

// The first response in what a connection received.
struct HttpResult {
  int status = 0;  // 0: no complete response head
  std::map<std::string, std::string> headers;  // lower-case names
  std::string body;  // everything after the head
  std::string Header(const std::string& name) const {
    auto it = headers.find(name);
    return it == headers.end() ? "" : it->second;
  }
};
HttpResult ParseResponse(const std::string& received);

// `raw` sent as it is on a fresh connection (no normalization of the
// target), and the response read until the server closes (send
// "Connection: close") or `timeout`; status 0 if nothing could connect.
HttpResult Exchange(uint16_t port, absl::string_view raw, absl::Duration timeout = absl::Seconds(10));

// One Server-Sent Event as the bridge sends it (spec/bridge.md).
struct SseEvent {
  std::string id;
  std::string type;
  std::string header;  // the first data line
  std::string body;    // the other data lines, joined by "\n"
};

// An event stream on a connection of its own: the response head is kept in
// `head`; `buffer` holds the rest as it arrives. Close `fd` when done.
struct EventStream {
  SocketHandle fd = kInvalidSocket;
  std::string head;
  std::string buffer;

  // The next event or comment block, up to its blank line ("" after 30 s).
  std::string NextBlock();
  SseEvent NextEvent();
};

// GET `target` (with `extra_headers`, each ending in CRLF) as an event stream.
EventStream OpenEventStream(uint16_t port, const std::string& target, const std::string& extra_headers = "");

// A channel file holding one request, as a page's BridgeFileChannel composes
// it for POST /v1/append (seq 1, sender "page-under-test").
std::string PageRequestFile(const std::string& id, const std::string& method,
                            const std::string& payload_json);

}  // namespace ipckit::bridge

#endif  // IPCKIT_CC_BRIDGE_TEST_HTTP_CLIENT_H_
