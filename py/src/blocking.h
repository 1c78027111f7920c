// Blocking C++ calls from Python: timeouts, the GIL, Ctrl-C and close().
//
//   Endpoint<IpcChannel> ep(std::move(channel), "IpcChannel");
//   absl::StatusOr<std::string> msg = RunBlocking(ep, Access::kRead, TimeoutArg(timeout),
//       [](IpcChannel& c, absl::Duration slice) { return c.Recv(slice); });
//
// A blocking call runs with the GIL released, in slices of at most
// kSignalCheckInterval. Between slices the GIL is taken back to run signal
// handlers (so Ctrl-C raises KeyboardInterrupt promptly) and to notice a
// close() from another thread. Slicing is only lossless because every C++ call
// used this way keeps its partial state on timeout (spec/conventions.md,
// "Timeouts and blocking"); callers that would lose progress (ReadExact) loop
// over the non-lossy primitive instead.
#ifndef IPCKIT_PY_SRC_BLOCKING_H_
#define IPCKIT_PY_SRC_BLOCKING_H_

#include <pybind11/pybind11.h>

#include <algorithm>
#include <memory>
#include <mutex>
#include <string>
#include <type_traits>
#include <utility>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/str_cat.h"
#include "absl/time/time.h"
#include "cc/base/deadline.h"
#include "cc/base/error.h"
#include "py/src/errors.h"

namespace ipckit::python {

inline constexpr absl::Duration kSignalCheckInterval = absl::Milliseconds(100);

// Which of an endpoint's locks a call takes. Reads and writes lock apart so
// that one thread can block in recv while another sends; accepting a new
// client locks apart from both; a call that changes the connection itself
// (wait_for_client replacing the current client) takes all three.
enum class Access { kRead, kWrite, kAccept, kExclusive };

// The locks of one endpoint, taken without the GIL (a thread holding the GIL
// must never wait for a lock another thread holds while it waits for the GIL).
class EndpointLocks {
 public:
  class Held {
   public:
    Held(const EndpointLocks& locks, Access access) : locks_(locks), access_(access) {
      switch (access_) {
        case Access::kRead: locks_.read_.lock(); break;
        case Access::kWrite: locks_.write_.lock(); break;
        case Access::kAccept: locks_.accept_.lock(); break;
        case Access::kExclusive: std::lock(locks_.read_, locks_.write_, locks_.accept_); break;
      }
    }
    Held(const Held&) = delete;
    Held& operator=(const Held&) = delete;
    ~Held() {
      switch (access_) {
        case Access::kRead: locks_.read_.unlock(); break;
        case Access::kWrite: locks_.write_.unlock(); break;
        case Access::kAccept: locks_.accept_.unlock(); break;
        case Access::kExclusive:
          locks_.read_.unlock();
          locks_.write_.unlock();
          locks_.accept_.unlock();
          break;
      }
    }

   private:
    const EndpointLocks& locks_;
    const Access access_;
  };

 private:
  mutable std::mutex read_;
  mutable std::mutex write_;
  mutable std::mutex accept_;
};

// A C++ endpoint shared between Python threads. close() drops the Python
// side's reference at once; a call running in another thread keeps the object
// alive until its current slice ends and then raises ClosedError.
template <typename T>
class Endpoint {
 public:
  Endpoint(T value, std::string kind)
      : object_(std::make_shared<T>(std::move(value))), kind_(std::move(kind)) {}

  Endpoint(const Endpoint&) = delete;
  Endpoint& operator=(const Endpoint&) = delete;

  // The live object; raises ipckit.ClosedError after Close(). GIL held.
  std::shared_ptr<T> Get() const {
    if (object_ == nullptr) ThrowError(kErrClosed, absl::StrCat("the ", kind_, " is closed"));
    return object_;
  }

  // Drops this side's reference; the C++ destructor runs when no call is
  // using the object any more. GIL held.
  void Close() { object_.reset(); }
  bool closed() const { return object_ == nullptr; }

  const EndpointLocks& locks() const { return locks_; }

 private:
  std::shared_ptr<T> object_;
  std::string kind_;
  EndpointLocks locks_;
};

namespace internal {

inline const absl::Status& StatusOf(const absl::Status& s) { return s; }
template <typename T>
const absl::Status& StatusOf(const absl::StatusOr<T>& s) {
  return s.status();
}

inline bool IsTimeout(const absl::Status& s) {
  return !s.ok() && ErrorClassOf(s) == kErrTimeout;
}

// After the last slice: the C++ message names the slice, so add the timeout
// the caller asked for.
template <typename R>
R WithOverallTimeout(R result, absl::Duration timeout) {
  const absl::Status& s = StatusOf(result);
  if (!IsTimeout(s) || timeout <= kSignalCheckInterval) return result;
  return ipckit::TimeoutError(
      absl::StrCat(s.message(), " (overall timeout ", absl::FormatDuration(timeout), ")"));
}

}  // namespace internal

// Runs `op(slice)` with the GIL released until it returns anything but a
// timeout, or `timeout` has passed. Raises KeyboardInterrupt (or whatever a
// signal handler raises) between slices. Returns op's last result.
template <typename Op>
auto RunSliced(absl::Duration timeout, Op&& op) -> decltype(op(absl::Duration())) {
  const Deadline deadline = Deadline::After(timeout);
  for (;;) {
    const absl::Duration slice = std::min(deadline.Remaining(), kSignalCheckInterval);
    auto result = [&] {
      pybind11::gil_scoped_release release;
      return op(slice);
    }();
    if (!internal::IsTimeout(internal::StatusOf(result)) || deadline.Expired()) {
      return internal::WithOverallTimeout(std::move(result), timeout);
    }
    if (PyErr_CheckSignals() != 0) throw pybind11::error_already_set();
  }
}

// RunSliced on an endpoint: `op(object, slice)` runs holding the `access`
// lock(s), and a close() from another thread is noticed between slices
// (ClosedError).
template <typename T, typename Op>
auto RunBlocking(const Endpoint<T>& endpoint, Access access, absl::Duration timeout, Op&& op)
    -> decltype(op(std::declval<T&>(), absl::Duration())) {
  const Deadline deadline = Deadline::After(timeout);
  for (;;) {
    std::shared_ptr<T> object = endpoint.Get();
    const absl::Duration slice = std::min(deadline.Remaining(), kSignalCheckInterval);
    auto result = [&] {
      pybind11::gil_scoped_release release;
      EndpointLocks::Held held(endpoint.locks(), access);
      return op(*object, slice);
    }();
    if (!internal::IsTimeout(internal::StatusOf(result)) || deadline.Expired()) {
      return internal::WithOverallTimeout(std::move(result), timeout);
    }
    if (PyErr_CheckSignals() != 0) throw pybind11::error_already_set();
  }
}

// A non-blocking call on an endpoint, holding the `access` lock(s) with the
// GIL released.
template <typename T, typename Op>
auto RunLocked(const Endpoint<T>& endpoint, Access access, Op&& op)
    -> decltype(op(std::declval<T&>())) {
  std::shared_ptr<T> object = endpoint.Get();
  pybind11::gil_scoped_release release;
  EndpointLocks::Held held(endpoint.locks(), access);
  return op(*object);
}

}  // namespace ipckit::python

#endif  // IPCKIT_PY_SRC_BLOCKING_H_
