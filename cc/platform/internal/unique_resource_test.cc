#include "cc/platform/internal/unique_resource.h"

#include <utility>
#include <vector>

#include "gtest/gtest.h"

namespace ipckit {
namespace platform {
namespace internal {
namespace {

// A policy over plain numbers that records every close, with two values that
// mean "none" (as null and INVALID_HANDLE_VALUE both do for a HANDLE).
std::vector<int>* closed = nullptr;

struct FakePolicy {
  using Handle = int;
  static constexpr int kNone = 0;
  static bool IsValid(int h) { return h != kNone && h != -1; }
  static void Close(int h) { closed->push_back(h); }
};
using Owner = UniqueResource<FakePolicy>;

class UniqueResourceTest : public ::testing::Test {
 protected:
  void SetUp() override { closed = &closes_; }
  void TearDown() override { closed = nullptr; }
  std::vector<int> closes_;
};

TEST_F(UniqueResourceTest, ClosesOnceOnScopeExit) {
  {
    Owner r(7);
    EXPECT_TRUE(r.valid());
    EXPECT_EQ(r.get(), 7);
  }
  EXPECT_EQ(closes_, std::vector<int>{7});
}

TEST_F(UniqueResourceTest, EmptyAndSecondNoneValueAreNotClosed) {
  {
    Owner none;
    EXPECT_FALSE(none.valid());
    EXPECT_EQ(none.get(), FakePolicy::kNone);
    Owner minus_one(-1);
    EXPECT_FALSE(minus_one.valid());
  }
  EXPECT_TRUE(closes_.empty());
}

TEST_F(UniqueResourceTest, MoveTransfersOwnership) {
  {
    Owner a(3);
    Owner b(std::move(a));
    EXPECT_FALSE(a.valid());  // NOLINT(bugprone-use-after-move): moved-from is empty by contract
    EXPECT_EQ(b.get(), 3);
    Owner c(5);
    c = std::move(b);  // closes 5, takes 3
    EXPECT_EQ(closes_, std::vector<int>{5});
    EXPECT_EQ(c.get(), 3);
    Owner& same = c;
    c = std::move(same);  // self-move keeps it
    EXPECT_EQ(c.get(), 3);
  }
  EXPECT_EQ(closes_, (std::vector<int>{5, 3}));
}

TEST_F(UniqueResourceTest, ReleaseGivesUpWithoutClosing) {
  Owner r(9);
  EXPECT_EQ(r.release(), 9);
  EXPECT_FALSE(r.valid());
  EXPECT_EQ(r.get(), FakePolicy::kNone);
  r.reset();
  EXPECT_TRUE(closes_.empty());
}

TEST_F(UniqueResourceTest, ResetClosesTheOldAndTakesTheNew) {
  Owner r(1);
  r.reset(2);
  EXPECT_EQ(closes_, std::vector<int>{1});
  EXPECT_EQ(r.get(), 2);
  r.reset();
  EXPECT_EQ(closes_, (std::vector<int>{1, 2}));
  EXPECT_FALSE(r.valid());
}

}  // namespace
}  // namespace internal
}  // namespace platform
}  // namespace ipckit
