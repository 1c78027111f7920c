#include "cc/base/deadline.h"

#include "gtest/gtest.h"

namespace ipckit {
namespace {

TEST(DeadlineTest, InfiniteNeverExpires) {
  Deadline d = Deadline::After(absl::InfiniteDuration());
  EXPECT_TRUE(d.IsInfinite());
  EXPECT_FALSE(d.Expired());
  EXPECT_EQ(d.PollTimeoutMs(), -1);
}

TEST(DeadlineTest, ZeroAndNegativeExpireAtOnce) {
  EXPECT_TRUE(Deadline::After(absl::ZeroDuration()).Expired());
  EXPECT_TRUE(Deadline::After(absl::Seconds(-3)).Expired());
  EXPECT_EQ(Deadline::After(absl::Seconds(-3)).PollTimeoutMs(), 0);
}

TEST(DeadlineTest, PollTimeoutRoundsUp) {
  Deadline d = Deadline::After(absl::Milliseconds(1500));
  EXPECT_GE(d.PollTimeoutMs(), 1400);
  EXPECT_LE(d.PollTimeoutMs(), 1500);
  EXPECT_FALSE(d.Expired());
}

}  // namespace
}  // namespace ipckit
