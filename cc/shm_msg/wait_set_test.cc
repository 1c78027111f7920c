#include "cc/shm_msg/wait_set.h"

#include <string>
#include <vector>

#include "absl/time/clock.h"
#include "cc/base/error.h"
#include "cc/platform/io/fd_io.h"
#include "cc/platform/testing/forked_child.h"
#include "cc/shm_msg/event.h"
#include "cc/shm_msg/publisher.h"
#include "cc/shm_msg/subscriber.h"
#include "cc/shm_msg/test_util.h"
#include "gtest/gtest.h"

namespace ipckit {
namespace shm_msg {
namespace {

using Indices = std::vector<size_t>;

// A pipe from the platform seam that nobody writes to.
struct Pipe {
  fd_io::PipeFds fds = *fd_io::MakePipe();
  int r = fds.reader.get();
};

// The child: a publisher on `topic` and a notifier on `events`, each step
// done when the parent sends a byte; the last step sends a byte back (the fd
// in the wait set); then it waits to be killed.
int RunChild(const std::string& topic, const std::string& events, platform::ForkedChild& self) {
  absl::StatusOr<Publisher> pub = Publisher::Create(topic, ServiceConfig());
  absl::StatusOr<Notifier> notifier = Notifier::Create(events);
  if (!pub.ok() || !notifier.ok()) return 1;
  self.Receive(absl::InfiniteDuration());
  if (!pub->SendCopy("hello").ok()) return 2;
  self.Receive(absl::InfiniteDuration());
  if (!notifier->Notify(7).ok()) return 3;
  self.Receive(absl::InfiniteDuration());
  if (!self.Send('d')) return 4;
  self.Receive(absl::InfiniteDuration());  // until killed, or the test ends
  return 0;
}

TEST(WaitSetTest, WakesOnASampleAnEventAnFdAndAKilledPublisher) {
  const std::string topic = testing::UniqueServiceName("waitset_topic");
  const std::string events = testing::UniqueServiceName("waitset_events");
  absl::StatusOr<Subscriber> sub = Subscriber::Create(topic, ServiceConfig());
  absl::StatusOr<Listener> listener = Listener::Create(events);
  ASSERT_TRUE(sub.ok() && listener.ok());
  absl::StatusOr<platform::ForkedChild> child = platform::ForkedChild::Start(
      [&](platform::ForkedChild& self) { return RunChild(topic, events, self); });
  ASSERT_TRUE(child.ok()) << child.status();

  WaitSet set;
  EXPECT_EQ(set.Add(*sub), 0u);
  EXPECT_EQ(set.Add(*listener), 1u);
  EXPECT_EQ(set.AddFd(child->receive_fd()), 2u);
  // Each step is started by us, so whether the wait is already asleep when it
  // happens decides nothing: the result is the same either way.
  ASSERT_TRUE(child->Send('g'));
  absl::StatusOr<std::vector<size_t>> ready = set.Wait(absl::Seconds(30));
  ASSERT_TRUE(ready.ok()) << ready.status();
  EXPECT_EQ(*ready, Indices({0u}));
  absl::StatusOr<Sample> sample = sub->Receive(absl::ZeroDuration());
  ASSERT_TRUE(sample.ok()) << sample.status();
  EXPECT_EQ(sample->view(), "hello");
  sample->Release();

  ASSERT_TRUE(child->Send('g'));
  ready = set.Wait(absl::Seconds(30));
  ASSERT_TRUE(ready.ok()) << ready.status();
  EXPECT_EQ(*ready, Indices({1u}));
  absl::StatusOr<uint64_t> id = listener->Wait(absl::ZeroDuration());
  ASSERT_TRUE(id.ok()) << id.status();
  EXPECT_EQ(*id, 7u);

  ASSERT_TRUE(child->Send('g'));
  ready = set.Wait(absl::Seconds(30));
  ASSERT_TRUE(ready.ok()) << ready.status();
  EXPECT_EQ(*ready, Indices({2u}));
  EXPECT_EQ(child->Receive(absl::Seconds(5)), 'd');

  // Killed: both services lose their publisher, seen by the liveness check
  // (and the child's channel, the fd, reads end of stream).
  child->Kill();
  ready = set.Wait(absl::Seconds(30));
  ASSERT_TRUE(ready.ok()) << ready.status();
  EXPECT_EQ(*ready, Indices({0u, 1u, 2u}));
  EXPECT_EQ(child->Receive(absl::ZeroDuration()), 0);
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
