#include "cc/file_channel/channel_file_format.h"

#include <string>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_replace.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "cc/base/error.h"
#include "cc/file_channel/message.h"
#include "gtest/gtest.h"

namespace ipckit {
namespace {

std::string Msg(absl::string_view id, uint64_t ts) {
  return absl::StrCat("{\"id\":\"", id, "\",\"timestamp\":", ts, ",\"type\":\"event\",\"payload\":null}");
}

// Msg as a writer leaves it in the file: stamped with its pos.
std::string At(absl::string_view id, uint64_t ts, uint64_t pos) {
  return absl::StrCat(Msg(id, ts).substr(0, Msg(id, ts).size() - 1), ",\"pos\":", pos, "}");
}

std::vector<std::string> IdsOf(absl::string_view text) {
  auto scanned = ScanChannelFile(text, "t");
  EXPECT_TRUE(scanned.ok()) << scanned.status();
  std::vector<std::string> ids;
  if (scanned.ok()) {
    for (const auto& s : *scanned) ids.push_back(s.message.id);
  }
  return ids;
}

TEST(RetentionPolicyTest, DefaultBoundsAreTheSpecs) {
  // spec/file_channel.md: 1000 messages, 8 MiB.
  const RetentionPolicy defaults;
  EXPECT_EQ(defaults.max_messages, 1000u);
  EXPECT_EQ(defaults.max_bytes, size_t{8} << 20);
}

TEST(AppendToChannelText, AppendsToEmptyAndMissing) {
  RetentionPolicy keep_all;
  auto r = AppendToChannelText("", "f", {Msg("a", 1)}, keep_all, 10, kDefaultMaxFileBytes);
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_EQ(r->text, absl::StrCat("[\n", At("a", 1, 1), "\n]\n"));
  EXPECT_EQ(r->first_pos, 1u);
  auto r2 = AppendToChannelText(r->text, "f", {Msg("b", 2), Msg("c", 3)}, keep_all, 10, kDefaultMaxFileBytes);
  ASSERT_TRUE(r2.ok());
  EXPECT_EQ(r2->text, absl::StrCat("[\n", At("a", 1, 1), ",\n", At("b", 2, 2), ",\n", At("c", 3, 3), "\n]\n"));
  EXPECT_EQ(r2->first_pos, 2u);
}

TEST(AppendToChannelText, KeepsForeignMessagesByteForByte) {
  const std::string foreign =
      "[\n  {\n    \"id\": \"f1\",\n    \"timestamp\": 7,\n    \"type\": \"event\",\n    \"method\": null,\n"
      "    \"payload\": {\"big\": 123456789012345678901234567890, \"f\": 1.50},\n    \"x-extra\": [1, 2]\n  }\n]";
  auto r = AppendToChannelText(foreign, "f", {Msg("a", 8)}, RetentionPolicy(), 10, kDefaultMaxFileBytes);
  ASSERT_TRUE(r.ok()) << r.status();
  size_t open = foreign.find('{');
  size_t close = foreign.rfind('}');
  EXPECT_TRUE(absl::StrContains(r->text, foreign.substr(open, close - open + 1))) << r->text;
  EXPECT_EQ(IdsOf(r->text), (std::vector<std::string>{"f1", "a"}));
}

TEST(AppendToChannelText, BoundsTheCountWhateverTheAge) {
  RetentionPolicy policy;
  policy.max_messages = 3;
  policy.min_age = absl::Seconds(60);
  const uint64_t now = 1000000;
  std::string file = ComposeChannelFile({Msg("old1", now - 90000), Msg("old2", now - 61000),
                                         Msg("young1", now - 59000), Msg("young2", now - 1)});
  auto r = AppendToChannelText(file, "f", {Msg("new", now)}, policy, now, kDefaultMaxFileBytes);
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_EQ(IdsOf(r->text), (std::vector<std::string>{"young1", "young2", "new"}));
  EXPECT_EQ(r->pruned, 2u);
  EXPECT_EQ(r->kept, 2u);
  // Under the count, age alone drops nothing.
  policy.max_messages = 5;
  auto under = AppendToChannelText(file, "f", {Msg("new", now)}, policy, now, kDefaultMaxFileBytes);
  ASSERT_TRUE(under.ok());
  EXPECT_EQ(under->pruned, 0u);
  policy.max_messages = 3;

  // All young: the count is still a bound (format 1 let a burst grow the file).
  std::vector<std::string> many;
  for (int i = 0; i < 10; ++i) many.push_back(Msg(absl::StrCat("m", i), now - 100));
  std::vector<absl::string_view> views(many.begin(), many.end());
  auto r2 = AppendToChannelText(ComposeChannelFile(views), "f", {Msg("new", now)}, policy, now, kDefaultMaxFileBytes);
  ASSERT_TRUE(r2.ok());
  EXPECT_EQ(IdsOf(r2->text), (std::vector<std::string>{"m8", "m9", "new"}));
  EXPECT_EQ(r2->pruned, 8u);

  // Acknowledgement pruning stops at the first message still in its grace,
  // even if later ones are older (the file stays a suffix of what was appended).
  std::string mixed = ComposeChannelFile({At("y", now, 1), At("o1", 0, 2), At("o2", 0, 3)});
  auto r3 = AppendToChannelText(mixed, "f", {Msg("new", now)}, RetentionPolicy(), now, kDefaultMaxFileBytes, {3});
  ASSERT_TRUE(r3.ok());
  EXPECT_EQ(IdsOf(r3->text), (std::vector<std::string>{"y", "o1", "o2", "new"}));
}

TEST(AppendToChannelText, BoundsBytesButNeverDropsTheNewMessage) {
  RetentionPolicy policy;
  const uint64_t now = 1000000;
  std::string file = ComposeChannelFile({At("a", now, 1), At("b", now, 2)});
  policy.max_bytes = file.size();  // room for two, not three
  auto r = AppendToChannelText(file, "f", {Msg("c", now)}, policy, now, kDefaultMaxFileBytes);
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_EQ(IdsOf(r->text), (std::vector<std::string>{"b", "c"}));
  EXPECT_LE(r->text.size(), policy.max_bytes);
  policy.max_bytes = 1;
  auto alone = AppendToChannelText(file, "f", {Msg("c", now)}, policy, now, kDefaultMaxFileBytes);
  ASSERT_TRUE(alone.ok());
  EXPECT_EQ(IdsOf(alone->text), (std::vector<std::string>{"c"}));
  EXPECT_EQ(alone->first_pos, 3u);  // pos survives pruning: the writer saw pos 2
}

TEST(AppendToChannelText, PrunesWhatEveryNamedReaderAcknowledgedAfterTheGrace) {
  RetentionPolicy policy;  // ack_grace 500 ms
  const uint64_t now = 1000000;
  std::string file = ComposeChannelFile({At("a", now - 600, 1), At("b", now - 600, 2), At("c", now - 100, 3)});
  // Readers at 2 and 3: a and b are acknowledged by both and old enough.
  auto r = AppendToChannelText(file, "f", {Msg("d", now)}, policy, now, kDefaultMaxFileBytes, {3, 2});
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_EQ(IdsOf(r->text), (std::vector<std::string>{"c", "d"}));  // c is within the grace
  EXPECT_EQ(r->first_pos, 4u);
  // One reader behind at 1: only a goes.
  auto behind = AppendToChannelText(file, "f", {Msg("d", now)}, policy, now, kDefaultMaxFileBytes, {3, 1});
  ASSERT_TRUE(behind.ok());
  EXPECT_EQ(IdsOf(behind->text), (std::vector<std::string>{"b", "c", "d"}));
  // No named reader: only the age and the bounds apply.
  auto none = AppendToChannelText(file, "f", {Msg("d", now)}, policy, now, kDefaultMaxFileBytes);
  ASSERT_TRUE(none.ok());
  EXPECT_EQ(IdsOf(none->text).size(), 4u);
  // A cursor ahead of the file (a 0.1 writer dropped every pos) keeps pos monotonic.
  auto ahead = AppendToChannelText(ComposeChannelFile({Msg("x", now)}), "f", {Msg("d", now)}, policy, now,
                                   kDefaultMaxFileBytes, {8});
  ASSERT_TRUE(ahead.ok());
  EXPECT_EQ(ahead->first_pos, 9u);
  EXPECT_TRUE(absl::StrContains(ahead->text, At("d", now, 9))) << ahead->text;
}

TEST(StampPos, AddsPosAsTheLastField) {
  FileMessage m;
  m.id = "a";
  m.timestamp_ms = 1;
  auto plain = ComposeMessage(m);
  ASSERT_TRUE(plain.ok());
  m.pos = 42;
  auto with_pos = ComposeMessage(m);
  ASSERT_TRUE(with_pos.ok());
  auto stamped = StampPos(*plain, 42);
  ASSERT_TRUE(stamped.ok());
  EXPECT_EQ(*stamped, *with_pos);
  EXPECT_EQ(ErrorClassOf(StampPos("[1]", 1).status()), "invalid_argument");
  EXPECT_EQ(ErrorClassOf(StampPos(*with_pos, 43).status()), "invalid_argument");  // never twice
  m.pos.reset();
  m.payload_json = R"({"pos":1})";  // "pos" inside the payload is no pos field
  auto payload_pos = StampPos(*ComposeMessage(m), 2);
  ASSERT_TRUE(payload_pos.ok()) << payload_pos.status();
  EXPECT_TRUE(absl::EndsWith(*payload_pos, R"({"pos":1},"pos":2})")) << *payload_pos;
}

TEST(AppendToChannelText, RefusesCorruptAndOversized) {
  auto r = AppendToChannelText("[{\"id\":\"a\",\"timest", "/d/backend_to_frontend.json", {Msg("b", 1)},
                               RetentionPolicy(), 1, kDefaultMaxFileBytes);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(ErrorClassOf(r.status()), "corrupt");
  EXPECT_TRUE(absl::StrContains(r.status().message(), "/d/backend_to_frontend.json"));

  auto big = AppendToChannelText("", "f", {Msg("a", 1)}, RetentionPolicy(), 1, 20);
  ASSERT_FALSE(big.ok());
  EXPECT_EQ(ErrorClassOf(big.status()), "too_large");
}

TEST(AppendToScannedChannelText, EqualsAppendToChannelText) {
  RetentionPolicy policy;
  policy.max_messages = 2;
  policy.min_age = absl::Seconds(1);
  const uint64_t now = 100000;
  const std::string file = ComposeChannelFile({Msg("o", now - 5000), Msg("y", now)});
  auto scanned = ScanChannelFile(file, "f");
  ASSERT_TRUE(scanned.ok()) << scanned.status();
  auto direct = AppendToChannelText(file, "f", {Msg("n", now)}, policy, now, kDefaultMaxFileBytes);
  auto reused = AppendToScannedChannelText(file, *scanned, "f", {Msg("n", now)}, policy, now, kDefaultMaxFileBytes);
  ASSERT_TRUE(direct.ok()) << direct.status();
  ASSERT_TRUE(reused.ok()) << reused.status();
  EXPECT_EQ(reused->text, direct->text);
  EXPECT_EQ(IdsOf(reused->text), (std::vector<std::string>{"y", "n"}));
  EXPECT_EQ(reused->pruned, 1u);
}

// The index must describe exactly what a fresh scan of `text` finds.
void ExpectIndexDescribes(const ChannelFileIndex& index, absl::string_view text) {
  auto scanned = ScanChannelFile(text, "t");
  ASSERT_TRUE(scanned.ok()) << scanned.status();
  EXPECT_EQ(index.text(), text);
  ASSERT_EQ(index.messages().size(), scanned->size());
  for (size_t i = 0; i < scanned->size(); ++i) {
    EXPECT_EQ(index.messages()[i].message.id, (*scanned)[i].message.id);
    EXPECT_EQ(index.messages()[i].begin, (*scanned)[i].begin);
    EXPECT_EQ(index.messages()[i].end, (*scanned)[i].end);
  }
}

TEST(AppendToIndexedChannelText, EqualsAppendToChannelTextAcrossWrites) {
  RetentionPolicy policy;
  policy.max_messages = 4;
  policy.min_age = absl::Milliseconds(10);
  ChannelFileIndex index;
  std::string file;  // what is on disk
  uint64_t now = 1000;
  for (int i = 0; i < 12; ++i, now += 5) {
    // Every third round another writer appends in between; every fifth, a
    // foreign writer rewrites the file in its own layout.
    if (i % 3 == 2) {
      auto other = AppendToChannelText(file, "f", {Msg(absl::StrCat("other", i), now)}, policy, now,
                                       kDefaultMaxFileBytes);
      ASSERT_TRUE(other.ok()) << other.status();
      file = other->text;
    }
    if (i % 5 == 4) absl::StrReplaceAll({{",\n", " ,  "}}, &file);
    auto direct = AppendToChannelText(file, "f", {Msg(absl::StrCat("m", i), now)}, policy, now,
                                      kDefaultMaxFileBytes);
    auto indexed = AppendToIndexedChannelText(index, file, "f", {Msg(absl::StrCat("m", i), now)}, policy,
                                              now, kDefaultMaxFileBytes);
    ASSERT_TRUE(direct.ok()) << direct.status();
    ASSERT_TRUE(indexed.ok()) << indexed.status();
    EXPECT_EQ(indexed->text, direct->text) << "round " << i;
    EXPECT_EQ(indexed->kept, direct->kept);
    EXPECT_EQ(indexed->pruned, direct->pruned);
    ExpectIndexDescribes(index, indexed->text);
    file = indexed->text;
  }
  EXPECT_GT(IdsOf(file).size(), 0u);
}

TEST(AppendToIndexedChannelText, RefusesCorruptAndOversizedKeepingAValidIndex) {
  ChannelFileIndex index;
  auto first = AppendToIndexedChannelText(index, "", "f", {Msg("a", 1)}, RetentionPolicy(), 1,
                                          kDefaultMaxFileBytes);
  ASSERT_TRUE(first.ok()) << first.status();
  const std::string good = first->text;

  // A corrupt file is refused and the index still describes the good one.
  std::string corrupt = good;
  corrupt.insert(corrupt.rfind(']'), ",{\"id\":");
  auto bad = AppendToIndexedChannelText(index, corrupt, "/d/x.json", {Msg("b", 2)}, RetentionPolicy(), 2,
                                        kDefaultMaxFileBytes);
  ASSERT_FALSE(bad.ok());
  EXPECT_EQ(ErrorClassOf(bad.status()), "corrupt");
  EXPECT_TRUE(absl::StrContains(bad.status().message(), "/d/x.json")) << bad.status();
  ExpectIndexDescribes(index, good);

  // Too large: refused; the index describes the file as it is.
  auto big = AppendToIndexedChannelText(index, good, "f", {Msg("b", 2)}, RetentionPolicy(), 2, good.size());
  ASSERT_FALSE(big.ok());
  EXPECT_EQ(ErrorClassOf(big.status()), "too_large");
  ExpectIndexDescribes(index, good);

  // And the next append still works from it.
  auto next = AppendToIndexedChannelText(index, good, "f", {Msg("b", 2)}, RetentionPolicy(), 2,
                                         kDefaultMaxFileBytes);
  ASSERT_TRUE(next.ok()) << next.status();
  EXPECT_EQ(IdsOf(next->text), (std::vector<std::string>{"a", "b"}));
}

TEST(NowUnixMs, IsTheWallClock) {
  const uint64_t before = static_cast<uint64_t>(absl::ToUnixMillis(absl::Now()));
  const uint64_t now = NowUnixMs();
  EXPECT_GE(now, before);
  EXPECT_LE(now, before + 60000);
}

}  // namespace
}  // namespace ipckit
