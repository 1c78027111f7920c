// Splices: a new version of a channel file described by the bytes of an old
// one that it still holds, so the bridge sends a reader only what changed
// (spec/bridge.md, "A-IM: ipckit-splice"). Pure computation, no I/O, so the
// Node bridge uses the same code through WASM.
//
//   std::optional<ipckit::bridge::Splice> s = ipckit::bridge::ComputeSplice(old_text, new_text);
//   // new_text == s->body.substr(0, s->at) + old_text.substr(s->from, s->to - s->from)
//   //             + s->body.substr(s->at)
//
// Writers keep messages byte for byte, drop old ones from the front and add
// new ones at the end, so a new version is normally "[", a run of the old
// version's bytes that ends with its last message, then the new messages.
// ComputeSplice finds that run by comparing bytes, not by parsing: whatever
// it returns reconstructs `new_text` exactly, whoever wrote the file.
#ifndef IPCKIT_CC_BRIDGE_SPLICE_H_
#define IPCKIT_CC_BRIDGE_SPLICE_H_

#include <cstddef>
#include <optional>
#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace ipckit::bridge {

struct Splice {
  size_t at = 0;     // where in `body` the kept run goes
  size_t from = 0;   // the kept run is old[from, to)
  size_t to = 0;
  std::string body;  // new_text without the kept run
};

// Kept runs shorter than this are not worth a splice: the whole file is sent.
inline constexpr size_t kMinSpliceRun = 256;

// A splice of `new_text` against `old_text`, or nullopt when they share no
// run of at least kMinSpliceRun bytes ending where old_text's last JSON
// object ends.
std::optional<Splice> ComputeSplice(absl::string_view old_text, absl::string_view new_text);

// new_text rebuilt from `old_text` and a splice of it; corrupt (naming the
// offsets) if the splice does not fit: it needs from <= to <= old size and
// at <= body size.
absl::StatusOr<std::string> ApplySplice(absl::string_view old_text, const Splice& splice);

}  // namespace ipckit::bridge

#endif  // IPCKIT_CC_BRIDGE_SPLICE_H_
