#include "cc/bridge/static_files.h"

#include <string>
#include <vector>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"

namespace ipckit::bridge {

std::optional<std::string> StaticPathOf(absl::string_view url_path) {
  if (!absl::ConsumePrefix(&url_path, "/")) return std::nullopt;
  if (url_path.empty()) return std::string("index.html");
  std::vector<absl::string_view> parts = absl::StrSplit(url_path, '/');
  for (absl::string_view part : parts) {
    // Dot-led names cover "." and ".." and hidden files (.git, .env).
    if (part.empty() || part[0] == '.') return std::nullopt;
    for (char c : part) {
      if (c == '\\' || c == '%' || static_cast<unsigned char>(c) < 0x20 || c == 0x7f) return std::nullopt;
    }
  }
  return absl::StrJoin(parts, "/");
}

absl::string_view ContentTypeFor(absl::string_view name) {
  const size_t dot = name.rfind('.');
  const std::string ext = dot == absl::string_view::npos ? "" : absl::AsciiStrToLower(name.substr(dot + 1));
  static constexpr std::pair<absl::string_view, absl::string_view> kTypes[] = {
      {"html", "text/html; charset=utf-8"},   {"htm", "text/html; charset=utf-8"},
      {"js", "text/javascript; charset=utf-8"}, {"mjs", "text/javascript; charset=utf-8"},
      {"css", "text/css; charset=utf-8"},     {"json", "application/json"},
      {"map", "application/json"},            {"wasm", "application/wasm"},
      {"svg", "image/svg+xml"},               {"png", "image/png"},
      {"jpg", "image/jpeg"},                  {"jpeg", "image/jpeg"},
      {"gif", "image/gif"},                   {"webp", "image/webp"},
      {"ico", "image/x-icon"},                {"txt", "text/plain; charset=utf-8"},
      {"woff", "font/woff"},                  {"woff2", "font/woff2"},
  };
  for (const auto& [e, type] : kTypes) {
    if (ext == e) return type;
  }
  return "application/octet-stream";
}

}  // namespace ipckit::bridge
