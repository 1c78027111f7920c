// The small part of HTTP/1.1 the bridge speaks: parsing a request head and
// composing a response. Pure text processing, no sockets.
//
//   size_t end = ipckit::bridge::FindHeadEnd(buffer);  // npos: need more bytes
//   IPCKIT_ASSIGN_OR_RETURN(ipckit::bridge::HttpRequest req, ipckit::bridge::ParseRequestHead(buffer.substr(0, end)));
//   std::string wire = ipckit::bridge::ComposeResponse(200, {{"Content-Type", "application/json"}}, "{}", true);
//
// Only what a browser's fetch and simple clients send is accepted: an
// origin-form or absolute-form target, HTTP/1.0 or 1.1, CRLF line endings,
// no obsolete header folding. Bodies are framed by Content-Length only.
#ifndef IPCKIT_CC_BRIDGE_HTTP_MESSAGE_H_
#define IPCKIT_CC_BRIDGE_HTTP_MESSAGE_H_

#include <cstddef>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace ipckit::bridge {

// A request line plus headers longer than this is refused (431) before more
// is buffered.
inline constexpr size_t kMaxRequestHeadBytes = 16 * 1024;
inline constexpr size_t kMaxRequestHeaders = 64;

using HttpHeaders = std::vector<std::pair<std::string, std::string>>;

struct HttpRequest {
  std::string method;       // "GET", "POST", ... (case-sensitive, as sent)
  std::string target;       // the raw request-target, e.g. "/v1/info?x=1"
  int minor_version = 1;    // HTTP/1.<minor_version>
  HttpHeaders headers;      // names lower-cased, values trimmed

  // The first header named `name` (lower case), if any.
  std::optional<absl::string_view> Header(absl::string_view name) const;
  // Whether the connection may serve another request after this one.
  bool KeepAlive() const;
};

// Offset one past the blank line ending the head in `buffer`, or npos if the
// head is not complete yet.
size_t FindHeadEnd(absl::string_view buffer);

// Parses a complete head (request line and header lines, with or without the
// final blank line). invalid_argument for anything malformed, too_large for
// more than kMaxRequestHeaders headers.
absl::StatusOr<HttpRequest> ParseRequestHead(absl::string_view head);

// The Content-Length of `request`: 0 if absent, invalid_argument if it is not
// a plain decimal number or appears twice with different values.
absl::StatusOr<size_t> ContentLengthOf(const HttpRequest& request);

// "OK", "Not Found", ... for the codes the bridge sends.
absl::string_view ReasonPhrase(int status);

// A complete HTTP/1.1 response: status line, `headers`, Content-Length (for
// every status that may carry a body), Connection: close unless `keep_alive`,
// blank line, `body`.
std::string ComposeResponse(int status, const HttpHeaders& headers, absl::string_view body,
                            bool keep_alive);

// The head of a response whose body runs until the connection closes (an
// event stream): no Content-Length, Connection: close.
std::string ComposeStreamHead(int status, const HttpHeaders& headers);

}  // namespace ipckit::bridge

#endif  // IPCKIT_CC_BRIDGE_HTTP_MESSAGE_H_
