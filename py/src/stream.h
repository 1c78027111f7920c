// read / read_exact / write / write_all for the byte-stream classes
// (AnonymousPipe, NamedPipe and its connections).
//
//   StreamCalls<AnonymousPipe> calls(std::move(pipe), "anonymous pipe");
//   py::bytes got = calls.Read(1024, py::none());        // b"" at end of stream
//   calls.Write(py::bytes("hi"), py::float_(1.0));       // all of it, as ipckit 0.1
//
// T provides StatusOr<size_t> Read(absl::Span<char>, absl::Duration) and
// StatusOr<size_t> Write(absl::string_view, absl::Duration), neither of which
// loses data on timeout. read_exact and write (which, as in ipckit 0.1,
// writes everything; write_some is the single short write) loop over those
// here (not over the core's ReadExact/WriteAll) so that progress survives the
// 100 ms slices of RunBlocking; bytes a timed-out or truncated read_exact already
// consumed are kept and returned first by the next read.
#ifndef IPCKIT_PY_SRC_STREAM_H_
#define IPCKIT_PY_SRC_STREAM_H_

#include <pybind11/pybind11.h>

#include <algorithm>
#include <cstddef>
#include <mutex>
#include <string>
#include <utility>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/str_cat.h"
#include "absl/types/span.h"
#include "cc/base/deadline.h"
#include "cc/base/error.h"
#include "py/src/args.h"
#include "py/src/blocking.h"
#include "py/src/errors.h"

namespace ipckit::python {

// One read allocates at most this much, however large `size` is: a stream
// read returns what is available, and read_exact grows its buffer as bytes
// arrive, so a huge size costs nothing until the data exists.
inline constexpr size_t kMaxReadChunk = 1 << 20;

template <typename T>
class StreamCalls {
 public:
  StreamCalls(T value, std::string kind) : endpoint_(std::move(value), std::move(kind)) {}

  const Endpoint<T>& endpoint() const { return endpoint_; }
  Endpoint<T>& endpoint() { return endpoint_; }

  // Forgets bytes kept from a failed read_exact: the stream they came from
  // was replaced (a server's new current client). GIL held.
  void DropUnread() { unread_.clear(); }

  // Bytes kept from a failed read_exact, which every read returns first
  // (ipckit.aio's _aio_read too, py/src/aio_support.h). GIL held.
  bool has_unread() const { return !unread_.empty(); }
  pybind11::bytes TakeUnread(size_t size) {
    const size_t n = std::min(size, unread_.size());
    pybind11::bytes out(unread_.data(), n);
    unread_.erase(0, n);
    return out;
  }

  pybind11::bytes Read(pybind11::ssize_t size_arg, const pybind11::object& timeout) {
    const size_t size = SizeArg(size_arg);
    if (!unread_.empty()) return TakeUnread(size);
    if (size == 0) return pybind11::bytes();
    const absl::Duration limit = TimeoutArg(timeout);
    const size_t capacity = std::min(size, kMaxReadChunk);
    PyObject* out = PyBytes_FromStringAndSize(nullptr, static_cast<Py_ssize_t>(capacity));
    if (out == nullptr) throw pybind11::error_already_set();
    pybind11::bytes bytes = pybind11::reinterpret_steal<pybind11::bytes>(out);
    char* buf = PyBytes_AS_STRING(out);
    absl::StatusOr<size_t> n = RunBlocking(
        endpoint_, Access::kRead, limit, [&](T& stream, absl::Duration slice) {
          return stream.Read(absl::MakeSpan(buf, capacity), slice);
        });
    ThrowIfError(n.status());
    if (*n == capacity) return bytes;
    return pybind11::bytes(buf, *n);
  }

  pybind11::bytes ReadExact(pybind11::ssize_t size_arg, const pybind11::object& timeout) {
    const size_t size = SizeArg(size_arg);
    const Deadline deadline = Deadline::After(TimeoutArg(timeout));
    std::string data = std::move(unread_);
    unread_.clear();
    if (data.size() > size) {
      unread_ = data.substr(size);
      data.resize(size);
    }
    while (data.size() < size) {
      const size_t have = data.size();
      const size_t chunk = std::min(size - have, kMaxReadChunk);
      data.resize(have + chunk);
      absl::StatusOr<size_t> n = RunBlocking(
          endpoint_, Access::kRead, deadline.Remaining(),
          [&](T& stream, absl::Duration slice) {
            return stream.Read(absl::MakeSpan(&data[have], chunk), slice);
          });
      data.resize(have + (n.ok() ? *n : 0));
      absl::Status error = n.status();
      if (error.ok() && *n == 0) {
        error = have == 0 ? PeerClosedError(absl::StrCat(
                                "read_exact(", size, "): the peer closed the stream"))
                          : TruncatedError(absl::StrCat("read_exact(", size,
                                                        "): the stream ended after ", have,
                                                        " bytes"));
      }
      if (!error.ok()) {
        unread_ = std::move(data);  // nothing read is lost: the next read returns it
        ThrowStatus(error);
      }
    }
    return pybind11::bytes(data);
  }

  // One write of some of `data` (at least a byte, once there is room).
  size_t WriteSome(const pybind11::object& data_arg, const pybind11::object& timeout) {
    BytesArg data(data_arg);
    if (data.view().empty()) return 0;
    const Deadline deadline = Deadline::After(TimeoutArg(timeout));
    std::unique_lock<std::timed_mutex> turn = TakeWriteTurn(deadline);
    absl::StatusOr<size_t> n = RunBlocking(
        endpoint_, Access::kWrite, deadline.Remaining(),
        [&](T& stream, absl::Duration slice) { return stream.Write(data.view(), slice); });
    return ValueOrThrow(std::move(n));
  }

  // All of `data`, with the GIL released while it waits for room. On an
  // error after some bytes went out, the message says how many.
  size_t Write(const pybind11::object& data_arg, const pybind11::object& timeout) {
    BytesArg data(data_arg);
    const absl::string_view all = data.view();
    const Deadline deadline = Deadline::After(TimeoutArg(timeout));
    // Held across every slice, so writes from several threads never interleave.
    std::unique_lock<std::timed_mutex> turn = TakeWriteTurn(deadline);
    size_t done = 0;
    while (done < all.size()) {
      absl::StatusOr<size_t> n = RunBlocking(
          endpoint_, Access::kWrite, deadline.Remaining(),
          [&](T& stream, absl::Duration slice) { return stream.Write(all.substr(done), slice); });
      if (!n.ok()) {
        if (done == 0) ThrowStatus(n.status());
        ThrowStatus(MakeError(n.status().code(), ErrorClassOf(n.status()),
                              absl::StrCat(n.status().message(), " (write wrote ", done,
                                           " of ", all.size(), " bytes)")));
      }
      done += *n;
    }
    return done;
  }

 private:
  // This object's turn to write, waited for with the GIL released; Ctrl-C
  // and close() are noticed between slices, and the deadline ends the wait.
  std::unique_lock<std::timed_mutex> TakeWriteTurn(const Deadline& deadline) {
    std::unique_lock<std::timed_mutex> turn(write_turn_, std::defer_lock);
    for (;;) {
      endpoint_.Get();  // ClosedError once closed
      const absl::Duration slice = std::min(deadline.Remaining(), kSignalCheckInterval);
      bool taken = false;
      {
        pybind11::gil_scoped_release release;
        taken = turn.try_lock_for(absl::ToChronoNanoseconds(slice));
      }
      if (taken) return turn;
      if (deadline.Expired()) {
        ThrowError(kErrTimeout, "write timed out waiting for another thread's write to finish");
      }
      if (PyErr_CheckSignals() != 0) throw pybind11::error_already_set();
    }
  }

  Endpoint<T> endpoint_;
  // One write()/write_some() at a time, for the whole call (the endpoint's
  // write lock is only held per slice).
  std::timed_mutex write_turn_;
  // Bytes consumed from the stream by a read_exact that then failed; the GIL
  // guards it (it is only touched with the GIL held).
  std::string unread_;
};

// write / write_all / write_some, the same on every byte-stream class.
template <typename Cls>
void DefineWriteMethods(pybind11::class_<Cls>& cls) {
  namespace py = pybind11;
  cls.def("write", &Cls::Write, py::arg("data"), py::kw_only(), py::arg("timeout") = py::none(),
          "Write all of bytes-like `data` (as ipckit 0.1) and return len(data).\n"
          "PeerClosedError if the reader is gone (never SIGPIPE); on an error midway the\n"
          "message says how many bytes went out.")
      .def("write_all", &Cls::Write, py::arg("data"), py::kw_only(),
           py::arg("timeout") = py::none(), "The same as write(): all of `data`.")
      .def("write_some", &Cls::WriteSome, py::arg("data"), py::kw_only(),
           py::arg("timeout") = py::none(),
           "One short write: some of `data` (at least one byte, once there is room);\n"
           "returns how many bytes were written.");
}

}  // namespace ipckit::python

#endif  // IPCKIT_PY_SRC_STREAM_H_
