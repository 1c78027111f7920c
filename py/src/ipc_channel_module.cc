// ipckit.IpcChannel and ipckit.IpcChannelConnection: whole messages (bytes or
// JSON) between unrelated processes, over a Unix-domain socket.
#include <pybind11/pybind11.h>

#include <memory>
#include <string>
#include <utility>

#include "absl/strings/str_cat.h"
#include "absl/time/time.h"
#include "cc/channel/channel_endpoint.h"
#include "cc/channel/frame.h"
#include "cc/channel/ipc_channel.h"
#include "cc/json/writer.h"
#include "py/src/aio_support.h"
#include "py/src/args.h"
#include "py/src/bindings.h"
#include "py/src/blocking.h"
#include "py/src/errors.h"
#include "py/src/json_codec.h"
#include "py/src/stream_server.h"

namespace ipckit::python {
namespace {

namespace py = pybind11;

// send/recv/send_json/recv_json over anything with the ChannelEndpoint
// contract (IpcChannel forwards to its current connection).
template <typename T>
class MessageCalls {
 public:
  MessageCalls(T value, std::string kind) : endpoint_(std::move(value), std::move(kind)) {}

  const Endpoint<T>& endpoint() const { return endpoint_; }
  Endpoint<T>& endpoint() { return endpoint_; }

  // A partly received message belongs to the endpoint, which a new current
  // connection replaces: nothing is kept here.
  void DropUnread() {}

  void Send(const py::object& data_arg, const py::object& timeout) {
    BytesArg data(data_arg);
    SendPayload(data.view(), TimeoutArg(timeout));
  }

  py::bytes Recv(const py::object& timeout) {
    const std::string& payload = RecvPayload(TimeoutArg(timeout));
    return py::bytes(payload);
  }

  void SendJson(const py::handle& obj, const py::object& timeout) {
    json::OutputBuffer text;
    if (!DumpJson(obj.ptr(), /*pretty=*/false, &text)) throw py::error_already_set();
    SendPayload(absl::string_view(text.GetString(), text.GetSize()), TimeoutArg(timeout));
  }

  py::object RecvJson(const py::object& timeout) {
    PyObject* value = LoadJson(RecvPayload(TimeoutArg(timeout)));
    if (value == nullptr) throw py::error_already_set();
    return py::reinterpret_steal<py::object>(value);
  }

 private:
  // Sent in slices, so Ctrl-C and close() are noticed while the peer does not
  // read (issue 14). A slice that wrote nothing leaves nothing behind and is
  // tried again; once part of this frame is out, later slices only push its
  // tail (ContinueSend), so the message never goes twice. Interrupted or
  // timed out midway, the tail goes out first on the next send.
  void SendPayload(absl::string_view payload, absl::Duration timeout) {
    bool started = false;
    ThrowIfError(RunBlocking(endpoint_, Access::kWrite, timeout,
                             [&](T& channel, absl::Duration slice) -> absl::Status {
                               if (started) return channel.ContinueSend(slice);
                               // Another send's tail first, so that what stays
                               // pending after ours times out is ours.
                               absl::Status flushed = channel.ContinueSend(slice);
                               if (!flushed.ok()) return flushed;
                               absl::Status sent = channel.Send(payload, slice);
                               started = !sent.ok() && channel.has_pending_send();
                               return sent;
                             }));
  }

  // Recv keeps a partly received frame across timeouts, so slicing is
  // lossless. The message lands in a per-thread buffer whose capacity is
  // reused across calls; it stays valid until this thread's next recv.
  static const std::string& RecvPayload(Endpoint<T>& endpoint, absl::Duration timeout) {
    thread_local std::string buffer;
    if (buffer.capacity() > kKeepBufferBytes) std::string().swap(buffer);
    ThrowIfError(RunBlocking(endpoint, Access::kRead, timeout,
                             [&](T& channel, absl::Duration slice) {
                               return channel.RecvInto(&buffer, slice);
                             }));
    return buffer;
  }
  const std::string& RecvPayload(absl::Duration timeout) { return RecvPayload(endpoint_, timeout); }

  static constexpr size_t kKeepBufferBytes = 1 << 20;
  Endpoint<T> endpoint_;
};

class PyChannelConnection : public MessageCalls<ChannelEndpoint> {
 public:
  explicit PyChannelConnection(ChannelEndpoint endpoint)
      : MessageCalls(std::move(endpoint), "IpcChannel connection") {}
};

class PyIpcChannel : public PyStreamServer<PyIpcChannel, IpcChannel, MessageCalls<IpcChannel>,
                                           PyChannelConnection> {
 public:
  explicit PyIpcChannel(IpcChannel channel)
      : PyStreamServer(std::move(channel), "IpcChannel"),
        max_payload_(endpoint().Get()->options().max_payload) {}

  static ChannelOptions OptionsArg(int64_t max_payload, bool allow_other_users) {
    if (max_payload < 0 || max_payload > UINT32_MAX) {
      throw py::value_error(
          absl::StrCat("max_payload must be in [0, 4294967295], got ", max_payload));
    }
    ChannelOptions options;
    options.max_payload = static_cast<uint32_t>(max_payload);
    options.allow_other_users = allow_other_users;
    return options;
  }

  bool has_pending_send() { return endpoint().Get()->has_pending_send(); }
  uint32_t max_payload() const { return max_payload_; }

 private:
  const uint32_t max_payload_;  // Kept so that it still answers after close().
};

template <typename Cls>
void DefineMessageMethods(py::class_<Cls>& cls) {
  cls.def("send", &Cls::Send, py::arg("data"), py::kw_only(), py::arg("timeout") = py::none(),
          "Send bytes-like `data` as one message. TooLargeError (a ValueError) over\n"
          "max_payload, before anything is sent; PeerClosedError if the peer is gone.\n"
          "A send waits only while the peer's socket buffer is full; Ctrl-C and close()\n"
          "interrupt it. Interrupted or timed out midway, the rest of the message goes\n"
          "out first on the next send (see has_pending_send), never twice.")
      .def("recv", &Cls::Recv, py::kw_only(), py::arg("timeout") = py::none(),
           "Receive one message as bytes. IpcTimeoutError after `timeout` seconds (a\n"
           "partly received message is kept for the next recv); PeerClosedError when\n"
           "the peer closed between messages; TruncatedError if it closed mid-message.")
      .def("send_json", &Cls::SendJson, py::arg("obj"), py::kw_only(),
           py::arg("timeout") = py::none(),
           "Send `obj` as one message of compact JSON text (the same bytes as\n"
           "json_dumps(obj).encode()).")
      .def("recv_json", &Cls::RecvJson, py::kw_only(), py::arg("timeout") = py::none(),
           "Receive one message and parse it as JSON (as json_loads does).")
      .def("close", [](Cls& self) { self.endpoint().Close(); },
           "Close. Idempotent; later calls raise ClosedError.")
      .def_property_readonly(
          "closed", [](Cls& self) { return self.endpoint().closed(); }, "True after close().")
      .def("__enter__", [](py::object self) { return self; })
      .def("__exit__", [](Cls& self, const py::args&) { self.endpoint().Close(); });
}

}  // namespace

void RegisterIpcChannel(py::module_& m) {
  py::class_<PyChannelConnection> connection(m, "IpcChannelConnection", R"doc(
One client of an IpcChannel server, as returned by IpcChannel.accept(). It has
its own send/recv and lives independently of the server's current client.
)doc");
  DefineMessageMethods(connection);
  DefineAioMessageMethods(connection);

  py::class_<PyIpcChannel> channel(m, "IpcChannel", R"doc(
Message passing between unrelated processes: every send() arrives as one recv().

    server = IpcChannel.create("my_channel")        # listens at /tmp/my_channel.sock
    server.wait_for_client()
    server.send_json({"type": "greeting", "message": "Hello!"})
    reply = server.recv_json(timeout=5)

    client = IpcChannel.connect("my_channel", timeout=5)   # in another process
    request = client.recv_json()

Frames are a u32 little-endian length and the payload (spec/channel_framing.md),
the same as ipckit 0.1. Both ends must agree on max_payload (default 16 MiB).
A server talks to one current client (wait_for_client); accept() returns more
clients as IpcChannelConnection objects.
)doc");
  DefineMessageMethods(channel);
  DefineServerMethods(channel, "IpcChannel", "IpcChannelConnection");
  DefineAioMessageMethods(channel);
  DefineAioServerMethods<PyChannelConnection>(channel);
  channel
      .def_static(
          "create",
          [](const PathArg& name, int64_t max_payload, bool allow_other_users) {
            return PyIpcChannel::Create(name,
                                        PyIpcChannel::OptionsArg(max_payload, allow_other_users));
          },
          py::arg("name"), py::kw_only(), py::arg("max_payload") = frame::kDefaultMaxPayload,
          py::arg("allow_other_users") = false, kCreateDoc)
      .def_static(
          "connect",
          [](const PathArg& name, const py::object& timeout, int64_t max_payload,
             bool allow_other_users) {
            return PyIpcChannel::Connect(
                name, timeout, PyIpcChannel::OptionsArg(max_payload, allow_other_users));
          },
          py::arg("name"), py::kw_only(), py::arg("timeout") = py::none(),
          py::arg("max_payload") = frame::kDefaultMaxPayload,
          py::arg("allow_other_users") = false, kConnectDoc)
      .def_property_readonly("max_payload", &PyIpcChannel::max_payload,
                             "The largest message this end sends or accepts, in bytes.")
      .def_property_readonly("has_pending_send", &PyIpcChannel::has_pending_send,
                             "True if a timed-out send left part of its message to go out\n"
                             "first with the next send.");
}

}  // namespace ipckit::python
