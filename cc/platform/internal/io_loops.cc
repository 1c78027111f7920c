#include "cc/platform/internal/io_loops.h"

#include "absl/strings/str_cat.h"
#include "cc/base/error.h"

namespace ipckit {
namespace platform {
namespace internal {

absl::Status AppendToMessage(const absl::Status& status, absl::string_view suffix) {
  return MakeError(status.code(), ErrorClassOf(status), absl::StrCat(status.message(), suffix));
}

absl::Status ReadExactLoop(absl::Span<char> buf, const Deadline& deadline, absl::string_view what,
                           ReadSomeFn read_some) {
  size_t got = 0;
  while (got < buf.size()) {
    absl::StatusOr<size_t> n = read_some(buf.subspan(got), deadline);
    if (!n.ok()) {
      if (got == 0) return n.status();
      return AppendToMessage(n.status(), absl::StrCat(" (after ", got, " of ", buf.size(),
                                                      " bytes, which are lost)"));
    }
    if (*n == 0) {
      if (got == 0) {
        return PeerClosedError(absl::StrCat(what, ": the other end closed before any of ",
                                            buf.size(), " expected bytes arrived"));
      }
      return TruncatedError(absl::StrCat(what, ": the other end closed after ", got, " of ",
                                         buf.size(), " expected bytes"));
    }
    got += *n;
  }
  return absl::OkStatus();
}

absl::Status WriteAllNoted(absl::string_view data, const Deadline& deadline, WriteAllFn write_all) {
  size_t written = 0;
  absl::Status s = write_all(data, deadline, &written);
  if (!s.ok() && written > 0) {
    return AppendToMessage(
        s, absl::StrCat(" (after ", written, " of ", data.size(), " bytes were written)"));
  }
  return s;
}

absl::StatusOr<size_t> WriteSomeByWriteAll(absl::string_view data, const Deadline& deadline,
                                           WriteAllFn write_all) {
  size_t written = 0;
  absl::Status s = write_all(data, deadline, &written);
  if (!s.ok() && !(written > 0 && ErrorClassOf(s) == kErrTimeout)) return s;
  return written;
}

}  // namespace internal
}  // namespace platform
}  // namespace ipckit
