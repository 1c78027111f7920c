// The wake protocol of spec/shm_messaging.md "Waking": a waker's WakeMemo
// skips a wake only while nobody can have gone to sleep since its last one.
#include "cc/shm_msg/internal/wait.h"

#include <atomic>
#include <cstdint>
#include <thread>

#include "absl/status/status.h"
#include "absl/time/time.h"
#include "gtest/gtest.h"

namespace ipckit {
namespace shm_msg {
namespace internal {
namespace {

// Long enough that only a lost wake-up runs it out.
constexpr absl::Duration kLostWake = absl::Seconds(20);

struct Word {
  std::atomic<uint32_t> word{0};
  std::atomic<uint32_t> sleepers{0};
};

// One sleeper on `w` until `flag`; the waker sets the flag and notifies once
// the sleeper has counted itself in and bumped the word. Returns the
// sleeper's status.
absl::Status SleepAndWake(Word& w, WakeMemo* memo) {
  std::atomic<bool> flag{false};
  absl::Status slept;
  const uint32_t start = w.word.load();
  std::thread sleeper([&] {
    slept = SleepOnce(&w.word, &w.sleepers, kLostWake, [&] { return flag.load(); });
  });
  // Wait for the sleeper to count itself in and bump the word.
  while (w.sleepers.load() == 0 || w.word.load() == start) std::this_thread::yield();
  flag.store(true);
  Notify(&w.word, &w.sleepers, memo);
  sleeper.join();
  return slept;
}

TEST(WakeTest, NotifyWakesASleeper) {
  Word w;
  EXPECT_TRUE(SleepAndWake(w, nullptr).ok());
}

TEST(WakeTest, MemoStillWakesASleeperThatCameAfterTheLastWake) {
  Word w;
  // The memo as a wake leaves it. (Not primed by a real wake: whether the
  // notifier still sees that sleeper asleep, and so records a memo, is a race.)
  WakeMemo memo{true, w.word.load()};
  // Notifies with nobody asleep: the memo follows the word.
  Notify(&w.word, &w.sleepers, &memo);
  Notify(&w.word, &w.sleepers, &memo);
  // A new sleeper bumps the word, so the memo must not skip its wake.
  EXPECT_TRUE(SleepAndWake(w, &memo).ok());
  EXPECT_TRUE(SleepAndWake(w, &memo).ok());
}

TEST(WakeTest, MemoSkipsOnlyWhileTheWordMovedByItsOwnBumps) {
  Word w;
  WakeMemo memo;
  ASSERT_TRUE(SleepAndWake(w, &memo).ok());
  const uint32_t after = memo.after;
  EXPECT_EQ(after, w.word.load());
  w.sleepers.store(1);  // a sleeper that was woken and has not counted out yet
  Notify(&w.word, &w.sleepers, &memo);
  EXPECT_EQ(memo.after, after + 1);  // skipped: that sleeper was woken already
  w.word.fetch_add(1);               // someone else (a sleeper) bumped the word
  Notify(&w.word, &w.sleepers, &memo);
  EXPECT_EQ(memo.after, after + 3);  // woke again, and remembers that wake
  w.sleepers.store(0);
}

TEST(WakeTest, SleepOnceTimesOutWhenNobodyWakes) {
  Word w;
  absl::Status slept = SleepOnce(&w.word, &w.sleepers, absl::Milliseconds(1), [] { return false; });
  EXPECT_EQ(slept.code(), absl::StatusCode::kDeadlineExceeded) << slept;
  EXPECT_EQ(w.sleepers.load(), 0u);
  EXPECT_EQ(w.word.load(), 1u);  // the sleeper bumped it
}

}  // namespace
}  // namespace internal
}  // namespace shm_msg
}  // namespace ipckit
