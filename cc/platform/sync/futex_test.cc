#include "cc/platform/sync/futex.h"

#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <new>

#include "absl/time/clock.h"
#include "cc/base/error.h"
#include "gtest/gtest.h"

namespace ipckit {
namespace platform {
namespace {

// A word in a MAP_SHARED mapping, inherited across fork like a shm segment.
class SharedWord {
 public:
  SharedWord() {
    void* p = ::mmap(nullptr, 4096, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
    word_ = new (p) std::atomic<uint32_t>(0);
  }
  ~SharedWord() { ::munmap(word_, 4096); }
  std::atomic<uint32_t>* get() { return word_; }

 private:
  std::atomic<uint32_t>* word_;
};

TEST(FutexTest, ReturnsAtOnceWhenTheWordDiffers) {
  SharedWord w;
  w.get()->store(7);
  absl::Time start = absl::Now();
  EXPECT_TRUE(FutexWait(w.get(), 6, absl::Seconds(10)).ok());
  EXPECT_LT(absl::Now() - start, absl::Seconds(5));
}

TEST(FutexTest, TimesOut) {
  SharedWord w;
  absl::Time start = absl::Now();
  absl::Status s = FutexWait(w.get(), 0, absl::Milliseconds(30));
  EXPECT_EQ(ErrorClassOf(s), "timeout") << s;
  EXPECT_GE(absl::Now() - start, absl::Milliseconds(29));
  EXPECT_EQ(ErrorClassOf(FutexWait(w.get(), 0, absl::ZeroDuration())), "timeout");
}

TEST(FutexTest, WakesNobodyWhenNobodySleeps) {
  SharedWord w;
  EXPECT_EQ(FutexWake(w.get(), 1), 0);
}

// A child process sleeps on the word; the parent wakes it. FutexWake reports
// 1 only once the child is really asleep, so the test does not depend on
// scheduling: the parent retries the wake until it lands.
TEST(FutexTest, WakesASleeperInAnotherProcess) {
  SharedWord w;
  pid_t pid = ::fork();
  ASSERT_GE(pid, 0);
  if (pid == 0) {
    absl::Status s = FutexWait(w.get(), 0, absl::Seconds(20));
    ::_exit(s.ok() ? 0 : 1);
  }
  absl::Time give_up = absl::Now() + absl::Seconds(15);
  int woken = 0;
  while (woken == 0 && absl::Now() < give_up) {
    woken = FutexWake(w.get(), 1);
    if (woken == 0) absl::SleepFor(absl::Milliseconds(1));
  }
  EXPECT_EQ(woken, 1);
  int status = 0;
  ASSERT_EQ(::waitpid(pid, &status, 0), pid);
  EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0) << status;
}

}  // namespace
}  // namespace platform
}  // namespace ipckit
