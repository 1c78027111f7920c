#include "cc/file_channel/channel_file_readers.h"

#include <string>
#include <vector>

#include "absl/strings/match.h"
#include "cc/base/error.h"
#include "cc/file_channel/message.h"
#include "gtest/gtest.h"

namespace ipckit {
namespace {

TEST(ReaderNames, OnlyTheSpecCharactersUpTo64) {
  EXPECT_TRUE(ValidateReaderName("tab-1_A").ok());
  EXPECT_TRUE(ValidateReaderName(std::string(64, 'a')).ok());
  for (const std::string& bad : {std::string(), std::string(65, 'a'), std::string("a.b"), std::string("a/b"),
                                std::string("é"), std::string("a b")}) {
    EXPECT_EQ(ErrorClassOf(ValidateReaderName(bad)), kErrInvalidArgument) << bad;
  }
}

TEST(ReaderNames, FileNamesRoundTrip) {
  EXPECT_EQ(ChannelFileStem("backend_to_frontend.json"), "backend_to_frontend");
  EXPECT_EQ(ReaderCursorFileName("backend_to_frontend", "main"), ".reader.backend_to_frontend.main.json");
  EXPECT_EQ(ReaderLockFileName("backend_to_frontend", "main"), ".reader.backend_to_frontend.main.lock");
  EXPECT_EQ(ClaimsFileName("backend_to_frontend"), ".claims.backend_to_frontend.json");
  EXPECT_EQ(ReaderNameOfCursorFile("backend_to_frontend", ".reader.backend_to_frontend.main.json"), "main");
  EXPECT_FALSE(ReaderNameOfCursorFile("backend_to_frontend", ".reader.backend_to_frontend.main.lock"));
  EXPECT_FALSE(ReaderNameOfCursorFile("frontend_to_backend", ".reader.backend_to_frontend.main.json"));
  EXPECT_FALSE(ReaderNameOfCursorFile("backend_to_frontend", ".reader.backend_to_frontend.a.b.json"));
}

TEST(ReaderCursorFile, ComposeAndParse) {
  ReaderCursor c{.pos = 9, .ids = {"a", "b\"c"}, .updated_ms = 1732500000000};
  std::string text = ComposeReaderCursor(c);
  EXPECT_EQ(text, "{\"pos\":9,\"ids\":[\"a\",\"b\\\"c\"],\"updated\":1732500000000}\n");
  auto parsed = ParseReaderCursor(text, "cursor");
  ASSERT_TRUE(parsed.ok()) << parsed.status();
  EXPECT_EQ(*parsed, c);
  for (const char* bad : {"", "[]", "{\"pos\":-1,\"ids\":[],\"updated\":0}", "{\"pos\":1,\"updated\":0}",
                          "{\"pos\":1,\"ids\":[1],\"updated\":0}", "{\"pos\":1.5,\"ids\":[],\"updated\":0}",
                          "{\"pos\":1,\"ids\":[],\"updated\":0"}) {
    auto r = ParseReaderCursor(bad, "/d/.reader.x.json");
    EXPECT_EQ(ErrorClassOf(r.status()), kErrCorrupt) << bad;
    EXPECT_TRUE(absl::StrContains(r.status().message(), "/d/.reader.x.json")) << r.status();
  }
}

TEST(ReaderCursorFile, ExpiresAfterTtl) {
  ReaderCursor c{.pos = 1, .ids = {}, .updated_ms = 1000};
  EXPECT_FALSE(CursorExpired(c, 1999, absl::Seconds(1)));
  EXPECT_TRUE(CursorExpired(c, 2000, absl::Seconds(1)));
  EXPECT_FALSE(CursorExpired(c, 500, absl::Seconds(1)));  // a clock behind the writer's
}

TEST(ClaimsFile, ComposeAndParse) {
  Claims claims = {{"r1", {"main", 42, 7}}, {"r2", {"", 43, 8}}};
  std::string text = ComposeClaims(claims);
  EXPECT_EQ(text, "{\"r1\":{\"reader\":\"main\",\"pid\":42,\"at\":7},\"r2\":{\"reader\":\"\",\"pid\":43,\"at\":8}}\n");
  auto parsed = ParseClaims(text, "claims");
  ASSERT_TRUE(parsed.ok()) << parsed.status();
  EXPECT_EQ(*parsed, claims);
  EXPECT_TRUE(ParseClaims("", "claims")->empty());
  EXPECT_TRUE(ParseClaims("{}\n", "claims")->empty());
  for (const char* bad : {"[]", "{\"r\":1}", "{\"r\":{\"reader\":\"a\",\"pid\":4294967296,\"at\":0}}",
                          "{\"r\":{\"reader\":1,\"pid\":1,\"at\":0}}",
                          "{\"r\":{\"reader\":\"a\",\"pid\":1,\"at\":0},\"r\":{\"reader\":\"a\",\"pid\":1,\"at\":0}}"}) {
    EXPECT_EQ(ErrorClassOf(ParseClaims(bad, "claims").status()), kErrCorrupt) << bad;
  }
}

std::vector<ScannedMessage> Scan(absl::string_view text) {
  auto s = ScanChannelFile(text, "reply");
  EXPECT_TRUE(s.ok()) << s.status();
  return s.ok() ? *s : std::vector<ScannedMessage>();
}

TEST(DecideClaim, AnsweredClaimedByLiveOtherOrClaimed) {
  const Claim mine{"tab2", 20, 100};
  const auto nobody_alive = [](const Claim&) { return false; };
  const auto all_alive = [](const Claim&) { return true; };
  const std::vector<ScannedMessage> replies =
      Scan("[{\"id\":\"x\",\"timestamp\":1,\"type\":\"response\",\"reply_to\":\"r1\",\"payload\":1}]");

  ClaimDecision answered = DecideClaim("r1", {}, {"r1"}, replies, mine, all_alive);
  EXPECT_EQ(answered.outcome, ClaimOutcome::kAnswered);

  const Claims held = {{"r2", {"tab1", 10, 50}}, {"gone", {"tab1", 10, 40}}};
  ClaimDecision other = DecideClaim("r2", held, {"r2"}, replies, mine, all_alive);
  EXPECT_EQ(other.outcome, ClaimOutcome::kClaimedByOther);
  ASSERT_TRUE(other.holder);
  EXPECT_EQ(other.holder->reader, "tab1");

  // C2: a dead claimant's claim is taken over; C4: "gone" left the request file.
  ClaimDecision taken = DecideClaim("r2", held, {"r2", "r3"}, replies, mine, nobody_alive);
  EXPECT_EQ(taken.outcome, ClaimOutcome::kClaimed);
  EXPECT_EQ(taken.claims, (Claims{{"r2", mine}}));

  // Our own earlier claim is ours, alive or not: by name (a restarted
  // instance has another pid), or for an anonymous reader by pid.
  ClaimDecision again = DecideClaim("r2", {{"r2", {"tab2", 19, 90}}}, {"r2"}, replies, mine, all_alive);
  EXPECT_EQ(again.outcome, ClaimOutcome::kClaimed);
  const Claim anonymous{"", 20, 100};
  EXPECT_EQ(DecideClaim("r2", {{"r2", {"", 20, 90}}}, {"r2"}, replies, anonymous, all_alive).outcome,
            ClaimOutcome::kClaimed);
  EXPECT_EQ(DecideClaim("r2", {{"r2", {"", 21, 90}}}, {"r2"}, replies, anonymous, all_alive).outcome,
            ClaimOutcome::kClaimedByOther);
}

}  // namespace
}  // namespace ipckit
