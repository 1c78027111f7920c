// ipckit error model: absl::Status codes plus a stable error class.
//
// Every recoverable failure in the core is an absl::Status. Bindings and the
// conformance suite need finer distinctions than absl codes (an over-limit
// frame vs. a truncated one), so each error also carries an error class string,
// stored as a Status payload. The classes are listed in spec/conventions.md.
//
//   absl::Status s = ipckit::TimeoutError("recv on channel 'jobs'");
//   ipckit::ErrorClassOf(s);  // "timeout"
//   s.code();                 // absl::StatusCode::kDeadlineExceeded
#ifndef IPCKIT_CC_BASE_ERROR_H_
#define IPCKIT_CC_BASE_ERROR_H_

#include <string>

#include "absl/status/status.h"
#include "absl/strings/string_view.h"

namespace ipckit {

// Error classes, spelled exactly as in spec/conventions.md and the vectors.
inline constexpr absl::string_view kErrInvalidArgument = "invalid_argument";
inline constexpr absl::string_view kErrNotFound = "not_found";
inline constexpr absl::string_view kErrInUse = "in_use";
inline constexpr absl::string_view kErrTimeout = "timeout";
inline constexpr absl::string_view kErrPeerClosed = "peer_closed";
inline constexpr absl::string_view kErrTruncated = "truncated";
inline constexpr absl::string_view kErrTooLarge = "too_large";
inline constexpr absl::string_view kErrCorrupt = "corrupt";
inline constexpr absl::string_view kErrDataLoss = "data_loss";
inline constexpr absl::string_view kErrUnsupportedVersion = "unsupported_version";
inline constexpr absl::string_view kErrOutOfRange = "out_of_range";
inline constexpr absl::string_view kErrPermissionDenied = "permission_denied";
inline constexpr absl::string_view kErrClosed = "closed";
inline constexpr absl::string_view kErrIo = "io";

// Builds a status with `code`, `message` and the error class payload.
absl::Status MakeError(absl::StatusCode code, absl::string_view error_class,
                       absl::string_view message);

// The error class of `status`: its payload if set, else one derived from the
// code. Returns "" for an OK status.
std::string ErrorClassOf(const absl::Status& status);

// Constructors, one per class. Each picks the absl code from spec/conventions.md.
absl::Status InvalidArgumentError(absl::string_view message);  // kInvalidArgument
absl::Status NotFoundError(absl::string_view message);         // kNotFound
absl::Status InUseError(absl::string_view message);            // kAlreadyExists
absl::Status TimeoutError(absl::string_view message);          // kDeadlineExceeded
absl::Status PeerClosedError(absl::string_view message);       // kUnavailable
absl::Status TruncatedError(absl::string_view message);        // kDataLoss
absl::Status TooLargeError(absl::string_view message);         // kResourceExhausted
absl::Status CorruptError(absl::string_view message);          // kDataLoss
absl::Status DataLossError(absl::string_view message);         // kDataLoss
absl::Status UnsupportedVersionError(absl::string_view message);  // kFailedPrecondition
absl::Status OutOfRangeError(absl::string_view message);       // kOutOfRange
absl::Status ClosedError(absl::string_view message);           // kFailedPrecondition

// Maps an errno value from a failed system call to a status:
// ENOENT -> not_found, EEXIST/EADDRINUSE -> in_use, EACCES/EPERM ->
// permission_denied, EPIPE/ECONNRESET -> peer_closed, ETIMEDOUT -> timeout,
// ECONNREFUSED -> peer_closed, EINVAL -> invalid_argument, anything else -> io. The message reads
// "<context>: <strerror>".
absl::Status ErrnoError(int err, absl::string_view context);

}  // namespace ipckit

#endif  // IPCKIT_CC_BASE_ERROR_H_
