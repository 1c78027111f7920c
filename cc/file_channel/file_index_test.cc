#include "cc/file_channel/file_index.h"

#include <random>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "cc/base/error.h"
#include "cc/file_channel/message.h"
#include "gtest/gtest.h"

namespace ipckit {
namespace {

std::string Msg(int n) {
  return absl::StrCat("{\"id\":\"id-", n, "\",\"timestamp\":", 1000 + n, ",\"type\":\"event\",\"payload\":{\"n\":", n,
                      "}}");
}

std::string OurFile(int first, int last) {  // messages first..last-1, our layout
  std::vector<std::string> texts;
  for (int i = first; i < last; ++i) texts.push_back(Msg(i));
  std::vector<absl::string_view> views(texts.begin(), texts.end());
  return ComposeChannelFile(views);
}

// The index must always equal a full scan of the committed text.
void ExpectMatchesFullScan(const ChannelFileIndex& index) {
  auto full = ScanChannelFile(index.text(), "f");
  ASSERT_TRUE(full.ok()) << full.status();
  ASSERT_EQ(full->size(), index.messages().size());
  for (size_t i = 0; i < full->size(); ++i) {
    const ScannedMessage& a = (*full)[i];
    const ScannedMessage& b = index.messages()[i];
    EXPECT_EQ(a.begin, b.begin) << i;
    EXPECT_EQ(a.end, b.end) << i;
    EXPECT_EQ(a.payload_begin, b.payload_begin) << i;
    EXPECT_EQ(a.payload_end, b.payload_end) << i;
    EXPECT_EQ(a.message, b.message) << i;
  }
}

TEST(ChannelFileIndex, AppendAndPruneAreIncremental) {
  ChannelFileIndex index;
  auto u = index.Prepare(OurFile(0, 5), "f");
  ASSERT_TRUE(u.ok());
  EXPECT_FALSE(u->incremental);  // nothing to build on yet
  index.Commit(*std::move(u));
  ExpectMatchesFullScan(index);

  u = index.Prepare(OurFile(0, 8), "f");  // appended 3
  ASSERT_TRUE(u.ok());
  EXPECT_TRUE(u->incremental);
  EXPECT_EQ(u->pruned, 0u);
  EXPECT_EQ(u->tail.size(), 3u);
  index.Commit(*std::move(u));
  ExpectMatchesFullScan(index);

  u = index.Prepare(OurFile(2, 10), "f");  // pruned 2, appended 2
  ASSERT_TRUE(u.ok());
  EXPECT_TRUE(u->incremental);
  EXPECT_EQ(u->pruned, 2u);
  EXPECT_EQ(u->tail.size(), 2u);
  index.Commit(*std::move(u));
  ExpectMatchesFullScan(index);

  u = index.Prepare(OurFile(2, 10), "f");  // unchanged
  ASSERT_TRUE(u.ok());
  EXPECT_TRUE(u->incremental);
  EXPECT_TRUE(u->tail.empty());
  index.Commit(*std::move(u));
  ExpectMatchesFullScan(index);

  u = index.Prepare(OurFile(20, 22), "f");  // everything replaced
  ASSERT_TRUE(u.ok());
  EXPECT_FALSE(u->incremental);
  index.Commit(*std::move(u));
  ExpectMatchesFullScan(index);

  u = index.Prepare("", "f");  // emptied
  ASSERT_TRUE(u.ok());
  index.Commit(*std::move(u));
  EXPECT_TRUE(index.messages().empty());
}

TEST(ChannelFileIndex, InvalidContinuationsAreStillRejected) {
  ChannelFileIndex index;
  index.Commit(*index.Prepare(OurFile(0, 3), "f"));
  const std::string block = OurFile(0, 3).substr(0, OurFile(0, 3).size() - 3);  // without "\n]\n"
  for (const std::string& bad : {block + ",]", block + ",\n" + Msg(3), block + "]x", block + ",\n{\"id\":1}]",
                                 block + ",\n" + Msg(3) + ",\n" + Msg(3).substr(0, 10)}) {
    auto u = index.Prepare(bad, "/d/f.json");
    ASSERT_FALSE(u.ok()) << bad;
    EXPECT_EQ(ErrorClassOf(u.status()), "corrupt") << bad;
    // The same error as a full scan, offsets included.
    EXPECT_EQ(u.status().message(), ScanChannelFile(bad, "/d/f.json").status().message());
  }
  ExpectMatchesFullScan(index);  // unchanged by the failures
}

TEST(ChannelFileIndex, RandomHistoriesMatchFullScans) {
  std::mt19937 rng(12345);
  ChannelFileIndex index;
  int first = 0, last = 0;
  for (int step = 0; step < 300; ++step) {
    int action = rng() % 10;
    if (action < 6) {
      last += 1 + rng() % 4;
    } else if (action < 8) {
      first = std::min(last, first + static_cast<int>(rng() % 5));
    } else if (action < 9) {
      last += 1;
      first = std::min(last, first + 1);
    }
    std::string text = OurFile(first, last);
    if (action == 9) {
      // A foreign layout: pretty separators, same messages.
      text = absl::StrCat("[ ", OurFile(first, last).substr(1));
      for (size_t p = text.find(",\n"); p != std::string::npos; p = text.find(",\n", p + 3)) text.insert(p + 1, " ");
    }
    auto u = index.Prepare(text, "f");
    ASSERT_TRUE(u.ok()) << u.status();
    index.Commit(*std::move(u));
    ExpectMatchesFullScan(index);
    ASSERT_EQ(index.messages().size(), static_cast<size_t>(last - first));
  }
}

}  // namespace
}  // namespace ipckit
