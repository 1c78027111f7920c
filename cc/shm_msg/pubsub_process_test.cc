// Publish/subscribe and request/response across two real processes, on Linux
// and under Wine: this test publishes (or serves), pubsub_process_peer
// subscribes (or calls). With a queue of 2 and
// kBlock, each side waits on the other's shared words many times, which on
// Windows exercises the polled futex (spec/windows.md, Zero-copy messaging).
#include <cstdio>
#include <random>
#include <string>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "cc/base/deadline.h"
#include "cc/platform/io/child_process.h"
#include "cc/platform/process/process.h"
#include "cc/shm_msg/process_test_config.h"
#include "cc/shm_msg/event.h"
#include "cc/shm_msg/publisher.h"
#include "cc/shm_msg/rpc.h"
#include "cc/shm_msg/wait_set.h"
#include "gtest/gtest.h"

namespace ipckit {
namespace shm_msg {
namespace {

// Relative to the runfiles root, which is the test's working directory.
constexpr char kPeerPath[] = "cc/shm_msg/pubsub_process_peer";
constexpr int kMessages = 200;

std::string UniqueName() {
  return absl::StrCat("procs_", platform::CurrentProcessId(), "_", absl::Hex(std::random_device()()));
}

void ExpectExitsWithZero(pid_t peer) {
  absl::StatusOr<int> status = WaitChild(peer, absl::Seconds(30));
  ASSERT_TRUE(status.ok()) << status.status();
  EXPECT_TRUE(ExitedWithCode(*status, 0)) << DescribeWaitStatus(*status);
}

TEST(PubSubProcessTest, AnotherProcessReceivesEverySampleInOrder) {
  const std::string name = UniqueName();
  absl::StatusOr<Publisher> pub = Publisher::Create(name, ProcessTestConfig());
  ASSERT_TRUE(pub.ok()) << pub.status();
  absl::StatusOr<pid_t> peer = SpawnChild(kPeerPath, {"subscribe", name, std::to_string(kMessages)});
  ASSERT_TRUE(peer.ok()) << peer.status();
  // Samples sent before the peer joins are not its to receive: wait for it.
  const Deadline joined = Deadline::After(absl::Seconds(30));
  while (pub->subscriber_count() == 0 && !joined.Expired()) absl::SleepFor(absl::Milliseconds(1));
  ASSERT_EQ(pub->subscriber_count(), 1u);
  const absl::Time start = absl::Now();
  for (int i = 1; i <= kMessages; ++i) {
    absl::Status sent = pub->SendCopy(absl::StrCat("m", i), absl::Seconds(20));
    ASSERT_TRUE(sent.ok()) << "message " << i << ": " << sent;
  }
  // For the record, not asserted: how long the handoffs took.
  std::printf("%d samples sent in %s\n", kMessages, absl::FormatDuration(absl::Now() - start).c_str());
  ExpectExitsWithZero(*peer);
}

// The server exists before the client process starts, so none of its
// requests can go unheard.
TEST(PubSubProcessTest, AnotherProcessCallsAServerHere) {
  const std::string name = UniqueName();
  absl::StatusOr<Server> server = Server::Create(name);
  ASSERT_TRUE(server.ok()) << server.status();
  absl::StatusOr<pid_t> peer = SpawnChild(kPeerPath, {"call", name, std::to_string(kMessages)});
  ASSERT_TRUE(peer.ok()) << peer.status();
  for (int i = 1; i <= kMessages; ++i) {
    absl::StatusOr<Request> request = server->Receive(absl::Seconds(20));
    ASSERT_TRUE(request.ok()) << "request " << i << ": " << request.status();
    EXPECT_EQ(request->view(), absl::StrCat("q", i));
    ASSERT_TRUE(server->Respond(*request, absl::StrCat("re:", request->view())).ok());
  }
  ExpectExitsWithZero(*peer);
}

// A wait-set here on two listeners, one of which another process notifies.
// Events may be dropped oldest-first when the listener falls behind, so the
// test asserts order and the last id, not every id.
TEST(PubSubProcessTest, AWaitSetWakesOnEventsFromAnotherProcess) {
  const std::string name = UniqueName();
  absl::StatusOr<Listener> quiet = Listener::Create(name + ".a");
  absl::StatusOr<Listener> busy = Listener::Create(name + ".b");
  absl::StatusOr<Notifier> ack = Notifier::Create(name + ".ack");
  ASSERT_TRUE(quiet.ok() && busy.ok() && ack.ok());
  WaitSet set;
  set.Add(*quiet);
  const size_t b = set.Add(*busy);
  absl::StatusOr<pid_t> peer = SpawnChild(kPeerPath, {"notify", name, std::to_string(kMessages)});
  ASSERT_TRUE(peer.ok()) << peer.status();
  uint64_t last = 0;
  while (last < kMessages) {
    absl::StatusOr<std::vector<size_t>> ready = set.Wait(absl::Seconds(20));
    ASSERT_TRUE(ready.ok()) << "after event " << last << ": " << ready.status();
    ASSERT_EQ(*ready, std::vector<size_t>{b});
    absl::StatusOr<uint64_t> id = busy->Wait(absl::ZeroDuration());
    ASSERT_TRUE(id.ok()) << id.status();
    EXPECT_GT(*id, last);
    last = *id;
  }
  EXPECT_EQ(last, static_cast<uint64_t>(kMessages));
  ASSERT_TRUE(ack->Notify(kMessages).ok());
  ExpectExitsWithZero(*peer);
}

}  // namespace
}  // namespace shm_msg
}  // namespace ipckit
