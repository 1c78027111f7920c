#include <cstring>
#include <random>
#include <string>
#include <thread>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "cc/base/error.h"
#include "cc/platform/shm/shm_object.h"
#include "cc/platform/testing/forked_child.h"
#include "cc/platform/testing/shm_plant.h"
#include "cc/shm_msg/publisher.h"
#include "cc/shm_msg/subscriber.h"
#include "cc/shm_msg/test_util.h"
#include "gtest/gtest.h"

namespace ipckit {
namespace shm_msg {
namespace {

using testing::ServiceExists;

std::string UniqueName() { return testing::UniqueServiceName("pubsub"); }

ServiceConfig Small() {
  ServiceConfig c;
  c.max_subscribers = 2;
  c.max_payload = 256;
  c.subscriber_buffer = 4;
  c.max_held = 2;
  return c;
}

std::string Text(const Sample& s) { return std::string(s.view()); }

TEST(PubSubTest, LoanFillSendReceive) {
  const std::string name = UniqueName();
  absl::StatusOr<Subscriber> sub = Subscriber::Create(name, Small());
  ASSERT_TRUE(sub.ok()) << sub.status();
  absl::StatusOr<Publisher> pub = Publisher::Create(name, Small());
  ASSERT_TRUE(pub.ok()) << pub.status();
  EXPECT_EQ(pub->subscriber_count(), 1u);

  absl::StatusOr<LoanedSample> loan = pub->Loan(5);
  ASSERT_TRUE(loan.ok()) << loan.status();
  EXPECT_EQ(reinterpret_cast<uintptr_t>(loan->data().data()) % 64, 0u);
  std::memcpy(loan->data().data(), "hello", 5);
  ASSERT_TRUE(pub->Send(*loan).ok());
  EXPECT_FALSE(loan->valid());
  ASSERT_TRUE(pub->SendCopy("world").ok());

  absl::StatusOr<Sample> a = sub->Receive(absl::Seconds(5));
  ASSERT_TRUE(a.ok()) << a.status();
  EXPECT_EQ(Text(*a), "hello");
  EXPECT_EQ(a->sequence(), 1u);
  absl::StatusOr<Sample> b = sub->Receive(absl::Seconds(5));
  ASSERT_TRUE(b.ok()) << b.status();
  EXPECT_EQ(Text(*b), "world");
  EXPECT_EQ(b->sequence(), 2u);
}

TEST(PubSubTest, TooLargeIsAClearError) {
  const std::string name = UniqueName();
  absl::StatusOr<Publisher> pub = Publisher::Create(name, Small());
  ASSERT_TRUE(pub.ok()) << pub.status();
  EXPECT_EQ(ErrorClassOf(pub->Loan(257).status()), "too_large");
  EXPECT_EQ(ErrorClassOf(pub->SendCopy(std::string(257, 'x'))), "too_large");
  absl::StatusOr<LoanedSample> loan = pub->Loan(256);
  ASSERT_TRUE(loan.ok());
  EXPECT_EQ(ErrorClassOf(loan->Resize(257)), "too_large");
  EXPECT_TRUE(loan->Resize(10).ok());
  EXPECT_EQ(loan->size(), 10u);
}

TEST(PubSubTest, ReceiveTimesOutWhenNothingIsSent) {
  const std::string name = UniqueName();
  absl::StatusOr<Publisher> pub = Publisher::Create(name, Small());
  absl::StatusOr<Subscriber> sub = Subscriber::Create(name, Small());
  ASSERT_TRUE(sub.ok()) << sub.status();
  const absl::Time start = absl::Now();
  EXPECT_EQ(ErrorClassOf(sub->Receive(absl::Milliseconds(50)).status()), "timeout");
  EXPECT_GE(absl::Now() - start, absl::Milliseconds(49));
  EXPECT_EQ(ErrorClassOf(sub->Receive(absl::ZeroDuration()).status()), "timeout");
}

TEST(PubSubTest, DropOldestKeepsTheNewest) {
  const std::string name = UniqueName();
  absl::StatusOr<Subscriber> sub = Subscriber::Create(name, Small());
  absl::StatusOr<Publisher> pub = Publisher::Create(name, Small());
  ASSERT_TRUE(pub.ok() && sub.ok());
  for (int i = 1; i <= 6; ++i) ASSERT_TRUE(pub->SendCopy(absl::StrCat("m", i)).ok());
  for (int i = 3; i <= 6; ++i) {
    absl::StatusOr<Sample> s = sub->Receive(absl::Seconds(5));
    ASSERT_TRUE(s.ok()) << s.status();
    EXPECT_EQ(Text(*s), absl::StrCat("m", i));
  }
  // The dropped samples' slots came back: the pool is whole again.
  std::vector<LoanedSample> loans;
  for (uint32_t i = 0; i < pub->config().pool_slots; ++i) {
    absl::StatusOr<LoanedSample> l = pub->Loan(1);
    ASSERT_TRUE(l.ok()) << i << " " << l.status();
    loans.push_back(std::move(*l));
  }
  EXPECT_EQ(ErrorClassOf(pub->Loan(1).status()), "in_use");
}

TEST(PubSubTest, BlockingOverflowTimesOutThenSends) {
  const std::string name = UniqueName();
  ServiceConfig c = Small();
  c.subscriber_buffer = 1;
  c.overflow = Overflow::kBlock;
  absl::StatusOr<Subscriber> sub = Subscriber::Create(name, c);
  absl::StatusOr<Publisher> pub = Publisher::Create(name, c);
  ASSERT_TRUE(pub.ok() && sub.ok());
  ASSERT_TRUE(pub->SendCopy("first").ok());
  absl::StatusOr<LoanedSample> loan = pub->Loan(6);
  ASSERT_TRUE(loan.ok());
  std::memcpy(loan->data().data(), "second", 6);
  EXPECT_EQ(ErrorClassOf(pub->Send(*loan, absl::Milliseconds(30))), "timeout");
  ASSERT_TRUE(loan->valid());  // nothing was sent: retry later

  // A thread takes the first sample while the publisher blocks.
  std::thread taker([&] {
    absl::StatusOr<Sample> s = sub->Receive(absl::Seconds(5));
    EXPECT_TRUE(s.ok() && Text(*s) == "first");
  });
  EXPECT_TRUE(pub->Send(*loan, absl::Seconds(10)).ok());
  taker.join();
  absl::StatusOr<Sample> s = sub->Receive(absl::Seconds(5));
  ASSERT_TRUE(s.ok()) << s.status();
  EXPECT_EQ(Text(*s), "second");
}

TEST(PubSubTest, LateJoinerGetsTheHistory) {
  const std::string name = UniqueName();
  ServiceConfig c = Small();
  c.history = 2;
  absl::StatusOr<Publisher> pub = Publisher::Create(name, c);
  ASSERT_TRUE(pub.ok()) << pub.status();
  for (int i = 1; i <= 3; ++i) ASSERT_TRUE(pub->SendCopy(absl::StrCat("h", i)).ok());
  absl::StatusOr<Subscriber> sub = Subscriber::Create(name, c);
  ASSERT_TRUE(sub.ok()) << sub.status();
  ASSERT_TRUE(pub->SendCopy("live").ok());
  for (const char* want : {"h2", "h3", "live"}) {
    absl::StatusOr<Sample> s = sub->Receive(absl::Seconds(5));
    ASSERT_TRUE(s.ok()) << s.status();
    EXPECT_EQ(Text(*s), want);
  }
}

TEST(PubSubTest, HoldingMoreThanMaxHeldIsRefused) {
  const std::string name = UniqueName();
  absl::StatusOr<Subscriber> sub = Subscriber::Create(name, Small());
  absl::StatusOr<Publisher> pub = Publisher::Create(name, Small());
  ASSERT_TRUE(pub.ok() && sub.ok());
  for (int i = 0; i < 3; ++i) ASSERT_TRUE(pub->SendCopy("x").ok());
  absl::StatusOr<Sample> a = sub->Receive(absl::Seconds(5));
  absl::StatusOr<Sample> b = sub->Receive(absl::Seconds(5));
  ASSERT_TRUE(a.ok() && b.ok());
  EXPECT_EQ(ErrorClassOf(sub->Receive(absl::Seconds(5)).status()), "in_use");
  a->Release();
  EXPECT_TRUE(sub->Receive(absl::Seconds(5)).ok());
}

TEST(PubSubTest, SecondPublisherAndMismatchedConfigAreRefused) {
  const std::string name = UniqueName();
  absl::StatusOr<Publisher> pub = Publisher::Create(name, Small());
  ASSERT_TRUE(pub.ok());
  EXPECT_EQ(ErrorClassOf(Publisher::Create(name, Small()).status()), "in_use");
  ServiceConfig other = Small();
  other.max_payload = 512;
  EXPECT_EQ(ErrorClassOf(Subscriber::Create(name, other).status()), "invalid_argument");
  EXPECT_EQ(ErrorClassOf(Publisher::Create("bad/name", Small()).status()), "invalid_argument");
}

TEST(PubSubTest, PeerClosedAfterQueuedSamplesAndRemovalWithTheLastUser) {
  const std::string name = UniqueName();
  absl::StatusOr<Subscriber> sub = Subscriber::Create(name, Small());
  absl::StatusOr<Publisher> pub = Publisher::Create(name, Small());
  ASSERT_TRUE(pub.ok() && sub.ok());
  ASSERT_TRUE(pub->SendCopy("last words").ok());
  pub->Close();
  EXPECT_TRUE(ServiceExists(name));
  absl::StatusOr<Sample> s = sub->Receive(absl::Seconds(5));
  ASSERT_TRUE(s.ok()) << s.status();
  EXPECT_EQ(Text(*s), "last words");
  s->Release();
  EXPECT_EQ(ErrorClassOf(sub->Receive(absl::Seconds(5)).status()), "peer_closed");
  sub->Close();
  EXPECT_FALSE(ServiceExists(name));
  EXPECT_EQ(ErrorClassOf(sub->Receive(absl::Seconds(1)).status()), "closed");
}

TEST(PubSubTest, SleepingSubscriberIsWokenByASend) {
  const std::string name = UniqueName();
  for (WaitMode mode : {WaitMode::kBlocking, WaitMode::kBusyWait, WaitMode::kHybrid}) {
    SubscriberOptions options;
    options.wait_mode = mode;
    absl::StatusOr<Subscriber> sub = Subscriber::Create(name, Small(), options);
    absl::StatusOr<Publisher> pub = Publisher::Create(name, Small());
    ASSERT_TRUE(pub.ok() && sub.ok());
    std::thread sender([&] {
      for (int i = 0; i < 100; ++i) ASSERT_TRUE(pub->SendCopy(absl::StrCat(i)).ok());
    });
    uint64_t last = 0;
    int got = 0;
    // Drop-oldest may skip some; all that arrive are in order, and the last is 99.
    while (true) {
      absl::StatusOr<Sample> s = sub->Receive(absl::Seconds(10));
      ASSERT_TRUE(s.ok()) << s.status();
      EXPECT_GT(s->sequence(), last);
      last = s->sequence();
      ++got;
      if (Text(*s) == "99") break;
    }
    sender.join();
    EXPECT_GT(got, 0);
  }
}

TEST(PubSubTest, ServiceIsPrivateToItsUserWhateverTheUmask) {
  const std::string name = UniqueName();
  absl::StatusOr<Publisher> pub = [&] {
    platform::ScopedUmask open_to_all(0);
    return Publisher::Create(name, Small());
  }();
  ASSERT_TRUE(pub.ok()) << pub.status();
  absl::StatusOr<platform::ShmObject> object =
      platform::ShmOpen("/ipckit_msg." + name, platform::ShmAccess::kReadOnly);
  ASSERT_TRUE(object.ok()) << object.status();
  absl::StatusOr<platform::ObjectInfo> info = platform::StatObject(*object);
  ASSERT_TRUE(info.ok()) << info.status();
  EXPECT_EQ(info->mode & 0777, 0600u);
}

TEST(PubSubTest, HostileObjectsGetAClearErrorNeverAHang) {
  struct Case {
    std::string bytes;
    uint64_t size;
    const char* error;
  };
  const Case cases[] = {
      {"not a service at all", 4096, "corrupt"},
      {"IPCKMSG", 64, "corrupt"},                       // too small for a header
      {std::string("IPCKMSG\0\x09\0", 10), 4096, "unsupported_version"},
      {"", 0, "timeout"},                               // a creator that died before ftruncate
  };
  for (const Case& c : cases) {
    const std::string name = UniqueName();
    platform::PlantShmObject("/ipckit_msg." + name, c.bytes, c.size);
    PublisherOptions options;
    options.open_timeout = absl::Milliseconds(100);
    const absl::Time start = absl::Now();
    absl::StatusOr<Publisher> pub = Publisher::Create(name, Small(), options);
    EXPECT_EQ(ErrorClassOf(pub.status()), c.error) << pub.status();
    EXPECT_LT(absl::Now() - start, absl::Seconds(5));
    EXPECT_TRUE(ServiceExists(name));  // someone else's object is never removed
    (void)platform::ShmUnlink("/ipckit_msg." + name);
  }
}

}  // namespace
}  // namespace shm_msg
}  // namespace ipckit
