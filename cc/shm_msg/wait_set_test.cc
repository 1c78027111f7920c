#include "cc/shm_msg/wait_set.h"

#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <string>
#include <vector>

#include "absl/time/clock.h"
#include "cc/base/error.h"
#include "cc/platform/io/fd_io.h"
#include "cc/shm_msg/event.h"
#include "cc/shm_msg/publisher.h"
#include "cc/shm_msg/subscriber.h"
#include "cc/shm_msg/test_util.h"
#include "gtest/gtest.h"

namespace ipckit {
namespace shm_msg {
namespace {

using Indices = std::vector<size_t>;

// A pipe from the platform seam, ends blocking (the child reads its steps).
struct Pipe {
  fd_io::PipeFds fds = *fd_io::MakePipe();
  int r = fds.reader.get();
  int w = fds.writer.get();
  Pipe() { EXPECT_TRUE(fd_io::SetNonBlocking(r, false).ok()); }
};

char ReadByte(int fd) {
  char c = 0;
  return ::read(fd, &c, 1) == 1 ? c : 0;
}

// The child: a publisher on `topic` and a notifier on `events`, each step
// done when the parent sends a byte on `go`; then it waits to be killed.
[[noreturn]] void RunChild(const std::string& topic, const std::string& events, int go, int data) {
  absl::StatusOr<Publisher> pub = Publisher::Create(topic, ServiceConfig());
  absl::StatusOr<Notifier> notifier = Notifier::Create(events);
  if (!pub.ok() || !notifier.ok()) ::_exit(1);
  ReadByte(go);
  if (!pub->SendCopy("hello").ok()) ::_exit(2);
  ReadByte(go);
  if (!notifier->Notify(7).ok()) ::_exit(3);
  ReadByte(go);
  if (::write(data, "d", 1) != 1) ::_exit(4);
  while (true) ::pause();
}

TEST(WaitSetTest, WakesOnASampleAnEventAnFdAndAKilledPublisher) {
  const std::string topic = testing::UniqueServiceName("waitset_topic");
  const std::string events = testing::UniqueServiceName("waitset_events");
  absl::StatusOr<Subscriber> sub = Subscriber::Create(topic, ServiceConfig());
  absl::StatusOr<Listener> listener = Listener::Create(events);
  ASSERT_TRUE(sub.ok() && listener.ok());
  Pipe go, data;
  const pid_t child = ::fork();
  ASSERT_GE(child, 0);
  if (child == 0) RunChild(topic, events, go.r, data.w);

  WaitSet set;
  EXPECT_EQ(set.Add(*sub), 0u);
  EXPECT_EQ(set.Add(*listener), 1u);
  EXPECT_EQ(set.AddFd(data.r), 2u);
  // Each step is started by us, so whether the wait is already asleep when it
  // happens decides nothing: the result is the same either way.
  ASSERT_EQ(::write(go.w, "g", 1), 1);
  absl::StatusOr<std::vector<size_t>> ready = set.Wait(absl::Seconds(30));
  ASSERT_TRUE(ready.ok()) << ready.status();
  EXPECT_EQ(*ready, Indices({0u}));
  absl::StatusOr<Sample> sample = sub->Receive(absl::ZeroDuration());
  ASSERT_TRUE(sample.ok()) << sample.status();
  EXPECT_EQ(sample->view(), "hello");
  sample->Release();

  ASSERT_EQ(::write(go.w, "g", 1), 1);
  ready = set.Wait(absl::Seconds(30));
  ASSERT_TRUE(ready.ok()) << ready.status();
  EXPECT_EQ(*ready, Indices({1u}));
  absl::StatusOr<uint64_t> id = listener->Wait(absl::ZeroDuration());
  ASSERT_TRUE(id.ok()) << id.status();
  EXPECT_EQ(*id, 7u);

  ASSERT_EQ(::write(go.w, "g", 1), 1);
  ready = set.Wait(absl::Seconds(30));
  ASSERT_TRUE(ready.ok()) << ready.status();
  EXPECT_EQ(*ready, Indices({2u}));
  EXPECT_EQ(ReadByte(data.r), 'd');

  // Killed: both services lose their publisher, seen by the liveness check.
  ASSERT_EQ(::kill(child, SIGKILL), 0);
  int status = 0;
  ASSERT_EQ(::waitpid(child, &status, 0), child);
  ready = set.Wait(absl::Seconds(30));
  ASSERT_TRUE(ready.ok()) << ready.status();
  EXPECT_EQ(*ready, Indices({0u, 1u}));
  EXPECT_EQ(ErrorClassOf(sub->Receive(absl::ZeroDuration()).status()), "peer_closed");
  EXPECT_EQ(ErrorClassOf(listener->Wait(absl::ZeroDuration()).status()), "peer_closed");
}

TEST(WaitSetTest, TimesOutWhenNothingIsReady) {
  const std::string topic = testing::UniqueServiceName("waitset_idle");
  absl::StatusOr<Subscriber> sub = Subscriber::Create(topic, ServiceConfig());
  absl::StatusOr<Publisher> pub = Publisher::Create(topic, ServiceConfig());
  ASSERT_TRUE(sub.ok() && pub.ok());
  Pipe idle;
  WaitSet set;
  set.Add(*sub);
  set.AddFd(idle.r);
  const absl::Time start = absl::Now();
  EXPECT_EQ(ErrorClassOf(set.Wait(absl::Milliseconds(250)).status()), "timeout");
  EXPECT_GE(absl::Now() - start, absl::Milliseconds(249));
  // A sample already queued is ready at once, with no sleep.
  ASSERT_TRUE(pub->SendCopy("x").ok());
  absl::StatusOr<std::vector<size_t>> ready = set.Wait(absl::ZeroDuration());
  ASSERT_TRUE(ready.ok()) << ready.status();
  EXPECT_EQ(*ready, Indices({0u}));
}

TEST(WaitSetTest, AnEmptySetIsRefused) {
  WaitSet set;
  EXPECT_EQ(ErrorClassOf(set.Wait(absl::Seconds(1)).status()), "invalid_argument");
}

}  // namespace
}  // namespace shm_msg
}  // namespace ipckit
