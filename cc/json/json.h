// ipckit's JSON functions (json_dumps, json_dumps_pretty, json_loads of
// ipckit 0.1) over RapidJSON, following spec/json.md.
//
//   IPCKIT_ASSIGN_OR_RETURN(rapidjson::Document doc, ipckit::json::Loads(R"({"a":[1,2.5]})"));
//   IPCKIT_ASSIGN_OR_RETURN(std::string text, ipckit::json::Dumps(doc));   // {"a":[1,2.5]}
//   IPCKIT_ASSIGN_OR_RETURN(std::string pretty, ipckit::json::DumpsPretty(doc));
//
// Loads is strict RFC 8259: one value, no comments, no trailing commas, no
// NaN/Infinity, valid UTF-8, no lone surrogate escapes, nesting at most
// LoadOptions::max_depth. Integers that fit int64/uint64 load as integers,
// every other number as a double. Object members keep text order, duplicate
// keys included. The functions make no OS calls (the WASM build reuses them).
// Bindings that write their own objects use the writers in writer.h.
#ifndef IPCKIT_CC_JSON_JSON_H_
#define IPCKIT_CC_JSON_JSON_H_

#include <cstddef>
#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "cc/json/number.h"
#include "cc/json/writer.h"
#include "rapidjson/document.h"

namespace ipckit {
namespace json {

// Longest text Loads reads: RapidJSON keeps string lengths in 32 bits, and a
// text below 4 GiB cannot hold a longer string.
inline constexpr size_t kMaxTextBytes = 0xFFFFFFFFu;

struct LoadOptions {
  // Longer texts fail with too_large before any parsing. Values above
  // kMaxTextBytes mean kMaxTextBytes.
  size_t max_bytes = kMaxTextBytes;
  // Deeper nesting fails with too_large. Must be in [0, kMaxDepth].
  int max_depth = kMaxDepth;
};

// Compact JSON text of `v`: no whitespace, members in DOM order.
// Errors: invalid_argument for NaN/Infinity or a string that is not valid
// UTF-8; too_large for nesting deeper than kMaxDepth.
absl::StatusOr<std::string> Dumps(const rapidjson::Value& v);

// Same as Dumps, laid out by PrettyWriter (2-space indent, "key": value).
absl::StatusOr<std::string> DumpsPretty(const rapidjson::Value& v);

// Parses `text` into a Document that owns all its strings (so `text` may be
// freed after the call). Errors: invalid_argument for malformed text, with
// the byte offset and reason ("invalid JSON at byte 7: missing a comma or
// ']' after an array element"), invalid UTF-8, a lone surrogate escape or a
// number too large for a double ("1e400"); too_large for a text over
// max_bytes or nesting over max_depth.
absl::StatusOr<rapidjson::Document> Loads(absl::string_view text,
                                          const LoadOptions& options = {});

}  // namespace json
}  // namespace ipckit

#endif  // IPCKIT_CC_JSON_JSON_H_
