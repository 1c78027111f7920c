// ipckit.FileChannel: backend <-> frontend messages through two JSON files.
#include <pybind11/pybind11.h>
#include <pybind11/stl.h>

#include <algorithm>
#include <atomic>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/time/time.h"
#include "cc/file_channel/file_channel.h"
#include "cc/file_channel/message.h"
#include "cc/json/writer.h"
#include "py/src/aio_support.h"
#include "py/src/args.h"
#include "py/src/bindings.h"
#include "py/src/blocking.h"
#include "py/src/errors.h"
#include "py/src/json_codec.h"

namespace ipckit::python {
namespace {

namespace py = pybind11;

// A message as ipckit 0.1's Python API returns it: id, timestamp, type,
// method / reply_to / error when set, and payload as a Python value.
py::dict MessageToDict(const FileMessage& m) {
  py::dict d;
  d["id"] = m.id;
  d["timestamp"] = m.timestamp_ms;
  d["type"] = std::string(MessageTypeName(m.type));
  if (m.method) d["method"] = *m.method;
  if (m.reply_to) d["reply_to"] = *m.reply_to;
  PyObject* payload = LoadJson(m.payload_json);
  if (payload == nullptr) throw py::error_already_set();
  d["payload"] = py::reinterpret_steal<py::object>(payload);
  if (m.error) d["error"] = *m.error;
  return d;
}

std::string JsonArg(const py::handle& obj) {
  json::OutputBuffer text;
  if (!DumpJson(obj.ptr(), /*pretty=*/false, &text)) throw py::error_already_set();
  return std::string(text.GetString(), text.GetSize());
}

class PyFileChannel {
 public:
  PyFileChannel(FileChannel channel, std::shared_ptr<std::atomic<uint64_t>> stamp)
      : endpoint_(std::move(channel), "FileChannel"),
        stamp_(std::move(stamp)),
        dir_(endpoint_.Get()->dir()),
        side_(endpoint_.Get()->side()) {}

  static std::unique_ptr<PyFileChannel> Open(const std::string& dir, FileChannelSide side,
                                             bool skip_existing, bool fsync, bool allow_shared_directory,
                                             const std::optional<std::string>& reader, bool claim_requests) {
    FileChannelOptions options;
    options.skip_existing = skip_existing;
    options.reader_name = reader.value_or("");
    options.claim_requests = claim_requests;
    options.fsync = fsync;
    options.allow_shared_directory = allow_shared_directory;
    // send_event(timestamp_ms=...) sets it for that send; 0: the clock.
    auto stamp = std::make_shared<std::atomic<uint64_t>>(0);
    options.clock = [stamp] {
      uint64_t forced = stamp->load();
      return forced != 0 ? forced : NowUnixMs();
    };
    absl::StatusOr<FileChannel> channel = [&] {
      py::gil_scoped_release release;
      return FileChannel::Open(dir, side, options);
    }();
    return std::make_unique<PyFileChannel>(ValueOrThrow(std::move(channel)), std::move(stamp));
  }

  std::string SendRequest(const std::string& method, const py::handle& params,
                          const py::object& timeout) {
    const std::string payload = JsonArg(params);
    return Send(timeout, [&](FileChannel& c, absl::Duration slice) {
      return c.SendRequest(method, payload, slice);
    });
  }

  std::string SendResponse(const std::string& request_id, const py::handle& result,
                           const py::object& timeout) {
    const std::string payload = JsonArg(result);
    return Send(timeout, [&](FileChannel& c, absl::Duration slice) {
      return c.SendResponse(request_id, payload, slice);
    });
  }

  std::string SendError(const std::string& request_id, const std::string& error,
                        const py::object& timeout) {
    return Send(timeout, [&](FileChannel& c, absl::Duration slice) {
      return c.SendError(request_id, error, slice);
    });
  }

  // `timestamp_ms` (None: the clock) is for tests that need two messages in
  // one millisecond without racing for it. Sends are serialized (kExclusive),
  // so the stamp is this send's alone.
  std::string SendEvent(const std::string& name, const py::handle& payload_obj,
                        const py::object& timeout, std::optional<uint64_t> timestamp_ms) {
    const std::string payload = JsonArg(payload_obj);
    if (timestamp_ms && *timestamp_ms == 0) throw py::value_error("timestamp_ms must be positive");
    return Send(timeout, [&](FileChannel& c, absl::Duration slice) {
      stamp_->store(timestamp_ms.value_or(0));
      absl::StatusOr<std::string> id = c.SendEvent(name, payload, slice);
      stamp_->store(0);
      return id;
    });
  }

  py::list Recv() {
    absl::StatusOr<std::vector<FileMessage>> messages =
        RunLocked(endpoint_, Access::kExclusive, [](FileChannel& c) { return c.Recv(); });
    py::list out;
    for (const FileMessage& m : ValueOrThrow(std::move(messages))) out.append(MessageToDict(m));
    return out;
  }

  py::object RecvOne(const py::object& timeout) {
    // RecvOne reports "nothing in time" as nullopt, not as a timeout, so the
    // slicing is done here.
    const Deadline deadline = Deadline::After(TimeoutArg(timeout));
    for (;;) {
      absl::StatusOr<std::optional<FileMessage>> message =
          RunLocked(endpoint_, Access::kExclusive, [&](FileChannel& c) {
            return c.RecvOne(std::min(deadline.Remaining(), kSignalCheckInterval));
          });
      ThrowIfError(message.status());
      if (message->has_value()) return MessageToDict(**message);
      if (deadline.Expired()) return py::none();
      if (PyErr_CheckSignals() != 0) throw py::error_already_set();
    }
  }

  py::dict WaitResponse(const std::string& request_id, const py::object& timeout_ms,
                        const py::object& timeout) {
    if (!timeout_ms.is_none() && !timeout.is_none()) {
      throw py::type_error("wait_response: pass timeout_ms or timeout, not both");
    }
    const absl::Duration limit = timeout.is_none() ? TimeoutMsArg(timeout_ms) : TimeoutArg(timeout);
    absl::StatusOr<FileMessage> response = RunBlocking(
        endpoint_, Access::kExclusive, limit, [&](FileChannel& c, absl::Duration slice) {
          return c.WaitResponse(request_id, slice);
        });
    return MessageToDict(ValueOrThrow(std::move(response)));
  }

  void WaitForMessages(const py::object& timeout) {
    ThrowIfError(RunBlocking(endpoint_, Access::kExclusive, TimeoutArg(timeout),
                             [](FileChannel& c, absl::Duration slice) {
                               return c.WaitForMessages(slice);
                             }));
  }

  // A slice that times out has changed no file (all locks come first), so
  // the slices may retry it.
  void Clear(const py::object& timeout) {
    ThrowIfError(RunBlocking(endpoint_, Access::kExclusive, TimeoutArg(timeout),
                             [](FileChannel& c, absl::Duration slice) { return c.Clear(slice); }));
  }

  void Close() { endpoint_.Close(); }
  bool closed() const { return endpoint_.closed(); }
  Endpoint<FileChannel>& endpoint() { return endpoint_; }
  const std::string& dir() const { return dir_; }
  std::string side() const { return side_ == FileChannelSide::kBackend ? "backend" : "frontend"; }
  std::string sender_id() { return endpoint_.Get()->sender_id(); }

 private:
  // The channel is not thread-safe, so every call takes all its locks. A send
  // that times out waiting for the channel lock has written nothing, so the
  // slices may retry it.
  template <typename Op>
  std::string Send(const py::object& timeout, Op&& op) {
    return ValueOrThrow(RunBlocking(endpoint_, Access::kExclusive, TimeoutArg(timeout), op));
  }

  Endpoint<FileChannel> endpoint_;
  std::shared_ptr<std::atomic<uint64_t>> stamp_;  // read by the channel's clock
  const std::string dir_;
  const FileChannelSide side_;
};

}  // namespace

void RegisterFileChannel(py::module_& m) {
  py::class_<PyFileChannel> cls(m, "FileChannel", R"doc(
Backend <-> frontend messages through JSON files in a directory (ipckit 0.1's
file-ipc format), e.g. a Python backend and a web frontend.

    channel = FileChannel.backend("./ipc_channel")
    request_id = channel.send_request("getData", {"key": "user_info"})
    response = channel.wait_response(request_id, timeout_ms=5000)
    channel.send_event("status_update", {"status": "ready"})

The backend writes backend_to_frontend.json and reads frontend_to_backend.json;
a frontend the reverse. Messages are dicts: id, timestamp (ms), type
("request" | "response" | "event"), method (requests, events), reply_to
(responses), payload, error (error responses). Nothing is lost or delivered
twice, also for messages written in the same millisecond, and waits wake on
file change (inotify) rather than polling. Not for concurrent use from threads
without a lock of your own (calls are serialized, but recv state is shared).
)doc");
  DefineAioFileChannelMethods(cls);
  cls
      .def_static(
          "backend",
          [](const PathArg& dir, bool skip_existing, bool fsync, bool allow_shared_directory,
             const std::optional<std::string>& reader, bool claim_requests) {
            return PyFileChannel::Open(dir, FileChannelSide::kBackend, skip_existing, fsync,
                                       allow_shared_directory, reader, claim_requests);
          },
          py::arg("dir"), py::kw_only(), py::arg("skip_existing") = false,
          py::arg("fsync") = false, py::arg("allow_shared_directory") = false, py::arg("reader") = py::none(),
          py::arg("claim_requests") = true,
          "Open the backend side of the channel in `dir`, creating what is missing (the\n"
          "directory 0700, .channel_info and both channel files 0600).\n"
          "skip_existing: ignore messages already waiting; fsync: flush each write to disk;\n"
          "allow_shared_directory: accept a directory another user owns or that group or\n"
          "others can write (they can then read, forge or delete every message); without\n"
          "it such a directory raises PermissionError.\n"
          "reader: a name ([A-Za-z0-9_-]{1,64}) that keeps this reader's place in the\n"
          "directory, so a restart resumes with no replay and nothing lost (one open\n"
          "channel per name, else InUseError); skip_existing then applies only to a new\n"
          "name. claim_requests: deliver a request only after claiming it, so one\n"
          "reader of this side gets it, once (False: every reader gets every request).")
      .def_static(
          "frontend",
          [](const PathArg& dir, bool skip_existing, bool fsync, bool allow_shared_directory,
             const std::optional<std::string>& reader, bool claim_requests) {
            return PyFileChannel::Open(dir, FileChannelSide::kFrontend, skip_existing, fsync,
                                       allow_shared_directory, reader, claim_requests);
          },
          py::arg("dir"), py::kw_only(), py::arg("skip_existing") = false,
          py::arg("fsync") = false, py::arg("allow_shared_directory") = false, py::arg("reader") = py::none(),
          py::arg("claim_requests") = true,
          "Open the frontend side of the channel in `dir` (options as for backend).")
      .def("send_request", &PyFileChannel::SendRequest, py::arg("method"),
           py::arg("params") = py::none(), py::kw_only(), py::arg("timeout") = py::none(),
           "Send a request; returns its id. `params` is any JSON-serializable value.")
      .def("send_response", &PyFileChannel::SendResponse, py::arg("request_id"),
           py::arg("result") = py::none(), py::kw_only(), py::arg("timeout") = py::none(),
           "Answer request `request_id` with `result`; returns the response's id.")
      .def("send_error", &PyFileChannel::SendError, py::arg("request_id"), py::arg("error"),
           py::kw_only(), py::arg("timeout") = py::none(),
           "Answer request `request_id` with an error message; returns the response's id.")
      .def("send_event", &PyFileChannel::SendEvent, py::arg("name"),
           py::arg("payload") = py::none(), py::kw_only(), py::arg("timeout") = py::none(),
           py::arg("timestamp_ms") = py::none(),
           "Send event `name` with `payload`; returns its id. timestamp_ms: stamp this time\n"
           "(ms since the epoch) instead of the clock's, e.g. for a test that needs two\n"
           "events of one millisecond.")
      .def("recv", &PyFileChannel::Recv,
           "All messages not yet received, oldest first (an empty list if none). Never\n"
           "waits. CorruptError if the incoming file is damaged (nothing is consumed).")
      .def("recv_one", &PyFileChannel::RecvOne, py::kw_only(), py::arg("timeout") = 0.0,
           "The next message, or None if none arrives within `timeout` seconds\n"
           "(default 0: don't wait; None: wait forever).")
      .def("wait_response", &PyFileChannel::WaitResponse, py::arg("request_id"),
           py::arg("timeout_ms") = py::none(), py::kw_only(), py::arg("timeout") = py::none(),
           "Wait for the response to `request_id` (timeout_ms milliseconds, or timeout\n"
           "seconds; neither: forever) and return it. Other messages arriving meanwhile\n"
           "stay queued for recv(). IpcTimeoutError (a TimeoutError) if none arrives.")
      .def("wait_for_messages", &PyFileChannel::WaitForMessages, py::kw_only(),
           py::arg("timeout") = py::none(),
           "Wait until recv() has something to return. IpcTimeoutError if nothing comes.")
      .def("clear", &PyFileChannel::Clear, py::kw_only(), py::arg("timeout") = py::none(),
           "Empty both channel files (as ipckit 0.1 does), under the channel locks, and\n"
           "drop every message received but not returned. Messages nobody has read yet\n"
           "are gone. IpcTimeoutError if the locks are not free within `timeout`.")
      .def("close", &PyFileChannel::Close, "Close. Idempotent; later calls raise ClosedError.")
      .def_property_readonly("closed", &PyFileChannel::closed, "True after close().")
      .def_property_readonly("dir", &PyFileChannel::dir, "The channel directory.")
      .def_property_readonly("side", &PyFileChannel::side, "'backend' or 'frontend'.")
      .def_property_readonly("sender_id", &PyFileChannel::sender_id,
                             "This endpoint's writer id (the 'sender' field it writes).")
      .def("__enter__", [](py::object self) { return self; })
      .def("__exit__", [](PyFileChannel& self, const py::args&) { self.Close(); })
      .def("__repr__", [](PyFileChannel& self) {
        return absl::StrCat("<ipckit.FileChannel ", self.side(), " '", self.dir(), "'",
                            self.closed() ? " closed" : "", ">");
      });
}

}  // namespace ipckit::python
