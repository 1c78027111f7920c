#include "cc/platform/sync/wait_any.h"

#include <unistd.h>

#include <atomic>
#include <climits>
#include <thread>

#include "absl/time/clock.h"
#include "cc/base/error.h"
#include "cc/platform/io/fd_io.h"
#include "cc/platform/sync/futex.h"
#include "gtest/gtest.h"

namespace ipckit {
namespace platform {
namespace {

struct Pipe {
  fd_io::PipeFds fds = *fd_io::MakePipe();
  int r = fds.reader.get();
  int w = fds.writer.get();
};

// Changes `word` and wakes it from another thread; whether the waiter is
// already asleep or not yet, it must return OK (no race decides the result).
void BumpFromThread(std::atomic<uint32_t>* word) {
  std::thread([word] {
    word->fetch_add(1);
    FutexWake(word, INT_MAX);
  }).join();
}

TEST(WaitAnyTest, TimesOutWhenNothingHappens) {
  std::atomic<uint32_t> a{0}, b{0};
  Pipe p;
  FutexWaitItem words[] = {{&a, 0}, {&b, 0}};
  const int fds[] = {p.r};
  for (int round = 0; round < 3; ++round) {
    const absl::Time start = absl::Now();
    absl::Status s = round == 0   ? WaitAny(words, {}, absl::Milliseconds(30))
                     : round == 1 ? WaitAny({}, fds, absl::Milliseconds(30))
                                  : WaitAny(words, fds, absl::Milliseconds(30));
    EXPECT_EQ(ErrorClassOf(s), "timeout") << round << s;
    EXPECT_GE(absl::Now() - start, absl::Milliseconds(29)) << round;
  }
}

TEST(WaitAnyTest, ASecondWordThatChangedEndsTheWait) {
  std::atomic<uint32_t> a{0}, b{0};
  BumpFromThread(&b);
  FutexWaitItem words[] = {{&a, 0}, {&b, 0}};
  EXPECT_TRUE(WaitAny(words, {}, absl::Seconds(30)).ok());
}

TEST(WaitAnyTest, AWordWakesTheWaiterWhileItSleeps) {
  std::atomic<uint32_t> a{0}, b{0};
  Pipe p;
  const int fds[] = {p.r};
  std::thread waker([&] { BumpFromThread(&b); });
  FutexWaitItem words[] = {{&a, 0}, {&b, 0}};
  // The wake comes before or during the sleep; either way OK, never timeout.
  EXPECT_TRUE(WaitAny(words, fds, absl::Seconds(30)).ok());
  waker.join();
  EXPECT_FALSE(ReadableNow(fds)[0]);
}

TEST(WaitAnyTest, AReadableFdEndsTheWait) {
  std::atomic<uint32_t> a{0};
  Pipe idle, p;
  ASSERT_EQ(::write(p.w, "x", 1), 1);
  FutexWaitItem words[] = {{&a, 0}};
  const int fds[] = {idle.r, p.r};
  EXPECT_TRUE(WaitAny(words, fds, absl::Seconds(30)).ok());
  EXPECT_TRUE(WaitAny({}, fds, absl::Seconds(30)).ok());
  const std::vector<bool> ready = ReadableNow(fds);
  EXPECT_FALSE(ready[0]);
  EXPECT_TRUE(ready[1]);
}

TEST(WaitAnyTest, TooManyWordsIsRefused) {
  std::vector<std::atomic<uint32_t>> storage(kMaxWaitWords + 1);
  std::vector<FutexWaitItem> words;
  for (auto& w : storage) words.push_back({&w, 0});
  EXPECT_EQ(ErrorClassOf(WaitAny(words, {}, absl::Seconds(1))), "invalid_argument");
}

}  // namespace
}  // namespace platform
}  // namespace ipckit
