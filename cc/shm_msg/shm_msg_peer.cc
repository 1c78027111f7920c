// The other process in crash_test: joins a service, reports on the fd given
// as its first argument, then waits to be killed (SIGKILL) by the test.
//
//   shm_msg_peer FD publish NAME N [multi]
//                                    sends "p1".."pN", loans one more sample,
//                                    writes "holding\n" and waits; "multi"
//                                    joins CrashTestMultiConfig (2 publishers)
//   shm_msg_peer FD subscribe NAME [block]
//                                    writes "joined\n", receives one sample,
//                                    writes "holding SEQ\n" and waits; "block"
//                                    joins with the kBlock overflow policy
//   shm_msg_peer FD serve NAME       a request/response server (CrashTestRpcOptions):
//                                    writes "serving\n", receives one request,
//                                    writes "holding TEXT\n" and waits
//   shm_msg_peer FD request NAME     a client: writes "joined\n", sends "q",
//                                    writes "sent\n" and waits
// Any failure writes "error CLASS MESSAGE\n" and exits with status 1.
#include <cstdlib>
#include <string>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "cc/base/deadline.h"
#include "cc/base/error.h"
#include "cc/platform/io/fd_io.h"
#include "cc/shm_msg/crash_test_config.h"
#include "cc/shm_msg/publisher.h"
#include "cc/shm_msg/rpc.h"
#include "cc/shm_msg/subscriber.h"

namespace ipckit {
namespace shm_msg {
namespace {

int out_fd = -1;

void Say(const std::string& line) {
  const std::string text = line + "\n";
  (void)fd_io::WriteAll(out_fd, fd_io::FdKind::kPipe, text, Deadline::After(absl::Seconds(10)),
                        "report to the test");
}

int Fail(const absl::Status& status) {
  Say(absl::StrCat("error ", ErrorClassOf(status), " ", status.message()));
  return 1;
}

[[noreturn]] void WaitToBeKilled() {
  while (true) absl::SleepFor(absl::Hours(1));
}

int Run(int argc, char** argv) {
  if (argc < 4 || !absl::SimpleAtoi(argv[1], &out_fd)) return 2;
  const std::string mode = argv[2];
  const std::string name = argv[3];
  if (mode == "publish" && (argc == 5 || argc == 6)) {
    int n = 0;
    if (!absl::SimpleAtoi(argv[4], &n)) return 2;
    const bool multi = argc == 6 && std::string(argv[5]) == "multi";
    absl::StatusOr<Publisher> pub =
        Publisher::Create(name, multi ? CrashTestMultiConfig() : CrashTestConfig());
    if (!pub.ok()) return Fail(pub.status());
    for (int i = 1; i <= n; ++i) {
      if (absl::Status s = pub->SendCopy(absl::StrCat("p", i)); !s.ok()) return Fail(s);
    }
    absl::StatusOr<LoanedSample> loan = pub->Loan(8);
    if (!loan.ok()) return Fail(loan.status());
    Say("holding");
    WaitToBeKilled();
  }
  if (mode == "subscribe") {
    ServiceConfig config = CrashTestConfig();
    if (argc == 5 && std::string(argv[4]) == "block") config.overflow = Overflow::kBlock;
    absl::StatusOr<Subscriber> sub = Subscriber::Create(name, config);
    if (!sub.ok()) return Fail(sub.status());
    Say("joined");
    absl::StatusOr<Sample> sample = sub->Receive(absl::Seconds(30));
    if (!sample.ok()) return Fail(sample.status());
    Say(absl::StrCat("holding ", sample->sequence()));
    WaitToBeKilled();
  }
  if (mode == "serve") {
    absl::StatusOr<Server> server = Server::Create(name, CrashTestRpcOptions());
    if (!server.ok()) return Fail(server.status());
    Say("serving");
    absl::StatusOr<Request> request = server->Receive(absl::Seconds(30));
    if (!request.ok()) return Fail(request.status());
    Say(absl::StrCat("holding ", request->view()));
    WaitToBeKilled();
  }
  if (mode == "request") {
    absl::StatusOr<Client> client = Client::Create(name, CrashTestRpcOptions());
    if (!client.ok()) return Fail(client.status());
    Say("joined");
    absl::StatusOr<uint64_t> id = client->Send("q", absl::Seconds(30));
    if (!id.ok()) return Fail(id.status());
    Say("sent");
    WaitToBeKilled();
  }
  return 2;
}

}  // namespace
}  // namespace shm_msg
}  // namespace ipckit

int main(int argc, char** argv) { return ipckit::shm_msg::Run(argc, argv); }
