// Request/response in one process (killed processes: crash_test).
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "cc/base/error.h"
#include "cc/shm_msg/rpc.h"
#include "cc/shm_msg/test_util.h"
#include "gtest/gtest.h"

namespace ipckit {
namespace shm_msg {
namespace {

using testing::ServiceExists;

std::string UniqueName() { return testing::UniqueServiceName("rpc"); }

RpcOptions Small() {
  RpcOptions o;
  o.max_clients = 2;
  o.max_servers = 2;
  o.max_request = 64;
  o.max_response = 64;
  o.max_in_flight = 3;
  return o;
}

// Answers every pending request with "re:" + its bytes, in reverse order.
void AnswerAllReversed(Server& server, int n) {
  std::vector<Request> got;
  for (int i = 0; i < n; ++i) {
    absl::StatusOr<Request> r = server.Receive(absl::Seconds(5));
    ASSERT_TRUE(r.ok()) << r.status();
    got.push_back(std::move(*r));
  }
  for (auto it = got.rbegin(); it != got.rend(); ++it) {
    ASSERT_TRUE(server.Respond(*it, absl::StrCat("re:", it->view())).ok());
  }
}

TEST(RpcTest, SeveralRequestsInFlightMatchTheirResponses) {
  const std::string name = UniqueName();
  RpcOptions options = Small();
  options.max_held_requests = 3;
  absl::StatusOr<Server> server = Server::Create(name, options);
  absl::StatusOr<Client> client = Client::Create(name, options);
  ASSERT_TRUE(server.ok() && client.ok()) << server.status() << client.status();
  std::vector<uint64_t> ids;
  for (const char* q : {"a", "b", "c"}) {
    absl::StatusOr<uint64_t> id = client->Send(q, absl::Seconds(1));
    ASSERT_TRUE(id.ok()) << id.status();
    ids.push_back(*id);
  }
  EXPECT_EQ(ids[1], ids[0] + 1);
  EXPECT_EQ(client->in_flight(), 3u);
  EXPECT_EQ(ErrorClassOf(client->Send("d", absl::Seconds(1)).status()), "in_use");
  AnswerAllReversed(*server, 3);
  // Asked for in send order although answered in reverse.
  for (int i = 0; i < 3; ++i) {
    absl::StatusOr<Response> r = client->Receive(ids[i], absl::Seconds(5));
    ASSERT_TRUE(r.ok()) << r.status();
    EXPECT_EQ(r->id(), ids[i]);
    EXPECT_EQ(r->view(), absl::StrCat("re:", std::string(1, "abc"[i])));
  }
  EXPECT_EQ(client->in_flight(), 0u);
  EXPECT_EQ(ErrorClassOf(client->Receive(ids[0], absl::Seconds(1)).status()), "invalid_argument");
  client->Close();
  server->Close();
  EXPECT_FALSE(ServiceExists(name + ".rq"));
  EXPECT_FALSE(ServiceExists(name + ".rs"));
}

TEST(RpcTest, TwoClientsTwoServersRoundRobin) {
  const std::string name = UniqueName();
  absl::StatusOr<Server> s0 = Server::Create(name, Small());
  absl::StatusOr<Server> s1 = Server::Create(name, Small());
  absl::StatusOr<Client> c0 = Client::Create(name, Small());
  absl::StatusOr<Client> c1 = Client::Create(name, Small());
  ASSERT_TRUE(s0.ok() && s1.ok() && c0.ok() && c1.ok());
  EXPECT_EQ(ErrorClassOf(Client::Create(name, Small()).status()), "in_use");
  // Each client alternates between the servers.
  absl::StatusOr<uint64_t> a = c0->Send("c0 first", absl::Seconds(1));
  absl::StatusOr<uint64_t> b = c0->Send("c0 second", absl::Seconds(1));
  absl::StatusOr<uint64_t> c = c1->Send("c1 first", absl::Seconds(1));
  ASSERT_TRUE(a.ok() && b.ok() && c.ok());
  absl::StatusOr<Request> r0 = s0->Receive(absl::Seconds(5));
  absl::StatusOr<Request> r1 = s1->Receive(absl::Seconds(5));
  absl::StatusOr<Request> r2 = s0->Receive(absl::Seconds(5));
  ASSERT_TRUE(r0.ok() && r1.ok() && r2.ok());
  EXPECT_EQ(r0->view(), "c0 first");
  EXPECT_EQ(r1->view(), "c0 second");
  EXPECT_EQ(r2->view(), "c1 first");
  EXPECT_EQ(r0->client(), 0u);
  EXPECT_EQ(r2->client(), 1u);
  ASSERT_TRUE(s0->Respond(*r2, "to c1").ok());
  ASSERT_TRUE(s1->Respond(*r1, "to c0 (2)").ok());
  ASSERT_TRUE(s0->Respond(*r0, "to c0 (1)").ok());
  EXPECT_EQ(c1->Receive(*c, absl::Seconds(5))->view(), "to c1");
  EXPECT_EQ(c0->Receive(*a, absl::Seconds(5))->view(), "to c0 (1)");
  EXPECT_EQ(c0->Receive(*b, absl::Seconds(5))->view(), "to c0 (2)");
}

TEST(RpcTest, ErrorsAreClear) {
  const std::string name = UniqueName();
  absl::StatusOr<Client> client = Client::Create(name, Small());
  ASSERT_TRUE(client.ok()) << client.status();
  EXPECT_EQ(ErrorClassOf(client->Send("x", absl::Seconds(1)).status()), "not_found");
  absl::StatusOr<Server> server = Server::Create(name, Small());
  ASSERT_TRUE(server.ok()) << server.status();
  EXPECT_EQ(ErrorClassOf(client->Send(std::string(65, 'x'), absl::Seconds(1)).status()),
            "too_large");
  // A server with no request: timeout, not peer_closed, even with no client.
  EXPECT_EQ(ErrorClassOf(server->Receive(absl::Milliseconds(1)).status()), "timeout");
  absl::StatusOr<uint64_t> id = client->Send("x", absl::Seconds(1));
  ASSERT_TRUE(id.ok());
  EXPECT_EQ(ErrorClassOf(client->Receive(*id, absl::Milliseconds(1)).status()), "timeout");
  EXPECT_EQ(client->in_flight(), 1u);  // still outstanding after a timeout
  absl::StatusOr<Request> req = server->Receive(absl::Seconds(5));
  ASSERT_TRUE(req.ok());
  EXPECT_EQ(ErrorClassOf(server->Respond(*req, std::string(65, 'y'))), "too_large");
  // The client leaves: answering it is peer_closed.
  client->Close();
  EXPECT_EQ(ErrorClassOf(server->Respond(*req, "late")), "peer_closed");
}

TEST(RpcTest, ServerLeavingIsPeerClosedForItsRequestsOnly) {
  const std::string name = UniqueName();
  absl::StatusOr<Server> s0 = Server::Create(name, Small());
  absl::StatusOr<Server> s1 = Server::Create(name, Small());
  absl::StatusOr<Client> client = Client::Create(name, Small());
  ASSERT_TRUE(s0.ok() && s1.ok() && client.ok());
  absl::StatusOr<uint64_t> to0 = client->Send("to s0", absl::Seconds(1));
  absl::StatusOr<uint64_t> to1 = client->Send("to s1", absl::Seconds(1));
  ASSERT_TRUE(to0.ok() && to1.ok());
  absl::StatusOr<Request> r1 = s1->Receive(absl::Seconds(5));
  ASSERT_TRUE(r1.ok());
  ASSERT_TRUE(s1->Respond(*r1, "answered").ok());
  s1->Close();  // leaves after answering: the answer still arrives
  EXPECT_EQ(client->Receive(*to1, absl::Seconds(5))->view(), "answered");
  s0->Close();  // leaves without answering
  EXPECT_EQ(ErrorClassOf(client->Receive(*to0, absl::Seconds(5)).status()), "peer_closed");
  EXPECT_EQ(client->in_flight(), 0u);
}

}  // namespace
}  // namespace shm_msg
}  // namespace ipckit
