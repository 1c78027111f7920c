// Several publishers on one service (format 2, spec/shm_messaging.md
// "Several publishers"): each has its own queues and history, numbers its own
// samples, and the subscriber hears all of them on one wake-up word.
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "cc/base/error.h"
#include "cc/shm_msg/event.h"
#include "cc/shm_msg/publisher.h"
#include "cc/shm_msg/subscriber.h"
#include "cc/shm_msg/test_util.h"
#include "gtest/gtest.h"

namespace ipckit {
namespace shm_msg {
namespace {

using testing::ServiceExists;

std::string UniqueName() { return testing::UniqueServiceName("multipub"); }

ServiceConfig TwoPublishers() {
  ServiceConfig c;
  c.max_publishers = 2;
  c.max_subscribers = 2;
  c.max_payload = 64;
  c.subscriber_buffer = 4;
  c.max_held = 2;
  return c;
}

// (publisher, sequence, text) of the next sample.
struct Got {
  uint32_t publisher;
  uint64_t seq;
  std::string text;
  bool operator==(const Got& o) const {
    return publisher == o.publisher && seq == o.seq && text == o.text;
  }
};
std::ostream& operator<<(std::ostream& os, const Got& g) {
  return os << "{" << g.publisher << ", " << g.seq << ", " << g.text << "}";
}

Got Next(Subscriber& sub) {
  absl::StatusOr<Sample> s = sub.Receive(absl::Seconds(5));
  EXPECT_TRUE(s.ok()) << s.status();
  if (!s.ok()) return {99, 0, ""};
  return {s->publisher(), s->sequence(), std::string(s->view())};
}

TEST(MultiPublisherTest, EachPublisherHasItsOwnStreamAndAThirdIsRefused) {
  const std::string name = UniqueName();
  absl::StatusOr<Subscriber> sub = Subscriber::Create(name, TwoPublishers());
  ASSERT_TRUE(sub.ok()) << sub.status();
  absl::StatusOr<Publisher> a = Publisher::Create(name, TwoPublishers());
  absl::StatusOr<Publisher> b = Publisher::Create(name, TwoPublishers());
  ASSERT_TRUE(a.ok() && b.ok()) << a.status() << b.status();
  absl::StatusOr<Publisher> third = Publisher::Create(name, TwoPublishers());
  EXPECT_EQ(ErrorClassOf(third.status()), "in_use") << third.status();

  // Both hold loans at once; neither's send disturbs the other's loan.
  absl::StatusOr<LoanedSample> la = a->Loan(2);
  absl::StatusOr<LoanedSample> lb = b->Loan(2);
  ASSERT_TRUE(la.ok() && lb.ok());
  la->data()[0] = 'a', la->data()[1] = '1';
  lb->data()[0] = 'b', lb->data()[1] = '1';
  ASSERT_TRUE(b->Send(*lb).ok());
  ASSERT_TRUE(a->Send(*la).ok());
  ASSERT_TRUE(a->SendCopy("a2").ok());
  ASSERT_TRUE(b->SendCopy("b2").ok());
  ASSERT_TRUE(a->SendCopy("a3").ok());

  // Round-robin over the publishers' queues; seq counts per publisher.
  EXPECT_EQ(Next(*sub), (Got{0, 1, "a1"}));
  EXPECT_EQ(Next(*sub), (Got{1, 1, "b1"}));
  EXPECT_EQ(Next(*sub), (Got{0, 2, "a2"}));
  EXPECT_EQ(Next(*sub), (Got{1, 2, "b2"}));
  EXPECT_EQ(Next(*sub), (Got{0, 3, "a3"}));
  EXPECT_EQ(ErrorClassOf(sub->Receive(absl::ZeroDuration()).status()), "timeout");
}

TEST(MultiPublisherTest, PeerClosedOnlyOnceEveryPublisherHasGone) {
  const std::string name = UniqueName();
  absl::StatusOr<Subscriber> sub = Subscriber::Create(name, TwoPublishers());
  absl::StatusOr<Publisher> a = Publisher::Create(name, TwoPublishers());
  absl::StatusOr<Publisher> b = Publisher::Create(name, TwoPublishers());
  ASSERT_TRUE(sub.ok() && a.ok() && b.ok());
  ASSERT_TRUE(a->SendCopy("last words").ok());
  a->Close();
  EXPECT_EQ(Next(*sub), (Got{0, 1, "last words"}));
  // b is still there: a plain timeout, not peer_closed.
  EXPECT_EQ(ErrorClassOf(sub->Receive(absl::Milliseconds(1)).status()), "timeout");
  ASSERT_TRUE(b->SendCopy("still here").ok());
  EXPECT_EQ(Next(*sub), (Got{1, 1, "still here"}));
  b->Close();
  EXPECT_EQ(ErrorClassOf(sub->Receive(absl::Seconds(5)).status()), "peer_closed");
  // A successor on a freed entry continues that entry's numbering.
  absl::StatusOr<Publisher> c = Publisher::Create(name, TwoPublishers());
  ASSERT_TRUE(c.ok()) << c.status();
  ASSERT_TRUE(c->SendCopy("successor").ok());
  EXPECT_EQ(Next(*sub), (Got{0, 2, "successor"}));
  c->Close();
  sub->Close();
  EXPECT_FALSE(ServiceExists(name));
}

TEST(MultiPublisherTest, LateJoinerGetsEveryPublishersHistory) {
  const std::string name = UniqueName();
  ServiceConfig config = TwoPublishers();
  config.history = 2;
  absl::StatusOr<Publisher> a = Publisher::Create(name, config);
  absl::StatusOr<Publisher> b = Publisher::Create(name, config);
  ASSERT_TRUE(a.ok() && b.ok());
  for (const char* t : {"a1", "a2", "a3"}) ASSERT_TRUE(a->SendCopy(t).ok());
  ASSERT_TRUE(b->SendCopy("b1").ok());
  absl::StatusOr<Subscriber> sub = Subscriber::Create(name, config);
  ASSERT_TRUE(sub.ok()) << sub.status();
  // Each publisher's last two, in its own order; then the live stream.
  EXPECT_EQ(Next(*sub), (Got{0, 2, "a2"}));
  EXPECT_EQ(Next(*sub), (Got{0, 3, "a3"}));
  ASSERT_TRUE(b->SendCopy("b2").ok());
  EXPECT_EQ(Next(*sub), (Got{1, 1, "b1"}));
  EXPECT_EQ(Next(*sub), (Got{1, 2, "b2"}));
}

TEST(MultiPublisherTest, BlockingOverflowWaitsOnlyForItsOwnQueue) {
  const std::string name = UniqueName();
  ServiceConfig config = TwoPublishers();
  config.overflow = Overflow::kBlock;
  absl::StatusOr<Subscriber> sub = Subscriber::Create(name, config);
  absl::StatusOr<Publisher> a = Publisher::Create(name, config);
  absl::StatusOr<Publisher> b = Publisher::Create(name, config);
  ASSERT_TRUE(sub.ok() && a.ok() && b.ok());
  for (int i = 1; i <= 4; ++i) ASSERT_TRUE(a->SendCopy(absl::StrCat("a", i)).ok());
  // a's queue is full; b's is not.
  EXPECT_EQ(ErrorClassOf(a->SendCopy("a5", absl::Milliseconds(1))), "timeout");
  ASSERT_TRUE(b->SendCopy("b1", absl::Milliseconds(1)).ok());
  EXPECT_EQ(Next(*sub), (Got{0, 1, "a1"}));
  ASSERT_TRUE(a->SendCopy("a5", absl::Seconds(5)).ok());
}

TEST(MultiPublisherTest, SleepingSubscriberWakesForAnyPublisher) {
  const std::string name = UniqueName();
  for (WaitMode mode : {WaitMode::kBlocking, WaitMode::kBusyWait}) {
    SubscriberOptions options;
    options.wait_mode = mode;
    absl::StatusOr<Subscriber> sub = Subscriber::Create(name, TwoPublishers(), options);
    absl::StatusOr<Publisher> a = Publisher::Create(name, TwoPublishers());
    absl::StatusOr<Publisher> b = Publisher::Create(name, TwoPublishers());
    ASSERT_TRUE(sub.ok() && a.ok() && b.ok());
    // Only publisher 1 sends: its queue is not the one that carries the wake word.
    std::thread sender([&] { ASSERT_TRUE(b->SendCopy("from b").ok()); });
    EXPECT_EQ(Next(*sub), (Got{1, 1, "from b"}));
    sender.join();
  }
}

TEST(MultiPublisherTest, ConfigMustAgreeOnMaxPublishers) {
  const std::string name = UniqueName();
  absl::StatusOr<Publisher> a = Publisher::Create(name, TwoPublishers());
  ASSERT_TRUE(a.ok());
  ServiceConfig one = TwoPublishers();
  one.max_publishers = 1;
  absl::StatusOr<Subscriber> sub = Subscriber::Create(name, one);
  EXPECT_EQ(ErrorClassOf(sub.status()), "invalid_argument");
  EXPECT_NE(sub.status().message().find("max_publishers"), absl::string_view::npos)
      << sub.status();
  one.max_publishers = kMaxPublishers + 1;
  EXPECT_EQ(ErrorClassOf(Publisher::Create(UniqueName(), one).status()), "invalid_argument");
}

TEST(MultiPublisherTest, SeveralNotifiersWakeOneListener) {
  const std::string name = UniqueName();
  EventOptions options;
  options.max_notifiers = 2;
  absl::StatusOr<Listener> listener = Listener::Create(name, options);
  absl::StatusOr<Notifier> n1 = Notifier::Create(name, options);
  absl::StatusOr<Notifier> n2 = Notifier::Create(name, options);
  ASSERT_TRUE(listener.ok() && n1.ok() && n2.ok());
  ASSERT_TRUE(n2->Notify(7).ok());
  ASSERT_TRUE(n1->Notify(8).ok());
  std::vector<uint64_t> ids;
  for (int i = 0; i < 2; ++i) {
    absl::StatusOr<uint64_t> id = listener->Wait(absl::Seconds(5));
    ASSERT_TRUE(id.ok()) << id.status();
    ids.push_back(*id);
  }
  EXPECT_EQ(ids, (std::vector<uint64_t>{8, 7}));  // round-robin from notifier 0
}

}  // namespace
}  // namespace shm_msg
}  // namespace ipckit
