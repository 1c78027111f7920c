#include "cc/bridge/splice.h"

#include <algorithm>
#include <cstdint>
#include <cstring>

#include "absl/strings/str_cat.h"
#include "cc/base/error.h"

namespace ipckit::bridge {
namespace {

// Bytes at the end of the old version's last object that locate the kept run
// in the new version: long enough to be unique in practice (they hold the
// end of a message), short enough to find quickly. A repeated probe only
// makes the run shorter, never the splice wrong: the run is verified byte by
// byte either way.
constexpr size_t kProbeBytes = 64;

// The length of the longest common suffix of a[0, i) and b[0, j), eight bytes
// a step (the WASM build's byte loops are slow, and runs are file-sized).
size_t CommonSuffix(const char* a, size_t i, const char* b, size_t j) {
  const size_t max = std::min(i, j);
  size_t n = 0;
  while (n + 8 <= max) {
    uint64_t x, y;
    std::memcpy(&x, a + i - n - 8, 8);
    std::memcpy(&y, b + j - n - 8, 8);
    if (x != y) break;
    n += 8;
  }
  while (n < max && a[i - n - 1] == b[j - n - 1]) ++n;
  return n;
}

}  // namespace

std::optional<Splice> ComputeSplice(absl::string_view old_text, absl::string_view new_text) {
  const size_t end = old_text.rfind('}');
  if (end == absl::string_view::npos) return std::nullopt;
  const size_t to = end + 1;
  if (to < kMinSpliceRun) return std::nullopt;
  const absl::string_view probe = old_text.substr(to - kProbeBytes, kProbeBytes);
  // Searched from the end: only the new messages normally follow the run.
  const size_t found = new_text.rfind(probe);
  if (found == absl::string_view::npos) return std::nullopt;
  // Grow the run backwards from the probe's end while the bytes agree.
  const size_t end_in_new = found + probe.size();
  const size_t run = CommonSuffix(old_text.data(), to, new_text.data(), end_in_new);
  if (run < kMinSpliceRun) return std::nullopt;
  const size_t j = end_in_new - run;
  Splice splice;
  splice.at = j;
  splice.from = to - run;
  splice.to = to;
  splice.body = absl::StrCat(new_text.substr(0, j), new_text.substr(j + run));
  return splice;
}

absl::StatusOr<std::string> ApplySplice(absl::string_view old_text, const Splice& splice) {
  if (splice.from > splice.to || splice.to > old_text.size() || splice.at > splice.body.size()) {
    return CorruptError(absl::StrCat("splice at ", splice.at, " of base [", splice.from, ", ", splice.to,
                                     ") does not fit a base of ", old_text.size(), " bytes and a body of ",
                                     splice.body.size()));
  }
  const absl::string_view body = splice.body;
  return absl::StrCat(body.substr(0, splice.at), old_text.substr(splice.from, splice.to - splice.from),
                      body.substr(splice.at));
}

}  // namespace ipckit::bridge
