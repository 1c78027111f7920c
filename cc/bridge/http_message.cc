#include "cc/bridge/http_message.h"

#include <cstddef>
#include <optional>
#include <string>

#include "absl/strings/ascii.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/strings/string_view.h"
#include "cc/base/error.h"

namespace ipckit::bridge {
namespace {

// RFC 9110 token characters (method and header names).
bool IsTokenChar(char c) {
  if (absl::ascii_isalnum(static_cast<unsigned char>(c))) return true;
  return absl::string_view("!#$%&'*+-.^_`|~").find(c) != absl::string_view::npos;
}

bool IsToken(absl::string_view s) {
  if (s.empty()) return false;
  for (char c : s) {
    if (!IsTokenChar(c)) return false;
  }
  return true;
}

// Visible ASCII, space and tab, plus obs-text; never CR, LF or NUL.
bool IsFieldValue(absl::string_view s) {
  for (char c : s) {
    unsigned char u = static_cast<unsigned char>(c);
    if ((u < 0x20 && u != '\t') || u == 0x7f) return false;
  }
  return true;
}

}  // namespace

std::optional<absl::string_view> HttpRequest::Header(absl::string_view name) const {
  for (const auto& [key, value] : headers) {
    if (key == name) return absl::string_view(value);
  }
  return std::nullopt;
}

bool HttpRequest::KeepAlive() const {
  std::optional<absl::string_view> connection = Header("connection");
  std::string tokens = connection ? absl::AsciiStrToLower(*connection) : "";
  bool close = false;
  bool keep_alive = false;
  for (absl::string_view token : absl::StrSplit(tokens, ',')) {
    token = absl::StripAsciiWhitespace(token);
    close |= token == "close";
    keep_alive |= token == "keep-alive";
  }
  if (close) return false;
  return minor_version >= 1 || keep_alive;
}

size_t FindHeadEnd(absl::string_view buffer) {
  size_t pos = buffer.find("\r\n\r\n");
  return pos == absl::string_view::npos ? absl::string_view::npos : pos + 4;
}

absl::StatusOr<HttpRequest> ParseRequestHead(absl::string_view head) {
  while (absl::EndsWith(head, "\r\n")) head.remove_suffix(2);
  std::vector<absl::string_view> lines = absl::StrSplit(head, "\r\n");
  if (lines.empty() || lines[0].empty()) return InvalidArgumentError("empty HTTP request line");
  if (lines.size() - 1 > kMaxRequestHeaders) {
    return TooLargeError(absl::StrCat("HTTP request has ", lines.size() - 1,
                                      " header lines; the limit is ", kMaxRequestHeaders));
  }

  HttpRequest request;
  std::vector<absl::string_view> parts = absl::StrSplit(lines[0], ' ');
  if (parts.size() != 3 || !IsToken(parts[0]) || parts[1].empty()) {
    return InvalidArgumentError("malformed HTTP request line");
  }
  if (parts[2] == "HTTP/1.1") {
    request.minor_version = 1;
  } else if (parts[2] == "HTTP/1.0") {
    request.minor_version = 0;
  } else {
    return InvalidArgumentError("unsupported HTTP version in the request line");
  }
  for (char c : parts[1]) {
    unsigned char u = static_cast<unsigned char>(c);
    if (u <= 0x20 || u >= 0x7f) return InvalidArgumentError("request target has a control or non-ASCII byte");
  }
  request.method = std::string(parts[0]);
  request.target = std::string(parts[1]);

  for (size_t i = 1; i < lines.size(); ++i) {
    absl::string_view line = lines[i];
    size_t colon = line.find(':');
    if (colon == absl::string_view::npos || colon == 0) {
      return InvalidArgumentError(absl::StrCat("malformed HTTP header line ", i));
    }
    absl::string_view name = line.substr(0, colon);
    absl::string_view value = absl::StripAsciiWhitespace(line.substr(colon + 1));
    if (!IsToken(name)) return InvalidArgumentError(absl::StrCat("malformed HTTP header name on line ", i));
    if (!IsFieldValue(value)) return InvalidArgumentError(absl::StrCat("control byte in HTTP header ", name));
    request.headers.emplace_back(absl::AsciiStrToLower(name), std::string(value));
  }
  return request;
}

absl::StatusOr<size_t> ContentLengthOf(const HttpRequest& request) {
  std::optional<size_t> length;
  for (const auto& [key, value] : request.headers) {
    if (key != "content-length") continue;
    uint64_t n = 0;
    bool digits = !value.empty() && value.size() <= 19 &&
                  value.find_first_not_of("0123456789") == std::string::npos;
    if (!digits || !absl::SimpleAtoi(value, &n)) {
      return InvalidArgumentError(absl::StrCat("Content-Length '", value, "' is not a byte count"));
    }
    if (length && *length != n) return InvalidArgumentError("conflicting Content-Length headers");
    length = static_cast<size_t>(n);
  }
  return length.value_or(0);
}

absl::string_view ReasonPhrase(int status) {
  switch (status) {
    case 200: return "OK";
    case 204: return "No Content";
    case 226: return "IM Used";
    case 304: return "Not Modified";
    case 400: return "Bad Request";
    case 403: return "Forbidden";
    case 404: return "Not Found";
    case 405: return "Method Not Allowed";
    case 408: return "Request Timeout";
    case 409: return "Conflict";
    case 411: return "Length Required";
    case 413: return "Content Too Large";
    case 415: return "Unsupported Media Type";
    case 431: return "Request Header Fields Too Large";
    case 500: return "Internal Server Error";
    case 501: return "Not Implemented";
    case 503: return "Service Unavailable";
    default: return "Unknown";
  }
}

std::string ComposeResponse(int status, const HttpHeaders& headers, absl::string_view body,
                            bool keep_alive) {
  std::string out = absl::StrCat("HTTP/1.1 ", status, " ", ReasonPhrase(status), "\r\n");
  for (const auto& [name, value] : headers) absl::StrAppend(&out, name, ": ", value, "\r\n");
  // 204 and 304 never carry a body (RFC 9110 8.6), so no Content-Length.
  if (status != 204 && status != 304) absl::StrAppend(&out, "Content-Length: ", body.size(), "\r\n");
  if (!keep_alive) out += "Connection: close\r\n";
  out += "\r\n";
  out.append(body.data(), body.size());
  return out;
}

std::string ComposeStreamHead(int status, const HttpHeaders& headers) {
  std::string out = absl::StrCat("HTTP/1.1 ", status, " ", ReasonPhrase(status), "\r\n");
  for (const auto& [name, value] : headers) absl::StrAppend(&out, name, ": ", value, "\r\n");
  out += "Connection: close\r\n\r\n";
  return out;
}

}  // namespace ipckit::bridge
