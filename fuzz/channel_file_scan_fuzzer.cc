// Fuzzes reading a channel file (cc/file_channel): the scan and parse of a
// text, the index kept across two versions of a file, and the inbox that
// turns each version into the messages that are new.
// Input: two file texts, the file's old and new version (fuzz_input.h parts).
// Invariants: the index after both versions equals a fresh scan of the new
// one (and fails exactly when the scan does); parsed messages survive
// compose-then-parse; the inbox returns every id at most once.
#include <cstdint>
#include <string>
#include <vector>

#include "absl/container/flat_hash_set.h"
#include "absl/strings/string_view.h"
#include "cc/base/error.h"
#include "cc/file_channel/file_index.h"
#include "cc/file_channel/inbox.h"
#include "cc/file_channel/message.h"
#include "fuzz/fuzz_input.h"
#include "fuzz/scanned_message_eq.h"

namespace {

constexpr absl::string_view kLabel = "fuzz.json";

void CheckParse(absl::string_view text) {
  auto scanned = ipckit::ScanChannelFile(text, kLabel);
  auto parsed = ipckit::ParseChannelFile(text, kLabel);
  IPCKIT_FUZZ_CHECK(scanned.ok() == parsed.ok(), "parse fails exactly when the scan does");
  if (!parsed.ok()) return;
  IPCKIT_FUZZ_CHECK(parsed->size() == scanned->size(), "parse and scan find the same messages");
  for (const ipckit::FileMessage& m : *parsed) {
    auto composed = ipckit::ComposeMessage(m);
    if (!composed.ok()) continue;  // e.g. a payload nested past the limit once normalized
    auto reparsed = ipckit::ParseMessage(*composed);
    IPCKIT_FUZZ_CHECK(reparsed.ok(), "a composed message parses");
    IPCKIT_FUZZ_CHECK(*reparsed == m, "parse(compose(m)) == m");
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::vector<absl::string_view> parts =
      ipckit::fuzz::SplitParts(absl::string_view(reinterpret_cast<const char*>(data), size), 2);
  const std::string old_text(parts[0]), new_text(parts[1]);
  CheckParse(old_text);
  CheckParse(new_text);

  // The index across two versions agrees with a fresh scan of the second.
  ipckit::ChannelFileIndex index;
  auto first = index.Prepare(old_text, kLabel);
  if (first.ok()) index.Commit(*std::move(first));
  auto fresh = ipckit::ScanChannelFile(new_text, kLabel);
  auto second = index.Prepare(new_text, kLabel);
  IPCKIT_FUZZ_CHECK(second.ok() == fresh.ok(), "the index fails exactly when a scan does");
  if (second.ok()) {
    IPCKIT_FUZZ_CHECK(ipckit::ErrorClassOf(fresh.status()) == ipckit::ErrorClassOf(second.status()),
                      "same error class");
    index.Commit(*std::move(second));
    IPCKIT_FUZZ_CHECK(index.text() == new_text, "the index holds the new text");
    IPCKIT_FUZZ_CHECK(ipckit::fuzz::SameScan(index.messages(), *fresh), "index == scan");
  }

  // The inbox hands out each id once across the versions (a data_loss report
  // keeps the messages for the next call, so a third call drains them).
  ipckit::InboxTracker inbox;
  absl::flat_hash_set<std::string> delivered;
  for (const std::string* text : {&old_text, &new_text, &new_text}) {
    auto taken = inbox.TakeNew(*text, kLabel);
    if (!taken.ok()) continue;
    for (const ipckit::FileMessage& m : *taken) {
      IPCKIT_FUZZ_CHECK(delivered.insert(m.id).second, "the inbox delivers each id once");
    }
  }
  return 0;
}
