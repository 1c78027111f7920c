// The subscriber process of pubsub_process_test (Linux and Windows):
//
//   pubsub_process_peer NAME N
//
// Joins service NAME (kProcessTestConfig), receives "m1".."mN" in order, each
// within 20 s, and exits 0; on anything else it prints why to stderr and
// exits 1.
#include <cstdio>
#include <string>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/time/time.h"
#include "cc/base/error.h"
#include "cc/shm_msg/process_test_config.h"
#include "cc/shm_msg/subscriber.h"

namespace ipckit {
namespace shm_msg {
namespace {

int Run(int argc, char** argv) {
  int n = 0;
  if (argc != 3 || !absl::SimpleAtoi(argv[2], &n)) return 2;
  absl::StatusOr<Subscriber> sub = Subscriber::Create(argv[1], ProcessTestConfig());
  if (!sub.ok()) {
    std::fprintf(stderr, "join: %s\n", sub.status().ToString().c_str());
    return 1;
  }
  for (int i = 1; i <= n; ++i) {
    absl::StatusOr<Sample> sample = sub->Receive(absl::Seconds(20));
    if (!sample.ok()) {
      std::fprintf(stderr, "receive %d: %s\n", i, sample.status().ToString().c_str());
      return 1;
    }
    if (sample->view() != absl::StrCat("m", i)) {
      std::fprintf(stderr, "sample %d is '%s'\n", i, std::string(sample->view()).c_str());
      return 1;
    }
  }
  return 0;
}

}  // namespace
}  // namespace shm_msg
}  // namespace ipckit

int main(int argc, char** argv) { return ipckit::shm_msg::Run(argc, argv); }
