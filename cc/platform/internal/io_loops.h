// The loops every byte stream of cc/platform runs over its own primitive: a
// read of exactly n bytes over "read some", and a write-all that says how far
// it got. fd_io (POSIX descriptors), AnonPipeEnd and LocalStream on Windows
// (win::PipeEnd) pass their primitive as a callable, so the end-of-stream
// and cut-short rules, and their messages, are written once.
//
//   absl::Status AnonPipeEnd::ReadExact(absl::Span<char> buf, const Deadline& deadline,
//                                       absl::string_view what) {
//     return internal::ReadExactLoop(buf, deadline, what,
//         [&](absl::Span<char> rest, const Deadline& d) { return end.ReadSome(rest, d, what); });
//   }
#ifndef IPCKIT_CC_PLATFORM_INTERNAL_IO_LOOPS_H_
#define IPCKIT_CC_PLATFORM_INTERNAL_IO_LOOPS_H_

#include <cstddef>

#include "absl/functional/function_ref.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/types/span.h"
#include "cc/base/deadline.h"

namespace ipckit {
namespace platform {
namespace internal {

// Reads at least one byte into the span, 0 at end of stream.
using ReadSomeFn = absl::FunctionRef<absl::StatusOr<size_t>(absl::Span<char>, const Deadline&)>;

// Writes all of the data or fails; `*written` gets the bytes that went out,
// also on failure.
using WriteAllFn = absl::FunctionRef<absl::Status(absl::string_view, const Deadline&, size_t*)>;

// Fills `buf` by calling `read_some` until it is full. End of stream before
// the first byte is peer_closed, after some is truncated; a failure after
// some bytes says how many were read (and are lost).
absl::Status ReadExactLoop(absl::Span<char> buf, const Deadline& deadline, absl::string_view what,
                           ReadSomeFn read_some);

// `write_all`'s status, with "(after N of M bytes were written)" appended
// when it failed part way.
absl::Status WriteAllNoted(absl::string_view data, const Deadline& deadline, WriteAllFn write_all);

// WriteSome over a write-all: how many bytes went out. A write the deadline
// cut short after some bytes is a successful WriteSome of those bytes; one
// that wrote nothing fails with `write_all`'s status.
absl::StatusOr<size_t> WriteSomeByWriteAll(absl::string_view data, const Deadline& deadline,
                                           WriteAllFn write_all);

// `status` with `suffix` appended to its message, keeping code and error class.
absl::Status AppendToMessage(const absl::Status& status, absl::string_view suffix);

}  // namespace internal
}  // namespace platform
}  // namespace ipckit

#endif  // IPCKIT_CC_PLATFORM_INTERNAL_IO_LOOPS_H_
