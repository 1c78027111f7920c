// Fuzzes the bridge's splices (cc/bridge/splice.h).
// Input parts (fuzz_input.h): the old text, the new text, then "at from to"
// for a splice taken as given (as a page would receive it).
// Invariants: a computed splice keeps a run of at least kMinSpliceRun bytes
// and rebuilds the new text exactly; applying any splice either fails as
// corrupt or yields body plus the kept run, with nothing read out of bounds.
#include <cstdint>
#include <string>
#include <vector>

#include "absl/strings/numbers.h"
#include "absl/strings/str_split.h"
#include "absl/strings/string_view.h"
#include "cc/base/error.h"
#include "cc/bridge/splice.h"
#include "fuzz/fuzz_input.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  namespace bridge = ipckit::bridge;
  std::vector<absl::string_view> parts =
      ipckit::fuzz::SplitParts(absl::string_view(reinterpret_cast<const char*>(data), size), 3);
  absl::string_view old_text = parts[0], new_text = parts[1];

  std::optional<bridge::Splice> splice = bridge::ComputeSplice(old_text, new_text);
  if (splice.has_value()) {
    IPCKIT_FUZZ_CHECK(splice->from <= splice->to && splice->to <= old_text.size(), "the run is inside old");
    IPCKIT_FUZZ_CHECK(splice->to - splice->from >= bridge::kMinSpliceRun, "the run is worth a splice");
    IPCKIT_FUZZ_CHECK(splice->body.size() + (splice->to - splice->from) == new_text.size(),
                      "body plus run is the new size");
    auto rebuilt = bridge::ApplySplice(old_text, *splice);
    IPCKIT_FUZZ_CHECK(rebuilt.ok() && *rebuilt == new_text, "ApplySplice(ComputeSplice) == new");
  }

  // A splice as received: arbitrary offsets, the new text as body.
  std::vector<absl::string_view> numbers = absl::StrSplit(parts[2], ' ');
  bridge::Splice given;
  given.body = std::string(new_text);
  if (numbers.size() != 3 || !absl::SimpleAtoi(numbers[0], &given.at) ||
      !absl::SimpleAtoi(numbers[1], &given.from) || !absl::SimpleAtoi(numbers[2], &given.to)) {
    return 0;
  }
  auto applied = bridge::ApplySplice(old_text, given);
  if (!applied.ok()) {
    IPCKIT_FUZZ_CHECK(ipckit::ErrorClassOf(applied.status()) == "corrupt", "a misfit splice is corrupt");
    return 0;
  }
  IPCKIT_FUZZ_CHECK(given.from <= given.to && given.to <= old_text.size() && given.at <= given.body.size(),
                    "only a fitting splice applies");
  IPCKIT_FUZZ_CHECK(*applied == absl::StrCat(given.body.substr(0, given.at),
                                             old_text.substr(given.from, given.to - given.from),
                                             given.body.substr(given.at)),
                    "the run goes in at `at`");
  return 0;
}
