// The other process of pubsub_process_test (Linux and Windows):
//
//   pubsub_process_peer subscribe NAME N   joins service NAME
//       (ProcessTestConfig()) and receives "m1".."mN" in order
//   pubsub_process_peer call NAME N        a Client of NAME: calls "q1".."qN"
//       and expects "re:q1".."re:qN" back
//   pubsub_process_peer notify NAME N      listens on NAME.ack, notifies
//       1..N on NAME.b, then waits for event N on NAME.ack before it leaves
//
// Each step within 20 s; exits 0, or prints why to stderr and exits 1.
#include <cstdio>
#include <string>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/time/time.h"
#include "cc/base/error.h"
#include "cc/shm_msg/event.h"
#include "cc/shm_msg/process_test_config.h"
#include "cc/shm_msg/rpc.h"
#include "cc/shm_msg/subscriber.h"

namespace ipckit {
namespace shm_msg {
namespace {

int Fail(const std::string& what, const absl::Status& status) {
  std::fprintf(stderr, "%s: %s\n", what.c_str(), status.ToString().c_str());
  return 1;
}

int Subscribe(const std::string& name, int n) {
  absl::StatusOr<Subscriber> sub = Subscriber::Create(name, ProcessTestConfig());
  if (!sub.ok()) return Fail("join", sub.status());
  for (int i = 1; i <= n; ++i) {
    absl::StatusOr<Sample> sample = sub->Receive(absl::Seconds(20));
    if (!sample.ok()) return Fail(absl::StrCat("receive ", i), sample.status());
    if (sample->view() != absl::StrCat("m", i)) {
      std::fprintf(stderr, "sample %d is '%s'\n", i, std::string(sample->view()).c_str());
      return 1;
    }
  }
  return 0;
}

int Call(const std::string& name, int n) {
  absl::StatusOr<Client> client = Client::Create(name);
  if (!client.ok()) return Fail("join", client.status());
  for (int i = 1; i <= n; ++i) {
    absl::StatusOr<Response> response = client->Call(absl::StrCat("q", i), absl::Seconds(20));
    if (!response.ok()) return Fail(absl::StrCat("call ", i), response.status());
    if (response->view() != absl::StrCat("re:q", i)) {
      std::fprintf(stderr, "response %d is '%s'\n", i, std::string(response->view()).c_str());
      return 1;
    }
  }
  return 0;
}

int Notify(const std::string& name, int n) {
  // Joined before the first event, so the test's acknowledgement is heard.
  absl::StatusOr<Listener> ack = Listener::Create(name + ".ack");
  if (!ack.ok()) return Fail("join ack", ack.status());
  absl::StatusOr<Notifier> notifier = Notifier::Create(name + ".b");
  if (!notifier.ok()) return Fail("join", notifier.status());
  for (int i = 1; i <= n; ++i) {
    if (absl::Status s = notifier->Notify(i); !s.ok()) return Fail(absl::StrCat("notify ", i), s);
  }
  absl::StatusOr<uint64_t> acked = ack->Wait(absl::Seconds(20));
  if (!acked.ok()) return Fail("ack", acked.status());
  return *acked == static_cast<uint64_t>(n) ? 0 : 1;
}

int Run(int argc, char** argv) {
  int n = 0;
  if (argc != 4 || !absl::SimpleAtoi(argv[3], &n)) return 2;
  const std::string mode = argv[1];
  if (mode == "subscribe") return Subscribe(argv[2], n);
  if (mode == "call") return Call(argv[2], n);
  if (mode == "notify") return Notify(argv[2], n);
  return 2;
}

}  // namespace
}  // namespace shm_msg
}  // namespace ipckit

int main(int argc, char** argv) { return ipckit::shm_msg::Run(argc, argv); }
