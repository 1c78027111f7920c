#include "cc/bridge/test_http_client.h"

#include <string>
#include <vector>

#include "absl/strings/string_view.h"

#include "absl/strings/ascii.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"
#include "absl/time/clock.h"
#include "cc/file_channel/message.h"
#include "cc/platform/net/loopback_socket.h"

namespace ipckit::bridge {

SocketHandle ConnectLoopback(uint16_t port) {
  absl::StatusOr<UniqueSocket> fd = ConnectToLoopback(port);
  return fd.ok() ? fd->release() : kInvalidSocket;
}

bool SendAll(SocketHandle fd, absl::string_view data) {
  while (!data.empty()) {
    absl::StatusOr<Transfer> sent = SendSome(fd, data);
    if (!sent.ok() || sent->bytes == 0) return false;
    data.remove_prefix(sent->bytes);
  }
  return true;
}

std::string ReadUntilClosed(SocketHandle fd, absl::Duration timeout) {
  std::string in;
  ReadUntil(fd, absl::string_view(), &in, timeout);
  return in;
}

bool ReadUntil(SocketHandle fd, absl::string_view marker, std::string* in_out, absl::Duration timeout) {
  std::string& in = *in_out;
  const absl::Time deadline = absl::Now() + timeout;
  size_t searched = 0;  // the marker does not begin before this
  for (;;) {
    if (!marker.empty()) {
      if (absl::string_view(in).find(marker, searched) != absl::string_view::npos) return true;
      searched = in.size() < marker.size() ? 0 : in.size() - marker.size() + 1;
    }
    std::vector<SocketInterest> wait = {{fd, /*read=*/true}};
    absl::Duration left = deadline - absl::Now();
    if (left <= absl::ZeroDuration()) break;
    absl::StatusOr<bool> woke = WaitForSockets(wait, left);
    if (!woke.ok() || !wait[0].ready) break;
    char buf[65536];
    absl::StatusOr<Transfer> got = ReceiveSome(fd, buf, sizeof(buf));
    if (!got.ok() || got->bytes == 0) break;
    in.append(buf, got->bytes);
  }
  return false;
}

void CloseConnection(SocketHandle fd) { UniqueSocket owned(fd); }

HttpResult ParseResponse(const std::string& received) {
  HttpResult result;
  const size_t end = received.find("\r\n\r\n");
  if (end == std::string::npos) return result;
  std::vector<std::string> lines = absl::StrSplit(received.substr(0, end), "\r\n");
  std::vector<std::string> status_line = absl::StrSplit(lines[0], ' ');
  if (status_line.size() < 2 || !absl::SimpleAtoi(status_line[1], &result.status)) return result;
  for (size_t i = 1; i < lines.size(); ++i) {
    const size_t colon = lines[i].find(':');
    if (colon == std::string::npos) continue;
    result.headers[absl::AsciiStrToLower(lines[i].substr(0, colon))] =
        std::string(absl::StripAsciiWhitespace(lines[i].substr(colon + 1)));
  }
  result.body = received.substr(end + 4);
  return result;
}

HttpResult Exchange(uint16_t port, absl::string_view raw, absl::Duration timeout) {
  const SocketHandle fd = ConnectLoopback(port);
  if (fd == kInvalidSocket) return HttpResult();
  SendAll(fd, raw);
  HttpResult result = ParseResponse(ReadUntilClosed(fd, timeout));
  CloseConnection(fd);
  return result;
}

std::string EventStream::NextBlock() {
  if (!ReadUntil(fd, "\n\n", &buffer, absl::Seconds(30))) return "";
  const size_t end = buffer.find("\n\n") + 2;
  std::string block = buffer.substr(0, end);
  buffer.erase(0, end);
  return block;
}

SseEvent EventStream::NextEvent() {
  SseEvent e;
  std::vector<std::string> data;
  const std::string block = NextBlock();
  for (absl::string_view line : absl::StrSplit(absl::StripSuffix(block, "\n\n"), '\n')) {
    if (absl::ConsumePrefix(&line, "id: ")) e.id = std::string(line);
    if (absl::ConsumePrefix(&line, "event: ")) e.type = std::string(line);
    if (absl::ConsumePrefix(&line, "data: ")) data.emplace_back(line);
  }
  if (!data.empty()) {
    e.header = data[0];
    e.body = absl::StrJoin(data.begin() + 1, data.end(), "\n");
  }
  return e;
}

EventStream OpenEventStream(uint16_t port, const std::string& target, const std::string& extra_headers) {
  EventStream s;
  s.fd = ConnectLoopback(port);
  SendAll(s.fd, absl::StrCat("GET ", target, " HTTP/1.1\r\nHost: 127.0.0.1:", port, "\r\n", extra_headers, "\r\n"));
  if (ReadUntil(s.fd, "\r\n\r\n", &s.buffer, absl::Seconds(30))) {
    const size_t end = s.buffer.find("\r\n\r\n") + 4;
    s.head = s.buffer.substr(0, end);
    s.buffer.erase(0, end);
  } else {
    s.head = s.buffer;
  }
  return s;
}

std::string PageRequestFile(const std::string& id, const std::string& method,
                            const std::string& payload_json) {
  FileMessage m;
  m.id = id;
  m.timestamp_ms = static_cast<uint64_t>(absl::ToUnixMillis(absl::Now()));
  m.type = MessageType::kRequest;
  m.method = method;
  m.payload_json = payload_json;
  m.seq = 1;
  m.sender = "page-under-test";
  absl::StatusOr<std::string> text = ComposeMessage(m);
  return text.ok() ? ComposeChannelFile({*text}) : "";
}

}  // namespace ipckit::bridge
