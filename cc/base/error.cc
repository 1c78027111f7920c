#include "cc/base/error.h"

#include <cerrno>
#include <cstring>

#include "absl/strings/cord.h"
#include "absl/strings/str_cat.h"

namespace ipckit {
namespace {

// The payload key under which the error class travels with a Status.
constexpr absl::string_view kErrorClassUrl = "ipckit/error-class";

}  // namespace

absl::Status MakeError(absl::StatusCode code, absl::string_view error_class,
                       absl::string_view message) {
  absl::Status status(code, message);
  status.SetPayload(kErrorClassUrl, absl::Cord(error_class));
  return status;
}

std::string ErrorClassOf(const absl::Status& status) {
  if (status.ok()) return "";
  if (auto payload = status.GetPayload(kErrorClassUrl)) {
    return std::string(*payload);
  }
  switch (status.code()) {
    case absl::StatusCode::kInvalidArgument: return std::string(kErrInvalidArgument);
    case absl::StatusCode::kNotFound: return std::string(kErrNotFound);
    case absl::StatusCode::kAlreadyExists: return std::string(kErrInUse);
    case absl::StatusCode::kDeadlineExceeded: return std::string(kErrTimeout);
    case absl::StatusCode::kUnavailable: return std::string(kErrPeerClosed);
    case absl::StatusCode::kDataLoss: return std::string(kErrCorrupt);
    case absl::StatusCode::kResourceExhausted: return std::string(kErrTooLarge);
    case absl::StatusCode::kOutOfRange: return std::string(kErrOutOfRange);
    case absl::StatusCode::kPermissionDenied: return std::string(kErrPermissionDenied);
    default: return std::string(kErrIo);
  }
}

absl::Status InvalidArgumentError(absl::string_view m) {
  return MakeError(absl::StatusCode::kInvalidArgument, kErrInvalidArgument, m);
}
absl::Status NotFoundError(absl::string_view m) {
  return MakeError(absl::StatusCode::kNotFound, kErrNotFound, m);
}
absl::Status InUseError(absl::string_view m) {
  return MakeError(absl::StatusCode::kAlreadyExists, kErrInUse, m);
}
absl::Status TimeoutError(absl::string_view m) {
  return MakeError(absl::StatusCode::kDeadlineExceeded, kErrTimeout, m);
}
absl::Status PeerClosedError(absl::string_view m) {
  return MakeError(absl::StatusCode::kUnavailable, kErrPeerClosed, m);
}
absl::Status TruncatedError(absl::string_view m) {
  return MakeError(absl::StatusCode::kDataLoss, kErrTruncated, m);
}
absl::Status TooLargeError(absl::string_view m) {
  return MakeError(absl::StatusCode::kResourceExhausted, kErrTooLarge, m);
}
absl::Status CorruptError(absl::string_view m) {
  return MakeError(absl::StatusCode::kDataLoss, kErrCorrupt, m);
}
absl::Status DataLossError(absl::string_view m) {
  return MakeError(absl::StatusCode::kDataLoss, kErrDataLoss, m);
}
absl::Status UnsupportedVersionError(absl::string_view m) {
  return MakeError(absl::StatusCode::kFailedPrecondition, kErrUnsupportedVersion, m);
}
absl::Status OutOfRangeError(absl::string_view m) {
  return MakeError(absl::StatusCode::kOutOfRange, kErrOutOfRange, m);
}
absl::Status ClosedError(absl::string_view m) {
  return MakeError(absl::StatusCode::kFailedPrecondition, kErrClosed, m);
}

absl::Status ErrnoError(int err, absl::string_view context) {
  std::string message = absl::StrCat(context, ": ", std::strerror(err));
  switch (err) {
    case ENOENT: return NotFoundError(message);
    case EEXIST:
    case EADDRINUSE: return InUseError(message);
    case EACCES:
    case EPERM:
      return MakeError(absl::StatusCode::kPermissionDenied, kErrPermissionDenied, message);
    case EPIPE:
    case ECONNRESET:
    case ECONNREFUSED: return PeerClosedError(message);
    case ETIMEDOUT: return TimeoutError(message);
    case EINVAL: return InvalidArgumentError(message);
    default: return MakeError(absl::StatusCode::kInternal, kErrIo, message);
  }
}

}  // namespace ipckit
