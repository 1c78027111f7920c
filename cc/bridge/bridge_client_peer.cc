// bridge_loopback_test's client in a process of its own: what a page does,
// over a socket of a second process (on Windows, a second Winsock user).
//
//   bridge_client_peer append PORT TOKEN ID
//       POSTs a page's request with id ID to frontend_to_backend.json;
//       exit 0 on 200 {"appended":1}, 1 otherwise (the response on stderr)
#include <iostream>
#include <string>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/time/time.h"
#include "cc/bridge/test_http_client.h"

int main(int argc, char** argv) {
  uint32_t port = 0;
  if (argc != 5 || std::string(argv[1]) != "append" || !absl::SimpleAtoi(argv[2], &port) ||
      port == 0 || port > 65535) {
    std::cerr << "usage: bridge_client_peer append PORT TOKEN ID\n";
    return 2;
  }
  const std::string body =
      ipckit::bridge::PageRequestFile(argv[4], "fromPeer", R"({"process":"peer"})");
  const ipckit::bridge::HttpResult r = ipckit::bridge::Exchange(
      static_cast<uint16_t>(port),
      absl::StrCat("POST /v1/append/frontend_to_backend.json?timeout_ms=10000 HTTP/1.1\r\n"
                   "Host: 127.0.0.1:",
                   port, "\r\nConnection: close\r\nAuthorization: Bearer ", argv[3],
                   "\r\nContent-Type: application/json\r\nContent-Length: ", body.size(), "\r\n\r\n",
                   body),
      absl::Seconds(20));
  if (r.status != 200 || r.body != R"({"appended":1})") {
    std::cerr << "bridge_client_peer: " << r.status << " " << r.body << "\n";
    return 1;
  }
  return 0;
}
