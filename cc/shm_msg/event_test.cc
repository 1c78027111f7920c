#include "cc/shm_msg/event.h"

#include <thread>

#include "cc/base/error.h"
#include "cc/shm_msg/test_util.h"
#include "gtest/gtest.h"

namespace ipckit {
namespace shm_msg {
namespace {

TEST(EventTest, ListenersWakeWithTheEventId) {
  const std::string name = testing::UniqueServiceName("event");
  absl::StatusOr<Listener> a = Listener::Create(name);
  absl::StatusOr<Listener> b = Listener::Create(name);
  ASSERT_TRUE(a.ok() && b.ok());
  absl::StatusOr<Notifier> notifier = Notifier::Create(name);
  ASSERT_TRUE(notifier.ok()) << notifier.status();
  EXPECT_EQ(notifier->listener_count(), 2u);
  // b sleeps before the event is sent.
  std::thread waiter([&] {
    absl::StatusOr<uint64_t> id = b->Wait(absl::Seconds(10));
    ASSERT_TRUE(id.ok()) << id.status();
    EXPECT_EQ(*id, 0x0102030405060708u);
  });
  ASSERT_TRUE(notifier->Notify(0x0102030405060708u).ok());
  waiter.join();
  absl::StatusOr<uint64_t> id = a->Wait(absl::Seconds(10));
  ASSERT_TRUE(id.ok()) << id.status();
  EXPECT_EQ(*id, 0x0102030405060708u);
  EXPECT_EQ(ErrorClassOf(a->Wait(absl::Milliseconds(10)).status()), "timeout");
  notifier->Close();
  EXPECT_EQ(ErrorClassOf(a->Wait(absl::Seconds(5)).status()), "peer_closed");
}

}  // namespace
}  // namespace shm_msg
}  // namespace ipckit
