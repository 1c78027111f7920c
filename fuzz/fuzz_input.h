// Helpers for the libFuzzer harnesses in fuzz/: splitting one fuzz input into
// the several byte strings a decoder takes, and a check that aborts (so the
// fuzzer records the input) when an invariant breaks.
//
//   std::vector<absl::string_view> parts = ipckit::fuzz::SplitParts(input, 2);
//   IPCKIT_FUZZ_CHECK(rebuilt == parts[1], "splice must rebuild the new text");
//
// Parts are separated by kPartSeparator; fuzz/seeds.py writes seeds in the
// same layout, so the vectors' inputs reach the decoders intact.
#ifndef IPCKIT_FUZZ_FUZZ_INPUT_H_
#define IPCKIT_FUZZ_FUZZ_INPUT_H_

#include <cstdio>
#include <cstdlib>
#include <vector>

#include "absl/strings/string_view.h"

namespace ipckit {
namespace fuzz {

// Two NUL bytes: none of the text formats fuzzed here contains them, and the
// fuzzer finds them quickly through its comparison hints.
inline constexpr absl::string_view kPartSeparator{"\0\0", 2};

// The first `n - 1` separators split `input` into exactly `n` parts (missing
// parts are empty; the last part keeps any further separators).
inline std::vector<absl::string_view> SplitParts(absl::string_view input, size_t n) {
  std::vector<absl::string_view> parts;
  while (parts.size() + 1 < n) {
    size_t at = input.find(kPartSeparator);
    if (at == absl::string_view::npos) break;
    parts.push_back(input.substr(0, at));
    input.remove_prefix(at + kPartSeparator.size());
  }
  parts.push_back(input);
  parts.resize(n);
  return parts;
}

}  // namespace fuzz
}  // namespace ipckit

// Aborts with `what` when `cond` is false; an invariant of the code under test
// is broken and the fuzzer keeps the input as a crash.
#define IPCKIT_FUZZ_CHECK(cond, what)                                          \
  do {                                                                         \
    if (!(cond)) {                                                             \
      std::fprintf(stderr, "%s:%d: invariant broken: %s (%s)\n", __FILE__,     \
                   __LINE__, what, #cond);                                     \
      std::abort();                                                            \
    }                                                                          \
  } while (0)

#endif  // IPCKIT_FUZZ_FUZZ_INPUT_H_
