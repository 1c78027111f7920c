// The Windows futex seam (a poll of the word, internal/poll_words.h): what
// futex_test checks on Linux that holds for a poll, with threads in place of
// fork. Across processes: cc/shm_msg's crash_test under Wine.
#include <atomic>
#include <climits>
#include <cstdio>
#include <thread>
#include <vector>

#include "absl/time/clock.h"
#include "cc/base/error.h"
#include "cc/platform/sync/futex.h"
#include "cc/platform/sync/wait_any.h"
#include "gtest/gtest.h"

namespace ipckit {
namespace platform {
namespace {

TEST(FutexWinTest, ReturnsAtOnceWhenTheWordDiffers) {
  std::atomic<uint32_t> word{7};
  const absl::Time start = absl::Now();
  EXPECT_TRUE(FutexWait(&word, 6, absl::Seconds(10)).ok());
  EXPECT_LT(absl::Now() - start, absl::Seconds(5));
}

TEST(FutexWinTest, TimesOut) {
  std::atomic<uint32_t> word{0};
  const absl::Time start = absl::Now();
  absl::Status s = FutexWait(&word, 0, absl::Milliseconds(30));
  EXPECT_EQ(ErrorClassOf(s), "timeout") << s;
  EXPECT_GE(absl::Now() - start, absl::Milliseconds(29));
  EXPECT_LT(absl::Now() - start, absl::Seconds(5));
  EXPECT_EQ(ErrorClassOf(FutexWait(&word, 0, absl::ZeroDuration())), "timeout");
}

TEST(FutexWinTest, WakeIsANoOp) {
  std::atomic<uint32_t> word{0};
  EXPECT_EQ(FutexWake(&word, INT_MAX), 0);
  EXPECT_EQ(word.load(), 0u);
}

// Whether the store lands before or during the wait, the waiter sees it and
// returns OK long before its 10 s timeout.
TEST(FutexWinTest, SeesAChangeFromAnotherThread) {
  std::atomic<uint32_t> word{0};
  absl::Status waited;
  absl::Duration took;
  std::thread waiter([&] {
    const absl::Time start = absl::Now();
    waited = FutexWait(&word, 0, absl::Seconds(10));
    took = absl::Now() - start;
  });
  word.fetch_add(1);
  FutexWake(&word, INT_MAX);
  waiter.join();
  EXPECT_TRUE(waited.ok()) << waited;
  EXPECT_LT(took, absl::Seconds(5));
}

// For the record, not asserted: how late a waiter that has reached its 1 ms
// sleeps sees a change (the 100 ms pause only makes that likely; the test's
// outcome does not depend on it).
TEST(FutexWinTest, ReportsTheWakeUpLatencyOfASleepingWaiter) {
  std::atomic<uint32_t> word{0};
  absl::Status waited;
  absl::Time returned;
  std::thread waiter([&] {
    waited = FutexWait(&word, 0, absl::Seconds(10));
    returned = absl::Now();
  });
  absl::SleepFor(absl::Milliseconds(100));
  const absl::Time changed = absl::Now();
  word.fetch_add(1);
  waiter.join();
  EXPECT_TRUE(waited.ok()) << waited;
  std::printf("wake-up latency: %s\n", absl::FormatDuration(returned - changed).c_str());
}

TEST(WaitAnyWinTest, ReturnsWhenAnyWordChanges) {
  std::atomic<uint32_t> a{0}, b{0};
  const std::vector<FutexWaitItem> words = {{&a, 0}, {&b, 0}};
  absl::Status waited;
  std::thread waiter([&] { waited = WaitAny(words, {}, absl::Seconds(10)); });
  b.fetch_add(1);
  waiter.join();
  EXPECT_TRUE(waited.ok()) << waited;
}

TEST(WaitAnyWinTest, TimesOut) {
  std::atomic<uint32_t> a{0};
  const std::vector<FutexWaitItem> words = {{&a, 0}};
  const absl::Time start = absl::Now();
  absl::Status s = WaitAny(words, {}, absl::Milliseconds(30));
  EXPECT_EQ(ErrorClassOf(s), "timeout") << s;
  EXPECT_GE(absl::Now() - start, absl::Milliseconds(29));
}

TEST(WaitAnyWinTest, RefusesFdsAndTooManyWords) {
  std::atomic<uint32_t> a{0};
  const std::vector<FutexWaitItem> one = {{&a, 0}};
  const int fds[] = {0};
  EXPECT_EQ(WaitAny(one, fds, absl::Milliseconds(10)).code(), absl::StatusCode::kUnimplemented);
  EXPECT_EQ(ReadableNow(fds), std::vector<bool>{false});
  const std::vector<FutexWaitItem> many(kMaxWaitWords + 1, FutexWaitItem{&a, 0});
  EXPECT_EQ(ErrorClassOf(WaitAny(many, {}, absl::Milliseconds(10))), "invalid_argument");
}

}  // namespace
}  // namespace platform
}  // namespace ipckit
