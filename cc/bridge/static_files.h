// The page's own files, served by the bridge from an opt-in directory
// (BridgeOptions::static_dir, spec/bridge.md "Page files"), so a page and
// the channel share one origin and need no CORS.
//
//   std::optional<std::string> rel = ipckit::bridge::StaticPathOf("/app/main.js");  // "app/main.js"
//   absl::string_view type = ipckit::bridge::ContentTypeFor(*rel);  // "text/javascript; charset=utf-8"
//
// Pure: the files are read through StaticFiles (static_directory.h over a
// real directory). A URL path names a file only through plain names:
// StaticPathOf refuses empty, "." or ".."-led components, backslashes and
// percent-escapes before anything is opened.
#ifndef IPCKIT_CC_BRIDGE_STATIC_FILES_H_
#define IPCKIT_CC_BRIDGE_STATIC_FILES_H_

#include <cstddef>
#include <optional>
#include <string>
#include <utility>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace ipckit::bridge {

struct StaticFile {
  std::string content_type;
  std::string body;
  std::string etag;
};

// Reads page files by relative path ("index.html", "js/app.js").
class StaticFiles {
 public:
  virtual ~StaticFiles() = default;
  virtual absl::StatusOr<StaticFile> Read(absl::string_view relative_path, size_t max_bytes) = 0;
};

// The relative path a URL path ("/", "/js/app.js") names: "/" is
// "index.html". nullopt for any path that is not plain names joined by '/'
// (empty or dot-led components, '\', '%', NUL, control characters).
std::optional<std::string> StaticPathOf(absl::string_view url_path);

// The Content-Type for a file name, by its extension (octet-stream when
// unknown; the bridge also sends nosniff).
absl::string_view ContentTypeFor(absl::string_view name);


}  // namespace ipckit::bridge

#endif  // IPCKIT_CC_BRIDGE_STATIC_FILES_H_
