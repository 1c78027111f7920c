#include "cc/cli/internal/demo_util.h"

#include <algorithm>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/time/clock.h"
#include "cc/base/error.h"
#include "cc/base/status_macros.h"
#include "cc/platform/io/child_process.h"
#include "cc/platform/process/process.h"

namespace ipckit::cli {

std::string Message(int i) {
  std::string m = absl::StrFormat("ipckit demo message %06d ", i);
  m.resize(kMessageSize, '.');
  return m;
}

absl::Status CheckEcho(absl::string_view method, int i, absl::string_view got) {
  if (got == Message(i)) return absl::OkStatus();
  return CorruptError(absl::StrCat(method, ": round trip ", i, " echoed the wrong bytes"));
}

void Timing::Print(absl::string_view method, std::ostream& out) {
  std::sort(samples.begin(), samples.end());
  auto at = [&](double q) { return samples[static_cast<size_t>(q * (samples.size() - 1))]; };
  out << absl::StrFormat("%-15s %4d round trips of %d B   median %9.1f us   p99 %9.1f us\n",
                         method, samples.size(), kMessageSize,
                         absl::ToDoubleMicroseconds(at(0.5)),
                         absl::ToDoubleMicroseconds(at(0.99)));
}

absl::StatusOr<Timing> Measure(int n, const std::function<absl::Status(int)>& round_trip) {
  Timing timing;
  timing.samples.reserve(n);
  for (int i = 0; i < n; ++i) {
    absl::Time start = absl::Now();
    IPCKIT_RETURN_IF_ERROR(round_trip(i));
    timing.samples.push_back(absl::Now() - start);
  }
  return timing;
}

absl::Status Reap(absl::string_view method, pid_t pid) {
  IPCKIT_ASSIGN_OR_RETURN(int wait_status, WaitChild(pid, kStepTimeout));
  if (ExitedWithCode(wait_status, 0)) return absl::OkStatus();
  return MakeError(absl::StatusCode::kInternal, kErrIo,
                   absl::StrCat(method, ": demo peer ended with ", DescribeWaitStatus(wait_status)));
}

std::string UniqueName(absl::string_view method) {
  return absl::StrCat("ipckit-demo-", method, "-", platform::CurrentProcessId());
}

bool IsEnd(const absl::Status& s) {
  std::string c = ErrorClassOf(s);
  return c == kErrPeerClosed || c == kErrTruncated;
}

}  // namespace ipckit::cli
