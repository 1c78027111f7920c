// LocalStream on Windows: a byte-mode named pipe \\.\pipe\{name}
// (win::PipeListener, PipeEnd: overlapped I/O, every call bounded by its
// deadline; spec/windows.md, "Named pipes").
#include <algorithm>
#include <string>
#include <utility>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "cc/base/error.h"
#include "cc/base/name.h"
#include "cc/platform/internal/io_loops.h"
#include "cc/platform/io/local_stream.h"
#include "cc/platform/win/pipe_win.h"

namespace ipckit {
namespace platform {
namespace {

constexpr absl::string_view kPipePrefix = "\\\\.\\pipe\\";
// Above this a gathered write goes out part by part rather than copied into
// one buffer; below it one WriteFile carries a frame's header and payload.
constexpr size_t kMaxGatherCopy = 64 * 1024;
constexpr absl::Duration kFirstBackoff = absl::Milliseconds(1);
constexpr absl::Duration kMaxBackoff = absl::Milliseconds(50);

absl::Status NotConnected(absl::string_view what) {
  return ClosedError(absl::StrCat(what, ": the connection is closed"));
}

}  // namespace

absl::StatusOr<std::string> LocalStreamAddress(absl::string_view name) {
  if (absl::StartsWith(name, kPipePrefix)) {
    // A full pipe path, as ipckit 0.1 accepts it: the rest is still a name.
    absl::Status valid = ValidateName(name.substr(kPipePrefix.size()));
    if (!valid.ok()) return valid;
    return std::string(name);
  }
  if (!name.empty() && name.front() == '/') {
    return InvalidArgumentError(absl::StrCat("'", name,
                                             "' is a Unix socket path; Windows has no Unix "
                                             "sockets here: use a name (\\\\.\\pipe\\{name})"));
  }
  absl::Status valid = ValidateName(name);
  if (!valid.ok()) return valid;
  return absl::StrCat(kPipePrefix, name);
}

LocalStream::LocalStream() = default;
LocalStream::LocalStream(LocalStream&&) noexcept = default;
LocalStream& LocalStream::operator=(LocalStream&&) noexcept = default;
LocalStream::~LocalStream() = default;

absl::StatusOr<size_t> LocalStream::ReadSome(absl::Span<char> buf, const Deadline& deadline,
                                             absl::string_view what) {
  if (!is_open()) return NotConnected(what);
  return pipe_->ReadSome(buf, deadline, what);
}

absl::Status LocalStream::ReadExact(absl::Span<char> buf, const Deadline& deadline,
                                    absl::string_view what) {
  return internal::ReadExactLoop(
      buf, deadline, what,
      [&](absl::Span<char> rest, const Deadline& d) { return ReadSome(rest, d, what); });
}

absl::StatusOr<size_t> LocalStream::WriteSome(absl::string_view data, const Deadline& deadline,
                                              absl::string_view what) {
  if (!is_open()) return NotConnected(what);
  return internal::WriteSomeByWriteAll(
      data, deadline, [&](absl::string_view rest, const Deadline& d, size_t* n) {
        return pipe_->WriteAll(rest, d, what, n);
      });
}

absl::Status LocalStream::WriteAll(absl::string_view data, const Deadline& deadline,
                                   absl::string_view what) {
  if (!is_open()) return NotConnected(what);
  return internal::WriteAllNoted(
      data, deadline, [&](absl::string_view rest, const Deadline& d, size_t* n) {
        return pipe_->WriteAll(rest, d, what, n);
      });
}

absl::Status LocalStream::WriteAllGathered(absl::Span<const absl::string_view> parts,
                                           const Deadline& deadline, absl::string_view what,
                                           size_t* written) {
  *written = 0;
  if (!is_open()) return NotConnected(what);
  size_t total = 0;
  for (absl::string_view part : parts) total += part.size();
  if (parts.size() > 1 && total <= kMaxGatherCopy) {
    // Windows has no gathered write on pipes; one copy beats two round trips
    // through the kernel for a small frame.
    std::string joined;
    joined.reserve(total);
    for (absl::string_view part : parts) joined.append(part.data(), part.size());
    return pipe_->WriteAll(joined, deadline, what, written);
  }
  for (absl::string_view part : parts) {
    size_t n = 0;
    absl::Status s = pipe_->WriteAll(part, deadline, what, &n);
    *written += n;
    if (!s.ok()) return s;
  }
  return absl::OkStatus();
}

void LocalStream::Close() { pipe_.reset(); }
bool LocalStream::is_open() const { return pipe_ != nullptr && pipe_->valid(); }
int LocalStream::fd() const { return -1; }

LocalStreamListener::LocalStreamListener() = default;
LocalStreamListener::LocalStreamListener(LocalStreamListener&&) noexcept = default;
LocalStreamListener& LocalStreamListener::operator=(LocalStreamListener&&) noexcept = default;
LocalStreamListener::~LocalStreamListener() = default;

absl::StatusOr<LocalStreamListener> LocalStreamListener::Listen(const std::string& address,
                                                                LocalStreamAccess access) {
  absl::StatusOr<win::PipeListener> pipe_listener =
      win::PipeListener::Create(address, access.allow_other_users);
  if (!pipe_listener.ok()) return pipe_listener.status();
  LocalStreamListener listener;
  listener.listener_ = std::make_unique<win::PipeListener>(*std::move(pipe_listener));
  return listener;
}

absl::StatusOr<LocalStream> LocalStreamListener::Accept(const Deadline& deadline) {
  if (listener_ == nullptr) return ClosedError("local stream listener: closed");
  absl::StatusOr<win::PipeEnd> end = listener_->Accept(deadline);
  if (!end.ok()) return end.status();
  LocalStream stream;
  stream.pipe_ = std::make_unique<win::PipeEnd>(*std::move(end));
  return stream;
}

int LocalStreamListener::fd() const { return -1; }

absl::StatusOr<LocalStream> ConnectLocalStream(const std::string& address,
                                               const Deadline& deadline,
                                               LocalStreamAccess access) {
  // A zero timeout asks "is anyone serving?", not "wait for a server".
  const bool single_attempt = deadline.Expired();
  absl::Duration backoff = kFirstBackoff;
  for (;;) {
    absl::StatusOr<win::PipeEnd> end = win::ConnectPipe(address, deadline, access.allow_other_users);
    if (end.ok()) {
      LocalStream stream;
      stream.pipe_ = std::make_unique<win::PipeEnd>(*std::move(end));
      return stream;
    }
    // No server yet: with no instance open the name does not exist.
    if (ErrorClassOf(end.status()) != kErrNotFound || single_attempt) return end.status();
    if (deadline.Expired()) {
      return TimeoutError(
          absl::StrCat("connect to ", address, ": timed out waiting for a server"));
    }
    absl::SleepFor(std::min(backoff, deadline.Remaining()));
    backoff = std::min(backoff * 2, kMaxBackoff);
  }
}

}  // namespace platform
}  // namespace ipckit
