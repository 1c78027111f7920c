// Many writer processes on one channel file: every message arrives exactly
// once, in per-writer order, including bursts within one millisecond.
#include <cstdio>
#include <map>
#include <set>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "cc/base/error.h"
#include "cc/file_channel/file_channel.h"
#include "cc/file_channel/message.h"
#include "cc/file_channel/test_util.h"
#include "gtest/gtest.h"
#include "rapidjson/document.h"

namespace ipckit {
namespace {

using ::ipckit::testing::FastScratchBase;
using ::ipckit::testing::PeerProcess;
using ::ipckit::testing::RemoveTree;
using ::ipckit::testing::ScratchPath;

struct StressCase {
  bool polling;
  int writers;
  int per_writer;
};

class StressTest : public ::testing::TestWithParam<StressCase> {
 protected:
  void SetUp() override {
    // Every send rewrites the whole file (the format requires it), so 4000
    // messages mean ~1.5 GB of file writes; on tmpfs that takes seconds, on a
    // disk with online discard several times longer. The protocol is the same.
    dir_ = ScratchPath("stress", FastScratchBase());
  }
  void TearDown() override { RemoveTree(dir_); }
  std::string dir_;
};

TEST_P(StressTest, EveryMessageArrivesExactlyOnceInPerWriterOrder) {
  const StressCase& c = GetParam();
  FileChannelOptions options;
  options.force_polling = c.polling;
  auto backend_or = FileChannel::Backend(dir_, options);
  ASSERT_TRUE(backend_or.ok()) << backend_or.status();
  FileChannel& backend = *backend_or;
  std::vector<PeerProcess> writers;
  for (int w = 0; w < c.writers; ++w) {
    std::vector<std::string> args = {"burst", dir_, absl::StrCat(w), absl::StrCat(c.per_writer)};
    if (c.polling) args.push_back("--polling");
    writers.push_back(PeerProcess::Start(args));
    ASSERT_TRUE(writers.back().started());
  }

  const size_t total = static_cast<size_t>(c.writers) * c.per_writer;
  absl::Time start = absl::Now();
  std::vector<FileMessage> got;
  int reads = 0;
  absl::Time deadline = start + absl::Seconds(120);
  while (got.size() < total && absl::Now() < deadline) {
    absl::Status waited = backend.WaitForMessages(absl::Seconds(5));
    if (ErrorClassOf(waited) == kErrTimeout) continue;
    ASSERT_TRUE(waited.ok()) << waited;
    auto batch = backend.Recv();
    ASSERT_TRUE(batch.ok()) << batch.status();
    ++reads;
    for (FileMessage& m : *batch) got.push_back(std::move(m));
  }
  absl::Duration elapsed = absl::Now() - start;
  for (PeerProcess& p : writers) EXPECT_EQ(p.Wait(absl::Seconds(30)), 0);
  // Anything beyond `total` would be a duplicate.
  auto extra = backend.Recv();
  ASSERT_TRUE(extra.ok());
  EXPECT_TRUE(extra->empty());

  ASSERT_EQ(got.size(), total);
  std::set<std::string> ids;
  std::map<std::string, std::vector<const FileMessage*>> by_sender;
  std::map<int, int> next_i;
  for (const FileMessage& m : got) {
    EXPECT_TRUE(ids.insert(m.id).second) << "duplicate id " << m.id;
    ASSERT_TRUE(m.sender.has_value());
    by_sender[*m.sender].push_back(&m);
    rapidjson::Document payload;
    payload.Parse(m.payload_json.c_str());
    ASSERT_TRUE(payload.IsObject() && payload.HasMember("writer") && payload.HasMember("i")) << m.payload_json;
    int w = payload["writer"].GetInt();
    int i = payload["i"].GetInt();
    // Per-writer order: each writer's messages arrive as 0, 1, 2, ...
    EXPECT_EQ(i, next_i[w]) << "writer " << w;
    next_i[w] = i + 1;
  }
  ASSERT_EQ(by_sender.size(), static_cast<size_t>(c.writers));
  size_t same_ms = 0;
  for (const auto& [sender, messages] : by_sender) {
    for (size_t k = 0; k < messages.size(); ++k) {
      EXPECT_EQ(messages[k]->seq, k + 1);
      if (k > 0 && messages[k]->timestamp_ms == messages[k - 1]->timestamp_ms) ++same_ms;
    }
  }
  // The bursts must really contain same-millisecond sends (ipckit 0.1 repeats those).
  EXPECT_GT(same_ms, 0u);
  std::printf("%d writers x %d messages (%s, %s): all received in %s over %d reads; %zu shared a ms "
              "with the writer's previous message\n",
              c.writers, c.per_writer, c.polling ? "polling" : "inotify", dir_.c_str(),
              absl::FormatDuration(elapsed).c_str(), reads, same_ms);
}

INSTANTIATE_TEST_SUITE_P(Writers, StressTest,
                         ::testing::Values(StressCase{false, 4, 1000}, StressCase{true, 4, 250}),
                         [](const auto& info) {
                           return absl::StrCat(info.param.polling ? "Polling" : "Inotify", "_",
                                               info.param.writers, "x", info.param.per_writer);
                         });

}  // namespace
}  // namespace ipckit
