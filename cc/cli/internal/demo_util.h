// Helpers the demo methods share (cc/cli/demo_*.cc): the fixed echo
// messages, timing of round trips, and reaping the child peer.
//
//   absl::StatusOr<Timing> timing = Measure(kRoundTrips, [&](int i) { ... CheckEcho("x", i, got); });
//   IPCKIT_RETURN_IF_ERROR(Reap("x", pid));
//   timing->Print("x", out);
#ifndef IPCKIT_CC_CLI_INTERNAL_DEMO_UTIL_H_
#define IPCKIT_CC_CLI_INTERNAL_DEMO_UTIL_H_

#include <cstddef>
#include <functional>
#include <ostream>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "cc/platform/io/child_process.h"  // pid_t

namespace ipckit::cli {

inline constexpr int kRoundTrips = 200;
inline constexpr int kFileRoundTrips = 50;  // Each file round trip rewrites two files.
inline constexpr size_t kMessageSize = 64;
inline constexpr absl::Duration kStepTimeout = absl::Seconds(10);

// A fixed 64-byte message whose first bytes carry the round-trip number, so an
// echo of the wrong message is caught.
std::string Message(int i);

absl::Status CheckEcho(absl::string_view method, int i, absl::string_view got);

struct Timing {
  std::vector<absl::Duration> samples;
  // One row of the demo's table.
  void Print(absl::string_view method, std::ostream& out);
};

// Times `n` calls of `round_trip(i)`.
absl::StatusOr<Timing> Measure(int n, const std::function<absl::Status(int)>& round_trip);

// Waits for the peer and turns a bad exit into an error naming the method.
absl::Status Reap(absl::string_view method, pid_t pid);

// "ipckit-demo-{method}-{pid}".
std::string UniqueName(absl::string_view method);

// Whether a read failed because the parent is done (the peer then exits).
bool IsEnd(const absl::Status& s);

}  // namespace ipckit::cli

#endif  // IPCKIT_CC_CLI_INTERNAL_DEMO_UTIL_H_
