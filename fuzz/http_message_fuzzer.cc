// Fuzzes the bridge's HTTP/1.1 request-head parser (cc/bridge/http_message.h).
// Input: bytes as they arrive on a connection.
// Invariants: a parsed head is well formed (lower-case names, trimmed values,
// no control bytes, at most kMaxRequestHeaders) and written back out it
// parses to the same request; a response the bridge composes is one complete
// head followed by exactly its body.
#include <cctype>
#include <cstdint>
#include <string>

#include "absl/strings/str_cat.h"
#include "absl/strings/string_view.h"
#include "cc/bridge/http_message.h"
#include "fuzz/fuzz_input.h"

namespace {

bool HasControlByte(absl::string_view s) {
  for (char c : s) {
    if (c == '\r' || c == '\n' || c == '\0') return true;
  }
  return false;
}

std::string Serialize(const ipckit::bridge::HttpRequest& r) {
  std::string head = absl::StrCat(r.method, " ", r.target, " HTTP/1.", r.minor_version, "\r\n");
  for (const auto& [name, value] : r.headers) absl::StrAppend(&head, name, ": ", value, "\r\n");
  head += "\r\n";
  return head;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  namespace bridge = ipckit::bridge;
  absl::string_view buffer(reinterpret_cast<const char*>(data), size);

  size_t end = bridge::FindHeadEnd(buffer);
  absl::string_view head = end == absl::string_view::npos ? buffer : buffer.substr(0, end);
  if (end != absl::string_view::npos) IPCKIT_FUZZ_CHECK(end <= size, "the head ends inside the buffer");

  auto request = bridge::ParseRequestHead(head);
  if (request.ok()) {
    IPCKIT_FUZZ_CHECK(!request->method.empty() && !request->target.empty(), "method and target are present");
    IPCKIT_FUZZ_CHECK(request->headers.size() <= bridge::kMaxRequestHeaders, "headers are bounded");
    for (const auto& [name, value] : request->headers) {
      IPCKIT_FUZZ_CHECK(!name.empty() && !HasControlByte(name) && !HasControlByte(value), "no control bytes");
      for (char c : name) IPCKIT_FUZZ_CHECK(!std::isupper(static_cast<unsigned char>(c)), "names are lower case");
      IPCKIT_FUZZ_CHECK(value.empty() || (value.front() != ' ' && value.front() != '\t' &&
                                          value.back() != ' ' && value.back() != '\t'),
                        "values are trimmed");
      auto first = request->Header(name);
      IPCKIT_FUZZ_CHECK(first.has_value(), "every parsed header can be looked up");
    }
    (void)request->KeepAlive();
    (void)bridge::ContentLengthOf(*request);

    auto reparsed = bridge::ParseRequestHead(Serialize(*request));
    IPCKIT_FUZZ_CHECK(reparsed.ok(), "a parsed head written back out parses");
    IPCKIT_FUZZ_CHECK(reparsed->method == request->method && reparsed->target == request->target &&
                          reparsed->minor_version == request->minor_version &&
                          reparsed->headers == request->headers,
                      "and gives the same request");
  }

  // Compose a response around the input as its body: one head, then the body.
  std::string wire = bridge::ComposeResponse(200, {{"Content-Type", "application/json"}}, buffer, size % 2 == 0);
  size_t response_head_end = bridge::FindHeadEnd(wire);
  IPCKIT_FUZZ_CHECK(response_head_end != absl::string_view::npos, "a composed response has a head");
  IPCKIT_FUZZ_CHECK(absl::string_view(wire).substr(response_head_end) == buffer,
                    "followed by exactly its body");
  return 0;
}
