// Participants killed with SIGKILL: what they held is reclaimed, survivors
// see peer_closed, and the service goes when the last survivor leaves.
// Deterministic: the victim reports that it holds a loan or a sample before
// the test kills it.
#include <cstring>
#include <random>
#include <string>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "absl/types/span.h"
#include "cc/base/deadline.h"
#include "cc/base/error.h"
#include "cc/platform/io/child_process.h"
#include "cc/platform/io/fd_io.h"
#include "cc/platform/unique_fd.h"
#include "cc/shm_msg/crash_test_config.h"
#include "cc/shm_msg/publisher.h"
#include "cc/shm_msg/rpc.h"
#include "cc/shm_msg/subscriber.h"
#include "cc/shm_msg/test_util.h"
#include "gtest/gtest.h"

namespace ipckit {
namespace shm_msg {
namespace {

// Relative to the runfiles root, which is the test's working directory.
constexpr char kPeerPath[] = "cc/shm_msg/shm_msg_peer";

using testing::ServiceExists;

std::string UniqueName() { return testing::UniqueServiceName("crash"); }

// A shm_msg_peer that reports on a pipe.
class Peer {
 public:
  explicit Peer(std::vector<std::string> args) {
    absl::StatusOr<fd_io::PipeFds> pipe = fd_io::MakePipe();
    if (!pipe.ok()) return;
    // The child inherits the write end; ours closes when `pipe` goes.
    if (!fd_io::SetCloseOnExec(pipe->writer.get(), false).ok()) return;
    args.insert(args.begin(), std::to_string(pipe->writer.get()));
    absl::StatusOr<pid_t> pid = SpawnChild(kPeerPath, args);
    reader_ = std::move(pipe->reader);
    if (pid.ok()) pid_ = *pid;
  }
  ~Peer() {
    if (pid_ > 0) Kill();
  }
  bool started() const { return pid_ > 0; }

  // The next line the peer writes, or what came of it after 20 s or at the
  // end of its output.
  std::string ReadLine() {
    std::string line;
    const Deadline deadline = Deadline::After(absl::Seconds(20));
    char c;
    while (true) {
      absl::StatusOr<size_t> n =
          fd_io::ReadSome(reader_.get(), absl::MakeSpan(&c, 1), deadline, "shm_msg_peer's output");
      if (!n.ok() || *n == 0 || c == '\n') return line;
      line += c;
    }
  }

  // SIGKILL, then reap, so that the pid is provably gone.
  void Kill() {
    KillChild(pid_);
    pid_ = -1;
  }

 private:
  UniqueFd reader_;
  pid_t pid_ = -1;
};

TEST(CrashTest, PublisherKilledHoldingALoan) {
  const std::string name = UniqueName();
  absl::StatusOr<Subscriber> sub = Subscriber::Create(name, CrashTestConfig());
  ASSERT_TRUE(sub.ok()) << sub.status();
  Peer victim({"publish", name, "3"});
  ASSERT_TRUE(victim.started());
  ASSERT_EQ(victim.ReadLine(), "holding");
  victim.Kill();

  // What it sent before dying is still delivered, then peer_closed.
  for (int i = 1; i <= 3; ++i) {
    absl::StatusOr<Sample> s = sub->Receive(absl::Seconds(5));
    ASSERT_TRUE(s.ok()) << s.status();
    EXPECT_EQ(s->view(), absl::StrCat("p", i));
  }
  const absl::Time start = absl::Now();
  EXPECT_EQ(ErrorClassOf(sub->Receive(absl::Seconds(10)).status()), "peer_closed");
  EXPECT_LT(absl::Now() - start, absl::Seconds(5));

  // Its entry and its loan were reclaimed: a new publisher can loan the whole pool.
  absl::StatusOr<Publisher> pub = Publisher::Create(name, CrashTestConfig());
  ASSERT_TRUE(pub.ok()) << pub.status();
  std::vector<LoanedSample> loans;
  for (uint32_t i = 0; i < pub->config().pool_slots; ++i) {
    absl::StatusOr<LoanedSample> loan = pub->Loan(1);
    ASSERT_TRUE(loan.ok()) << i << ": " << loan.status();
    loans.push_back(std::move(*loan));
  }
  loans.clear();
  pub->Close();
  sub->Close();
  EXPECT_FALSE(ServiceExists(name));
}

TEST(CrashTest, OneOfTwoPublishersKilledHoldingALoan) {
  const std::string name = UniqueName();
  absl::StatusOr<Subscriber> sub = Subscriber::Create(name, CrashTestMultiConfig());
  ASSERT_TRUE(sub.ok()) << sub.status();
  absl::StatusOr<Publisher> live = Publisher::Create(name, CrashTestMultiConfig());
  ASSERT_TRUE(live.ok()) << live.status();
  absl::StatusOr<LoanedSample> kept = live->Loan(4);
  ASSERT_TRUE(kept.ok()) << kept.status();
  std::memcpy(kept->data().data(), "mine", 4);
  Peer victim({"publish", name, "2", "multi"});
  ASSERT_TRUE(victim.started());
  ASSERT_EQ(victim.ReadLine(), "holding");
  victim.Kill();

  // What the victim (publisher 1) sent is delivered; the live publisher keeps
  // the service open, so no peer_closed.
  for (int i = 1; i <= 2; ++i) {
    absl::StatusOr<Sample> s = sub->Receive(absl::Seconds(5));
    ASSERT_TRUE(s.ok()) << s.status();
    EXPECT_EQ(s->view(), absl::StrCat("p", i));
    EXPECT_EQ(s->publisher(), 1u);
  }
  EXPECT_EQ(ErrorClassOf(sub->Receive(absl::Milliseconds(1)).status()), "timeout");

  // Joining reclaims the victim's entry and only its loan: the newcomer can
  // loan every slot but the live publisher's.
  absl::StatusOr<Publisher> newcomer = Publisher::Create(name, CrashTestMultiConfig());
  ASSERT_TRUE(newcomer.ok()) << newcomer.status();
  std::vector<LoanedSample> loans;
  while (true) {
    absl::StatusOr<LoanedSample> loan = newcomer->Loan(1);
    if (!loan.ok()) {
      EXPECT_EQ(ErrorClassOf(loan.status()), "in_use") << loan.status();
      break;
    }
    loans.push_back(std::move(*loan));
  }
  EXPECT_EQ(loans.size(), newcomer->config().pool_slots - 1);
  loans.clear();
  ASSERT_TRUE(kept->valid());
  ASSERT_TRUE(live->Send(*kept).ok());
  absl::StatusOr<Sample> s = sub->Receive(absl::Seconds(5));
  ASSERT_TRUE(s.ok()) << s.status();
  EXPECT_EQ(s->view(), "mine");
  EXPECT_EQ(s->publisher(), 0u);
  s->Release();
  live->Close();
  newcomer->Close();
  EXPECT_EQ(ErrorClassOf(sub->Receive(absl::Seconds(5)).status()), "peer_closed");
  sub->Close();
  EXPECT_FALSE(ServiceExists(name));
}

TEST(CrashTest, ServerKilledHoldingARequest) {
  const std::string name = UniqueName();
  absl::StatusOr<Client> client = Client::Create(name, CrashTestRpcOptions());
  ASSERT_TRUE(client.ok()) << client.status();
  Peer victim({"serve", name});
  ASSERT_TRUE(victim.started());
  ASSERT_EQ(victim.ReadLine(), "serving");
  absl::StatusOr<uint64_t> id = client->Send("work", absl::Seconds(5));
  ASSERT_TRUE(id.ok()) << id.status();
  ASSERT_EQ(victim.ReadLine(), "holding work");
  victim.Kill();
  const absl::Time start = absl::Now();
  EXPECT_EQ(ErrorClassOf(client->Receive(*id, absl::Seconds(10)).status()), "peer_closed");
  EXPECT_LT(absl::Now() - start, absl::Seconds(5));
  // A new server takes over and serves new requests.
  absl::StatusOr<Server> server = Server::Create(name, CrashTestRpcOptions());
  ASSERT_TRUE(server.ok()) << server.status();
  absl::StatusOr<uint64_t> again = client->Send("again", absl::Seconds(5));
  ASSERT_TRUE(again.ok()) << again.status();
  absl::StatusOr<Request> req = server->Receive(absl::Seconds(5));
  ASSERT_TRUE(req.ok()) << req.status();
  ASSERT_TRUE(server->Respond(*req, "done").ok());
  absl::StatusOr<Response> resp = client->Receive(*again, absl::Seconds(5));
  ASSERT_TRUE(resp.ok()) << resp.status();
  EXPECT_EQ(resp->view(), "done");
}

TEST(CrashTest, ClientKilledWithARequestInFlight) {
  const std::string name = UniqueName();
  absl::StatusOr<Server> server = Server::Create(name, CrashTestRpcOptions());
  ASSERT_TRUE(server.ok()) << server.status();
  Peer victim({"request", name});
  ASSERT_TRUE(victim.started());
  ASSERT_EQ(victim.ReadLine(), "joined");
  ASSERT_EQ(victim.ReadLine(), "sent");
  victim.Kill();
  // The request outlives its client; answering it is peer_closed.
  absl::StatusOr<Request> req = server->Receive(absl::Seconds(5));
  ASSERT_TRUE(req.ok()) << req.status();
  EXPECT_EQ(req->view(), "q");
  EXPECT_EQ(ErrorClassOf(server->Respond(*req, "answer")), "peer_closed");
  req->Release();
  server->Close();
  // The victim's entries were reclaimed when the server left.
  EXPECT_FALSE(ServiceExists(name + ".rq"));
  EXPECT_FALSE(ServiceExists(name + ".rs"));
}

TEST(CrashTest, SubscriberKilledHoldingASample) {
  const std::string name = UniqueName();
  absl::StatusOr<Publisher> pub = Publisher::Create(name, CrashTestConfig());
  ASSERT_TRUE(pub.ok()) << pub.status();
  Peer victim({"subscribe", name});
  ASSERT_TRUE(victim.started());
  ASSERT_EQ(victim.ReadLine(), "joined");
  ASSERT_TRUE(pub->SendCopy("s1").ok());
  ASSERT_EQ(victim.ReadLine(), "holding 1");
  for (int i = 2; i <= 5; ++i) ASSERT_TRUE(pub->SendCopy(absl::StrCat("s", i)).ok());
  EXPECT_EQ(pub->subscriber_count(), 1u);
  victim.Kill();

  // 1 held + 4 queued samples were the victim's; a loan that finds the pool
  // empty reclaims them, so the whole pool can be loaned.
  std::vector<LoanedSample> loans;
  for (uint32_t i = 0; i < pub->config().pool_slots; ++i) {
    absl::StatusOr<LoanedSample> loan = pub->Loan(1);
    ASSERT_TRUE(loan.ok()) << i << ": " << loan.status();
    loans.push_back(std::move(*loan));
  }
  EXPECT_EQ(pub->subscriber_count(), 0u);
  loans.clear();
  // The victim never left; the last live user's leaving removes the service.
  EXPECT_TRUE(ServiceExists(name));
  pub->Close();
  EXPECT_FALSE(ServiceExists(name));
}

TEST(CrashTest, BlockedPublisherSkipsAKilledSubscriber) {
  const std::string name = UniqueName();
  ServiceConfig config = CrashTestConfig();
  config.overflow = Overflow::kBlock;
  absl::StatusOr<Publisher> pub = Publisher::Create(name, config);
  ASSERT_TRUE(pub.ok()) << pub.status();
  Peer victim({"subscribe", name, "block"});
  ASSERT_TRUE(victim.started());
  ASSERT_EQ(victim.ReadLine(), "joined");
  ASSERT_TRUE(pub->SendCopy("s1").ok());
  ASSERT_EQ(victim.ReadLine(), "holding 1");
  for (int i = 2; i <= 5; ++i) ASSERT_TRUE(pub->SendCopy(absl::StrCat("s", i)).ok());
  // The victim's queue is full: a send blocks...
  EXPECT_EQ(ErrorClassOf(pub->SendCopy("s6", absl::Milliseconds(20))), "timeout");
  victim.Kill();
  // ...until the publisher notices that the subscriber died.
  const absl::Time start = absl::Now();
  EXPECT_TRUE(pub->SendCopy("s6", absl::Seconds(10)).ok());
  EXPECT_LT(absl::Now() - start, absl::Seconds(5));
  EXPECT_EQ(pub->subscriber_count(), 0u);
}

TEST(CrashTest, MismatchedConfigInAnotherProcessIsRefused) {
  const std::string name = UniqueName();
  ServiceConfig config = CrashTestConfig();
  config.history = 1;
  absl::StatusOr<Publisher> pub = Publisher::Create(name, config);
  ASSERT_TRUE(pub.ok()) << pub.status();
  Peer other({"subscribe", name});
  ASSERT_TRUE(other.started());
  EXPECT_EQ(other.ReadLine().rfind("error invalid_argument", 0), 0u);
}

}  // namespace
}  // namespace shm_msg
}  // namespace ipckit
