// Fuzzes writing a channel file (cc/file_channel/channel_file_format.h): the
// append-then-prune step, plain and through a writer's index.
// Input parts (fuzz_input.h): "max_messages min_age_ms now_ms", the text the
// writer's index last saw, the file's current text, then one message per part.
// Invariants: the indexed append gives the same result as the plain one; the
// result scans to the kept old messages byte for byte followed by the new
// ones, each stamped with the next pos (format 2, rule W1); pruning only
// drops from the front; the index afterwards equals a scan of the result.
#include <cstdint>
#include <string>
#include <vector>

#include "absl/strings/numbers.h"
#include "absl/strings/str_split.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "cc/base/error.h"
#include "cc/file_channel/channel_file_format.h"
#include "cc/file_channel/file_index.h"
#include "cc/file_channel/message.h"
#include "fuzz/fuzz_input.h"
#include "fuzz/scanned_message_eq.h"

namespace {

constexpr absl::string_view kLabel = "fuzz.json";
constexpr size_t kMaxParts = 8;
constexpr size_t kMaxFileBytes = 1 << 16;

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::vector<absl::string_view> parts =
      ipckit::fuzz::SplitParts(absl::string_view(reinterpret_cast<const char*>(data), size), kMaxParts);

  ipckit::RetentionPolicy retention;
  retention.max_messages = 3;
  retention.min_age = absl::Milliseconds(1000);
  uint64_t now_ms = 1732500060000;
  std::vector<absl::string_view> params = absl::StrSplit(parts[0], ' ');
  uint64_t n = 0;
  if (params.size() > 0 && absl::SimpleAtoi(params[0], &n)) retention.max_messages = n % 100000;
  if (params.size() > 1 && absl::SimpleAtoi(params[1], &n)) retention.min_age = absl::Milliseconds(n % (1ull << 40));
  if (params.size() > 2 && absl::SimpleAtoi(params[2], &n)) now_ms = n;

  const std::string previous(parts[1]), existing(parts[2]);
  std::vector<std::string> sends;
  for (size_t i = 3; i < parts.size(); ++i) {
    if (parts[i].empty()) continue;
    auto message = ipckit::ParseMessage(parts[i]);
    if (!message.ok()) continue;
    message->pos.reset();  // writers send messages without pos; the append stamps it
    auto text = ipckit::ComposeMessage(*message);
    if (text.ok()) sends.push_back(*std::move(text));
  }

  auto plain = ipckit::AppendToChannelText(existing, kLabel, sends, retention, now_ms, kMaxFileBytes);
  ipckit::ChannelFileIndex index;
  auto primed = index.Prepare(previous, kLabel);
  if (primed.ok()) index.Commit(*std::move(primed));
  auto indexed =
      ipckit::AppendToIndexedChannelText(index, existing, kLabel, sends, retention, now_ms, kMaxFileBytes);
  IPCKIT_FUZZ_CHECK(plain.ok() == indexed.ok(), "indexed and plain appends fail together");
  IPCKIT_FUZZ_CHECK(ipckit::ErrorClassOf(plain.status()) == ipckit::ErrorClassOf(indexed.status()),
                    "with the same error class");
  if (!plain.ok()) return 0;
  IPCKIT_FUZZ_CHECK(plain->text == indexed->text && plain->kept == indexed->kept &&
                        plain->pruned == indexed->pruned,
                    "indexed append == plain append");

  auto before = ipckit::ScanChannelFile(existing, kLabel);
  auto after = ipckit::ScanChannelFile(plain->text, kLabel);
  IPCKIT_FUZZ_CHECK(before.ok(), "an append succeeds only on a valid file");
  IPCKIT_FUZZ_CHECK(after.ok(), "an append writes a valid file");
  IPCKIT_FUZZ_CHECK(plain->kept + plain->pruned == before->size(), "every old message is kept or pruned");
  IPCKIT_FUZZ_CHECK(after->size() == plain->kept + sends.size(), "the result holds kept + new messages");
  for (size_t i = 0; i < plain->kept; ++i) {
    const ipckit::ScannedMessage& old_m = (*before)[plain->pruned + i];
    const ipckit::ScannedMessage& new_m = (*after)[i];
    IPCKIT_FUZZ_CHECK(absl::string_view(existing).substr(old_m.begin, old_m.end - old_m.begin) ==
                          absl::string_view(plain->text).substr(new_m.begin, new_m.end - new_m.begin),
                      "kept messages are the newest old ones, byte for byte");
  }
  for (size_t i = 0; i < sends.size(); ++i) {
    const ipckit::ScannedMessage& m = (*after)[plain->kept + i];
    auto stamped = ipckit::StampPos(sends[i], plain->first_pos + i);
    IPCKIT_FUZZ_CHECK(stamped.ok(), "a composed message without pos can be stamped");
    IPCKIT_FUZZ_CHECK(absl::string_view(plain->text).substr(m.begin, m.end - m.begin) == *stamped,
                      "new messages follow in order, byte for byte, each with the next pos");
  }
  IPCKIT_FUZZ_CHECK(index.text() == plain->text && ipckit::fuzz::SameScan(index.messages(), *after),
                    "the writer's index holds the result");
  return 0;
}
