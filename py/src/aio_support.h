// The non-blocking calls that ipckit.aio (py/ipckit/aio.py) is built on. The
// asyncio side waits for readiness on the event loop (loop.add_reader /
// add_writer on the descriptors these return) and then calls one of these;
// none of them ever waits. Each is the blocking call with a zero timeout, so
// its state rules are the core's: a partly received frame stays in the
// endpoint's FrameDecoder (cc/channel/frame.h), a partly sent one stays as
// the endpoint's pending tail (ChannelEndpoint::ContinueSend). "Would block"
// is a return value (None, 0, False, an empty list), never an exception.
//
//   py::class_<PyChannelConnection> connection(m, "IpcChannelConnection");
//   DefineAioMessageMethods(connection);          // _aio_fileno, _aio_recv_batch, ...
//   DefineAioServerMethods<PyChannelConnection>(channel);  // _aio_accept, ...
//
// The names start with `_aio_`: they are ipckit.aio's, not the public API
// (the stubs leave them out). `Cls` has endpoint() returning an Endpoint<T>
// (py/src/blocking.h); T is one of the core classes named per function.
#ifndef IPCKIT_PY_SRC_AIO_SUPPORT_H_
#define IPCKIT_PY_SRC_AIO_SUPPORT_H_

#include <pybind11/pybind11.h>

#include <algorithm>
#include <cstddef>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "absl/types/span.h"
#include "cc/base/error.h"
#include "py/src/args.h"
#include "py/src/blocking.h"
#include "py/src/errors.h"
#include "py/src/stream.h"

namespace ipckit::python {
namespace aio_internal {

// The core's "nothing could be done without waiting" for a zero timeout.
inline bool WouldBlock(const absl::Status& s) { return !s.ok() && ErrorClassOf(s) == kErrTimeout; }

}  // namespace aio_internal

// IpcChannel and IpcChannelConnection (T: IpcChannel or ChannelEndpoint):
//   _aio_fileno() -> int                 the socket to wait on (-1: none)
//   _aio_recv_batch() -> list[bytes]     the messages ready now, [] if none
//   _aio_send(data) -> int               0 nothing sent (no room, or an older
//                                        tail still pending), 1 sent whole,
//                                        2 started: the rest is pending
//   _aio_flush() -> bool                 push the pending tail; True once none
template <typename Cls>
void DefineAioMessageMethods(pybind11::class_<Cls>& cls) {
  namespace py = pybind11;
  cls.def("_aio_fileno", [](Cls& self) {
    return RunLocked(self.endpoint(), Access::kRead, [](auto& channel) { return channel.fd(); });
  });
  // Whole messages only (RecvInto keeps a partial frame in the decoder). It
  // takes every whole message the decoder holds and reads the socket only
  // when it holds none, so a batch is what one read(2) brought in (at most
  // the decoder's buffer) and costs one system call; the loop's
  // level-triggered readiness brings the caller back for what the kernel
  // still holds. Stopping with whole messages left in the decoder would
  // strand them: no readiness would report them.
  cls.def("_aio_recv_batch", [](Cls& self) {
    std::vector<std::string> got;
    absl::Status error = RunLocked(self.endpoint(), Access::kRead, [&](auto& channel) {
      std::string message;
      for (;;) {
        absl::Status s = channel.RecvInto(&message, absl::ZeroDuration());
        if (!s.ok()) return aio_internal::WouldBlock(s) ? absl::OkStatus() : s;
        got.push_back(std::move(message));
        message = std::string();
        if (!channel.has_buffered_message()) break;
      }
      return absl::OkStatus();
    });
    // The end of the stream (peer_closed, truncated, too_large) is sticky in
    // the endpoint: after the messages before it, the next call raises it.
    if (!error.ok() && got.empty()) ThrowStatus(error);
    py::list out(got.size());
    for (size_t i = 0; i < got.size(); ++i) out[i] = py::bytes(got[i]);
    return out;
  });
  cls.def("_aio_send", [](Cls& self, const py::object& data_arg) {
    BytesArg data(data_arg);
    absl::StatusOr<int> outcome =
        RunLocked(self.endpoint(), Access::kWrite, [&](auto& channel) -> absl::StatusOr<int> {
          absl::Status flushed = channel.ContinueSend(absl::ZeroDuration());
          if (aio_internal::WouldBlock(flushed)) return 0;
          if (!flushed.ok()) return flushed;
          absl::Status sent = channel.Send(data.view(), absl::ZeroDuration());
          if (sent.ok()) return 1;
          if (!aio_internal::WouldBlock(sent)) return sent;
          return channel.has_pending_send() ? 2 : 0;
        });
    return ValueOrThrow(std::move(outcome));
  }, py::arg("data"));
  cls.def("_aio_flush", [](Cls& self) {
    absl::Status flushed = RunLocked(self.endpoint(), Access::kWrite, [](auto& channel) {
      return channel.ContinueSend(absl::ZeroDuration());
    });
    if (aio_internal::WouldBlock(flushed)) return false;
    ThrowIfError(flushed);
    return true;
  });
}

// NamedPipe, NamedPipeConnection and AnonymousPipe (Cls derives from
// StreamCalls<T>):
//   _aio_read(size) -> bytes | None   some bytes, b"" at end of stream, None if
//                                     none now (bytes a failed read_exact kept
//                                     come first, as in read())
//   _aio_write(data) -> int           bytes written now, 0 if there is no room
template <typename Cls>
void DefineAioStreamMethods(pybind11::class_<Cls>& cls) {
  namespace py = pybind11;
  cls.def("_aio_read", [](Cls& self, py::ssize_t size_arg) -> py::object {
    const size_t size = SizeArg(size_arg);
    if (self.has_unread()) return self.TakeUnread(size);
    if (size == 0) return py::bytes();
    std::string buf(std::min(size, kMaxReadChunk), '\0');
    absl::StatusOr<size_t> n = RunLocked(self.endpoint(), Access::kRead, [&](auto& stream) {
      return stream.Read(absl::MakeSpan(&buf[0], buf.size()), absl::ZeroDuration());
    });
    if (aio_internal::WouldBlock(n.status())) return py::none();
    return py::bytes(buf.data(), ValueOrThrow(std::move(n)));
  }, py::arg("size"));
  cls.def("_aio_write", [](Cls& self, const py::object& data_arg) -> size_t {
    BytesArg data(data_arg);
    if (data.view().empty()) return 0;
    absl::StatusOr<size_t> n = RunLocked(self.endpoint(), Access::kWrite, [&](auto& stream) {
      return stream.Write(data.view(), absl::ZeroDuration());
    });
    if (aio_internal::WouldBlock(n.status())) return 0;
    return ValueOrThrow(std::move(n));
  }, py::arg("data"));
}

// NamedPipe and NamedPipeConnection: the socket to wait on (-1: none).
template <typename Cls>
void DefineAioStreamFileno(pybind11::class_<Cls>& cls) {
  cls.def("_aio_fileno", [](Cls& self) {
    return RunLocked(self.endpoint(), Access::kRead, [](auto& stream) { return stream.fd(); });
  });
}

// IpcChannel and NamedPipe servers (T: a StreamServer); PyConnection is the
// class accept() returns:
//   _aio_listener_fileno() -> int            the listening socket (-1: a client)
//   _aio_accept() -> PyConnection | None     a client waiting now, or None
//   _aio_wait_for_client() -> bool           True once a waiting client became
//                                            the current connection
template <typename PyConnection, typename Cls>
void DefineAioServerMethods(pybind11::class_<Cls>& cls) {
  cls.def("_aio_listener_fileno", [](Cls& self) {
    return RunLocked(self.endpoint(), Access::kAccept,
                     [](auto& server) { return server.listener_fd(); });
  });
  cls.def("_aio_accept", [](Cls& self) -> std::unique_ptr<PyConnection> {
    auto connection = RunLocked(self.endpoint(), Access::kAccept,
                                [](auto& server) { return server.Accept(absl::ZeroDuration()); });
    if (aio_internal::WouldBlock(connection.status())) return nullptr;
    return std::make_unique<PyConnection>(ValueOrThrow(std::move(connection)));
  });
  cls.def("_aio_wait_for_client", [](Cls& self) {
    absl::Status s = RunLocked(self.endpoint(), Access::kExclusive, [](auto& server) {
      return server.WaitForClient(absl::ZeroDuration());
    });
    if (aio_internal::WouldBlock(s)) return false;
    ThrowIfError(s);
    self.DropUnread();
    return true;
  });
}

// FileChannel (T: FileChannel):
//   _aio_change_fd() -> int    arms the watch; its inotify fd, -1 when polling
//   _aio_take_change() -> bool consumes queued changes; True if the incoming
//                              file may have changed
template <typename Cls>
void DefineAioFileChannelMethods(pybind11::class_<Cls>& cls) {
  cls.def("_aio_change_fd", [](Cls& self) {
    return ValueOrThrow(
        RunLocked(self.endpoint(), Access::kExclusive, [](auto& c) { return c.ChangeFd(); }));
  });
  cls.def("_aio_take_change", [](Cls& self) {
    return ValueOrThrow(
        RunLocked(self.endpoint(), Access::kExclusive, [](auto& c) { return c.TakeChange(); }));
  });
}

}  // namespace ipckit::python

#endif  // IPCKIT_PY_SRC_AIO_SUPPORT_H_
