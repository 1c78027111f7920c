#include "cc/file_channel/inbox.h"

#include <string>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "cc/base/error.h"
#include "cc/file_channel/message.h"
#include "gtest/gtest.h"

namespace ipckit {
namespace {

// A message as ipckit 0.1 writes it: no seq, no sender.
std::string Foreign(absl::string_view id, uint64_t ts) {
  return absl::StrCat("{\"id\":\"", id, "\",\"timestamp\":", ts, ",\"type\":\"event\",\"method\":\"e\",\"payload\":{}}");
}

std::string Ours(absl::string_view sender, uint64_t seq) {
  return absl::StrCat("{\"id\":\"", sender, "-", seq, "\",\"timestamp\":5,\"type\":\"event\",\"payload\":", seq,
                      ",\"seq\":", seq, ",\"sender\":\"", sender, "\"}");
}

std::string File(const std::vector<std::string>& messages) {
  std::vector<absl::string_view> views(messages.begin(), messages.end());
  return ComposeChannelFile(views);
}

std::vector<std::string> Ids(const absl::StatusOr<std::vector<FileMessage>>& got) {
  std::vector<std::string> ids;
  EXPECT_TRUE(got.ok()) << got.status();
  if (got.ok()) {
    for (const FileMessage& m : *got) ids.push_back(m.id);
  }
  return ids;
}

using Strings = std::vector<std::string>;

TEST(InboxTracker, DeliversEachMessageOnceInFileOrder) {
  InboxTracker inbox;
  std::vector<std::string> file = {Foreign("a", 100), Foreign("b", 100), Foreign("c", 100)};
  EXPECT_EQ(Ids(inbox.TakeNew(File(file), "f")), (Strings{"a", "b", "c"}));
  EXPECT_EQ(Ids(inbox.TakeNew(File(file), "f")), Strings{});
  // More messages within the same millisecond (ipckit 0.1 would repeat a and b here).
  file.push_back(Foreign("d", 100));
  file.push_back(Foreign("e", 100));
  EXPECT_EQ(Ids(inbox.TakeNew(File(file), "f")), (Strings{"d", "e"}));
  // The writer pruned the front: nothing new, nothing repeated.
  file.erase(file.begin(), file.begin() + 3);
  EXPECT_EQ(Ids(inbox.TakeNew(File(file), "f")), Strings{});
  file.push_back(Foreign("f", 99));  // an older timestamp does not matter either
  EXPECT_EQ(Ids(inbox.TakeNew(File(file), "f")), (Strings{"f"}));
}

TEST(InboxTracker, DuplicateIdsInOneFileCountOnce) {
  InboxTracker inbox;
  EXPECT_EQ(Ids(inbox.TakeNew(File({Foreign("a", 1), Foreign("a", 2), Foreign("b", 3)}), "f")),
            (Strings{"a", "b"}));
}

TEST(InboxTracker, MaterializesPayloads) {
  InboxTracker inbox;
  auto got = inbox.TakeNew(File({Ours("s", 1)}), "f");
  ASSERT_TRUE(got.ok());
  ASSERT_EQ(got->size(), 1u);
  EXPECT_EQ((*got)[0].payload_json, "1");
  EXPECT_EQ((*got)[0].seq, 1u);
  EXPECT_EQ((*got)[0].sender, "s");
}

TEST(InboxTracker, ReportsPrunedGapOnceThenContinues) {
  InboxTracker inbox;
  EXPECT_EQ(Ids(inbox.TakeNew(File({Ours("s", 1), Ours("s", 2), Ours("s", 3), Ours("t", 1)}), "/d/in.json")),
            (Strings{"s-1", "s-2", "s-3", "t-1"}));
  // s wrote 4..13 and the file was pruned down to 9..13 before we looked; t
  // is intact.
  std::string pruned = File({Ours("t", 1), Ours("s", 9), Ours("s", 10), Ours("t", 2), Ours("s", 11)});
  auto lost = inbox.TakeNew(pruned, "/d/in.json");
  ASSERT_FALSE(lost.ok());
  EXPECT_EQ(ErrorClassOf(lost.status()), "data_loss");
  EXPECT_EQ(lost.status().code(), absl::StatusCode::kDataLoss);
  EXPECT_TRUE(absl::StrContains(lost.status().message(), "sender s seq 4..8")) << lost.status();
  EXPECT_TRUE(absl::StrContains(lost.status().message(), "/d/in.json"));
  // Reported once; what is there is then delivered, in order.
  EXPECT_EQ(Ids(inbox.TakeNew(pruned, "/d/in.json")), (Strings{"s-9", "s-10", "t-2", "s-11"}));
  EXPECT_EQ(Ids(inbox.TakeNew(pruned, "/d/in.json")), Strings{});
}

TEST(InboxTracker, SingleMissingMessageIsAGap) {
  InboxTracker inbox;
  ASSERT_TRUE(inbox.TakeNew(File({Ours("s", 1)}), "f").ok());
  auto lost = inbox.TakeNew(File({Ours("s", 1), Ours("s", 3)}), "f");
  EXPECT_EQ(ErrorClassOf(lost.status()), "data_loss");
  EXPECT_TRUE(absl::StrContains(lost.status().message(), "sender s seq 2")) << lost.status();
  EXPECT_EQ(Ids(inbox.TakeNew(File({Ours("s", 1), Ours("s", 3)}), "f")), (Strings{"s-3"}));
}

TEST(InboxTracker, FirstSightOfASenderIsNotAGap) {
  InboxTracker inbox;
  EXPECT_EQ(Ids(inbox.TakeNew(File({Ours("late", 50), Ours("late", 51)}), "f")), (Strings{"late-50", "late-51"}));
}

TEST(InboxTracker, CorruptFileChangesNothing) {
  InboxTracker inbox;
  ASSERT_TRUE(inbox.TakeNew(File({Foreign("a", 1)}), "f").ok());
  std::string good = File({Foreign("a", 1), Foreign("b", 1), Foreign("c", 1)});
  auto bad = inbox.TakeNew(good.substr(0, good.size() - 20), "/d/in.json");
  ASSERT_FALSE(bad.ok());
  EXPECT_EQ(ErrorClassOf(bad.status()), "corrupt");
  EXPECT_EQ(Ids(inbox.TakeNew(good, "f")), (Strings{"b", "c"}));
}

TEST(InboxTracker, SkipAllMarksEverythingTaken) {
  InboxTracker inbox;
  ASSERT_TRUE(inbox.SkipAll(File({Ours("s", 1), Ours("s", 2)}), "f").ok());
  EXPECT_EQ(Ids(inbox.TakeNew(File({Ours("s", 1), Ours("s", 2), Ours("s", 3)}), "f")), (Strings{"s-3"}));
  // Skipping also moved the seq baseline: a later gap is still seen.
  auto lost = inbox.TakeNew(File({Ours("s", 5)}), "f");
  EXPECT_EQ(ErrorClassOf(lost.status()), "data_loss");
}

// A format-2 message at `pos`.
std::string AtPos(absl::string_view id, uint64_t pos) {
  return absl::StrCat("{\"id\":\"", id, "\",\"timestamp\":5,\"type\":\"event\",\"payload\":null,\"pos\":", pos, "}");
}

TEST(CursorInbox, ResumesFromItsCursorWithoutReplayOrLoss) {
  CursorInbox first;
  EXPECT_EQ(Ids(first.TakeNew(File({AtPos("a", 1), AtPos("b", 2)}), "f")), (Strings{"a", "b"}));
  EXPECT_EQ(first.cursor().pos, 2u);
  // A restart with the saved cursor takes only what came after.
  CursorInbox resumed(first.cursor());
  EXPECT_EQ(Ids(resumed.TakeNew(File({AtPos("a", 1), AtPos("b", 2), AtPos("c", 3)}), "f")), (Strings{"c"}));
  EXPECT_EQ(Ids(resumed.TakeNew(File({AtPos("b", 2), AtPos("c", 3)}), "f")), Strings{});
}

TEST(CursorInbox, PoslessMessagesGoByIdAndTheCursorKeepsTheirIds) {
  CursorInbox inbox;
  EXPECT_EQ(Ids(inbox.TakeNew(File({Foreign("x", 1), AtPos("a", 1)}), "f")), (Strings{"x", "a"}));
  EXPECT_EQ(inbox.cursor().ids, Strings{"x"});
  // A 0.1 writer rewrote the file, dropping every pos; its new message is new.
  CursorInbox resumed(inbox.cursor());
  EXPECT_EQ(Ids(resumed.TakeNew(File({Foreign("x", 1), Foreign("y", 2), AtPos("b", 2)}), "f")), (Strings{"y", "b"}));
  EXPECT_EQ(resumed.cursor().ids, (Strings{"x", "y"}));
}

TEST(CursorInbox, APosGapIsDataLossOnceThenTheRestArrives) {
  CursorInbox inbox(ReaderCursor{.pos = 3, .ids = {}, .updated_ms = 0});
  auto lost = inbox.TakeNew(File({AtPos("g", 7), AtPos("h", 8)}), "/d/f.json");
  ASSERT_FALSE(lost.ok());
  EXPECT_EQ(ErrorClassOf(lost.status()), "data_loss");
  EXPECT_TRUE(absl::StrContains(lost.status().message(), "pos 4..6")) << lost.status();
  EXPECT_EQ(Ids(inbox.TakeNew(File({AtPos("g", 7), AtPos("h", 8)}), "f")), (Strings{"g", "h"}));
  // A new reader starts just before the file's first message: nothing lost yet.
  CursorInbox fresh;
  ASSERT_TRUE(fresh.StartBefore(File({Foreign("x", 1), AtPos("g", 7)}), "f", 0).ok());
  EXPECT_EQ(fresh.cursor().pos, 6u);
  EXPECT_EQ(Ids(fresh.TakeNew(File({Foreign("x", 1), AtPos("g", 7)}), "f")), (Strings{"x", "g"}));
  // With no pos in the file it starts at the writers' floor.
  CursorInbox empty;
  ASSERT_TRUE(empty.StartBefore(File({}), "f", 12).ok());
  EXPECT_EQ(empty.cursor().pos, 12u);
}

TEST(CursorInbox, SkipAllStartsAtTheEnd) {
  CursorInbox inbox;
  ASSERT_TRUE(inbox.SkipAll(File({Foreign("x", 1), AtPos("a", 4)}), "f").ok());
  EXPECT_EQ(inbox.cursor().pos, 4u);
  EXPECT_EQ(Ids(inbox.TakeNew(File({Foreign("x", 1), AtPos("a", 4), AtPos("b", 5)}), "f")), Strings{"b"});
}

}  // namespace
}  // namespace ipckit
