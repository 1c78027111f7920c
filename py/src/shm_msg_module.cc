// ipckit.ShmPublisher / ShmSubscriber / ShmLoan / ShmSample: zero-copy
// publish/subscribe over shared memory (spec/shm_messaging.md); ShmClient /
// ShmServer / ShmRequest: request/response on top of it; ShmNotifier /
// ShmListener: events (an id wakes listeners).
//
//   with ipckit.ShmPublisher.create("frames", max_payload=1 << 20) as pub:
//       loan = pub.loan(640 * 480)
//       numpy.frombuffer(loan, numpy.uint8)[:] = 7   # writes shared memory
//       pub.send(loan)                               # (drop the array first)
//   with sub.receive(timeout=1) as sample:           # ShmSample
//       data = numpy.frombuffer(sample, numpy.uint8) # read-only, zero copy
//
// A loan is a writable buffer and a sample a read-only one. Their memory is
// only theirs until send() or release(): both raise BufferError while a
// memoryview or numpy array of them still exists, so a view never outlives
// the sample it shows. Waits release the GIL and honour Ctrl-C.
#include <pybind11/pybind11.h>

#include <algorithm>
#include <cstring>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/time/time.h"
#include "cc/base/error.h"
#include "cc/shm_msg/event.h"
#include "cc/shm_msg/publisher.h"
#include "cc/shm_msg/rpc.h"
#include "cc/shm_msg/subscriber.h"
#include "cc/shm_msg/wait_set.h"
#include "py/src/args.h"
#include "py/src/blocking.h"
#include "py/src/errors.h"
#include "py/src/json_codec.h"

namespace ipckit::python {
namespace {

namespace py = pybind11;
using shm_msg::LoanedSample;
using shm_msg::Publisher;
using shm_msg::Sample;
using shm_msg::ServiceConfig;
using shm_msg::Subscriber;
using shm_msg::WaitMode;

ServiceConfig ConfigArg(py::ssize_t max_payload, py::ssize_t max_subscribers,
                        py::ssize_t subscriber_buffer, py::ssize_t history, py::ssize_t max_held,
                        py::ssize_t pool_slots, const std::string& overflow,
                        py::ssize_t max_publishers) {
  ServiceConfig c;
  c.max_publishers = static_cast<uint32_t>(SizeArg(max_publishers, "max_publishers"));
  c.max_payload = SizeArg(max_payload, "max_payload");
  c.max_subscribers = static_cast<uint32_t>(SizeArg(max_subscribers, "max_subscribers"));
  c.subscriber_buffer = static_cast<uint32_t>(SizeArg(subscriber_buffer, "subscriber_buffer"));
  c.history = static_cast<uint32_t>(SizeArg(history, "history"));
  c.max_held = static_cast<uint32_t>(SizeArg(max_held, "max_held"));
  c.pool_slots = static_cast<uint32_t>(SizeArg(pool_slots, "pool_slots"));
  if (overflow == "drop_oldest") {
    c.overflow = shm_msg::Overflow::kDropOldest;
  } else if (overflow == "block") {
    c.overflow = shm_msg::Overflow::kBlock;
  } else {
    ThrowError(kErrInvalidArgument,
               absl::StrCat("overflow must be 'drop_oldest' or 'block', not '", overflow, "'"));
  }
  return c;
}

WaitMode WaitArg(const std::string& wait) {
  if (wait == "blocking") return WaitMode::kBlocking;
  if (wait == "busy") return WaitMode::kBusyWait;
  if (wait == "hybrid") return WaitMode::kHybrid;
  ThrowError(kErrInvalidArgument,
             absl::StrCat("wait must be 'blocking', 'busy' or 'hybrid', not '", wait, "'"));
}

// The buffer exports of one loan or sample, for bf_getbuffer/bf_releasebuffer.
template <typename Wrapper>
int ExportBuffer(PyObject* self, Py_buffer* view, int flags, bool readonly) {
  Wrapper* w = nullptr;
  try {
    w = py::cast<Wrapper*>(py::handle(self));
  } catch (const std::exception& e) {
    PyErr_SetString(PyExc_BufferError, e.what());
    view->obj = nullptr;
    return -1;
  }
  if (!w->valid()) {
    SetStatusError(ClosedError(absl::StrCat("the ", Wrapper::kKind, " was already ",
                                            Wrapper::kGoneVerb)));
    view->obj = nullptr;
    return -1;
  }
  if (PyBuffer_FillInfo(view, self, w->buffer(), static_cast<Py_ssize_t>(w->size()),
                        readonly ? 1 : 0, flags) != 0) {
    return -1;
  }
  ++w->exports;
  ++*w->owner_exports;
  return 0;
}

template <typename Wrapper>
void ReleaseExport(PyObject* self, Py_buffer*) {
  try {
    Wrapper* w = py::cast<Wrapper*>(py::handle(self));
    --w->exports;
    --*w->owner_exports;
  } catch (...) {
    // The view holds a reference to `self`, so the cast cannot fail.
  }
}

template <typename Wrapper>
void RefuseWhileExported(const Wrapper& w, const char* what) {
  if (w.exports > 0) {
    throw py::buffer_error(absl::StrCat("cannot ", what, " the ", Wrapper::kKind, ": ", w.exports,
                                        " buffer(s) (memoryview, numpy array, ...) still use it"));
  }
}

void RefuseOwnerClose(int exports, const char* kind, const char* what) {
  if (exports > 0) {
    throw py::buffer_error(absl::StrCat("cannot close the ", kind, ": ", exports, " buffer(s) of a ",
                                        what, " (memoryview, numpy array, ...) still use it"));
  }
}

class PyLoan {
 public:
  static constexpr const char* kKind = "ShmLoan";
  static constexpr const char* kGoneVerb = "sent or dropped";

  PyLoan(LoanedSample loan, std::shared_ptr<int> owner_exports)
      : owner_exports(std::move(owner_exports)), loan_(std::move(loan)) {}
  bool valid() const { return loan_.valid(); }
  char* buffer() { return loan_.data().data(); }
  size_t size() const { return loan_.size(); }
  LoanedSample& Take(const char* what) {
    RefuseWhileExported(*this, what);
    if (!loan_.valid()) ThrowError(kErrClosed, "the ShmLoan was already sent or dropped");
    return loan_;
  }
  void Resize(py::ssize_t size) {
    RefuseWhileExported(*this, "resize");
    ThrowIfError(Take("resize").Resize(SizeArg(size)));
  }
  void Drop() {
    RefuseWhileExported(*this, "drop");
    loan_ = LoanedSample();
  }

  int exports = 0;
  std::shared_ptr<int> owner_exports;  // all exports of the publisher's loans

 private:
  LoanedSample loan_;
};

class PySample {
 public:
  static constexpr const char* kKind = "ShmSample";
  static constexpr const char* kGoneVerb = "released";

  PySample(Sample sample, std::shared_ptr<int> owner_exports)
      : owner_exports(std::move(owner_exports)), sample_(std::move(sample)) {}
  bool valid() const { return sample_.valid(); }
  char* buffer() { return const_cast<char*>(sample_.data().data()); }
  size_t size() const { return sample_.size(); }
  uint64_t sequence() const { return sample_.sequence(); }
  uint32_t publisher() const { return sample_.publisher(); }
  py::bytes Bytes() {
    if (!valid()) ThrowError(kErrClosed, "the ShmSample was already released");
    return py::bytes(sample_.view().data(), sample_.size());
  }
  void Release() {
    RefuseWhileExported(*this, "release");
    sample_.Release();
  }

  int exports = 0;
  std::shared_ptr<int> owner_exports;  // all exports of the subscriber's samples

 private:
  Sample sample_;
};

class PyPublisher {
 public:
  using Cpp = Publisher;
  using Options = shm_msg::PublisherOptions;

  explicit PyPublisher(Publisher pub, std::string name)
      : endpoint_(std::move(pub), "ShmPublisher"), name_(std::move(name)) {}

  std::unique_ptr<PyLoan> Loan(py::ssize_t size) {
    const size_t n = SizeArg(size);
    return std::make_unique<PyLoan>(
        ValueOrThrow(RunLocked(endpoint_, Access::kWrite, [&](Publisher& p) { return p.Loan(n); })),
        exports_);
  }

  void Send(PyLoan& loan, const py::object& timeout) {
    LoanedSample& sample = loan.Take("send");
    ThrowIfError(RunBlocking(endpoint_, Access::kWrite, TimeoutArg(timeout),
                             [&](Publisher& p, absl::Duration slice) {
                               return p.Send(sample, slice);
                             }));
  }

  void SendCopy(const py::object& data, const py::object& timeout) {
    BytesArg bytes(data);
    SendBytes(bytes.view(), timeout);
  }

  void SendJson(const py::object& obj, const py::object& timeout) {
    json::OutputBuffer text;
    if (!DumpJson(obj.ptr(), /*pretty=*/false, &text)) throw py::error_already_set();
    SendBytes(absl::string_view(text.GetString(), text.GetSize()), timeout);
  }

  size_t subscriber_count() {
    return RunLocked(endpoint_, Access::kWrite, [](Publisher& p) { return p.subscriber_count(); });
  }
  uint64_t max_payload() { return endpoint_.Get()->config().max_payload; }
  const std::string& name() const { return name_; }
  bool closed() const { return endpoint_.closed(); }
  // Closing gives every loan back: refused while a view could still write into one.
  void Close() {
    RefuseOwnerClose(*exports_, "ShmPublisher", "loan");
    endpoint_.Close();
  }

 private:
  void SendBytes(absl::string_view bytes, const py::object& timeout) {
    // Loan and copy once; a timeout (overflow "block") keeps the loan for the next slice.
    LoanedSample loan = ValueOrThrow(
        RunLocked(endpoint_, Access::kWrite, [&](Publisher& p) { return p.Loan(bytes.size()); }));
    if (!bytes.empty()) std::memcpy(loan.data().data(), bytes.data(), bytes.size());
    ThrowIfError(RunBlocking(endpoint_, Access::kWrite, TimeoutArg(timeout),
                             [&](Publisher& p, absl::Duration slice) {
                               return p.Send(loan, slice);
                             }));
  }

  Endpoint<Publisher> endpoint_;
  std::string name_;
  std::shared_ptr<int> exports_ = std::make_shared<int>(0);
};

class PySubscriber {
 public:
  using Cpp = Subscriber;
  using Options = shm_msg::SubscriberOptions;

  explicit PySubscriber(Subscriber sub, std::string name)
      : endpoint_(std::move(sub), "ShmSubscriber"), name_(std::move(name)) {}

  std::unique_ptr<PySample> Receive(const py::object& timeout) {
    return std::make_unique<PySample>(
        ValueOrThrow(RunBlocking(endpoint_, Access::kRead, TimeoutArg(timeout),
                                 [](Subscriber& s, absl::Duration slice) { return s.Receive(slice); })),
        exports_);
  }

  py::object RecvJson(const py::object& timeout) {
    std::unique_ptr<PySample> sample = Receive(timeout);
    PyObject* obj = LoadJson(std::string(sample->buffer(), sample->size()));
    sample->Release();
    if (obj == nullptr) throw py::error_already_set();
    return py::reinterpret_steal<py::object>(obj);
  }

  const std::string& name() const { return name_; }
  bool closed() const { return endpoint_.closed(); }
  const Endpoint<Subscriber>& endpoint() const { return endpoint_; }
  // Closing releases every sample: refused while a view could still read one
  // (its slot may be reused at once); samples not exported just become invalid.
  void Close() {
    RefuseOwnerClose(*exports_, "ShmSubscriber", "sample");
    endpoint_.Close();
  }

 private:
  Endpoint<Subscriber> endpoint_;
  std::string name_;
  std::shared_ptr<int> exports_ = std::make_shared<int>(0);
};

// Joins service `name` as Cpp::Create(name, args...) with the GIL released
// (it may wait for another process creating the service) and wraps it in Py.
template <typename Py, typename Cpp = typename Py::Cpp, typename Name, typename... Args>
std::unique_ptr<Py> Join(const Name& name, const Args&... args) {
  absl::StatusOr<Cpp> endpoint = [&] {
    py::gil_scoped_release release;
    return Cpp::Create(name, args...);
  }();
  return std::make_unique<Py>(ValueOrThrow(std::move(endpoint)), name);
}

// name, closed, close() and the context manager of every service endpoint.
template <typename Cls>
void DefMembership(Cls& cls) {
  using T = typename Cls::type;
  cls.def_property_readonly("name", &T::name)
      .def_property_readonly("closed", &T::closed)
      .def("close", &T::Close, "Leave the service (the last one out removes it). Idempotent.")
      .def("__enter__", [](py::object self) { return self; })
      .def("__exit__", [](T& self, const py::args&) { self.Close(); });
}

// ShmNotifier / ShmListener: shm_msg::Notifier / Listener (cc/shm_msg/event.h).
class PyNotifier {
 public:
  using Cpp = shm_msg::Notifier;
  PyNotifier(Cpp notifier, std::string name)
      : endpoint_(std::move(notifier), "ShmNotifier"), name_(std::move(name)) {}

  void Notify(uint64_t event_id) {
    ThrowIfError(RunLocked(endpoint_, Access::kWrite, [&](Cpp& n) { return n.Notify(event_id); }));
  }
  size_t listener_count() const { return endpoint_.Get()->listener_count(); }
  const std::string& name() const { return name_; }
  bool closed() const { return endpoint_.closed(); }
  void Close() { endpoint_.Close(); }

 private:
  Endpoint<Cpp> endpoint_;
  std::string name_;
};

class PyListener {
 public:
  using Cpp = shm_msg::Listener;
  PyListener(Cpp listener, std::string name)
      : endpoint_(std::move(listener), "ShmListener"), name_(std::move(name)) {}

  uint64_t Wait(const py::object& timeout) {
    return ValueOrThrow(RunBlocking(endpoint_, Access::kRead, TimeoutArg(timeout),
                                    [](Cpp& l, absl::Duration slice) { return l.Wait(slice); }));
  }
  // The next event id, or None when none is queued now.
  py::object TryWait() {
    absl::StatusOr<uint64_t> id =
        RunLocked(endpoint_, Access::kRead, [](Cpp& l) { return l.Wait(absl::ZeroDuration()); });
    if (!id.ok() && ErrorClassOf(id.status()) == kErrTimeout) return py::none();
    return py::int_(ValueOrThrow(std::move(id)));
  }
  const std::string& name() const { return name_; }
  bool closed() const { return endpoint_.closed(); }
  const Endpoint<Cpp>& endpoint() const { return endpoint_; }
  void Close() { endpoint_.Close(); }

 private:
  Endpoint<Cpp> endpoint_;
  std::string name_;
};

template <typename Py>
std::unique_ptr<Py> CreateEvent(const PathArg& name, py::ssize_t max_listeners,
                                py::ssize_t max_notifiers, py::ssize_t buffer,
                                const std::string& wait, const py::object& timeout) {
  shm_msg::EventOptions o;
  o.max_listeners = static_cast<uint32_t>(SizeArg(max_listeners, "max_listeners"));
  o.max_notifiers = static_cast<uint32_t>(SizeArg(max_notifiers, "max_notifiers"));
  o.buffer = static_cast<uint32_t>(SizeArg(buffer, "buffer"));
  o.wait_mode = WaitArg(wait);
  o.open_timeout = TimeoutArg(timeout);
  return Join<Py>(name, o);
}

constexpr char kEventDoc[] =
    "Every participant of event service `name` must pass the same max_listeners\n"
    "(listeners at once), max_notifiers (notifiers at once) and buffer (events\n"
    "queued per listener; when full the oldest is dropped). wait is 'blocking',\n"
    "'busy' or 'hybrid'; timeout bounds the wait for a service another process is\n"
    "creating.";

template <typename Cls>
void DefEventCreate(Cls& cls) {
  using T = typename Cls::type;
  cls.def_static("create", &CreateEvent<T>, py::arg("name"), py::kw_only(),
                 py::arg("max_listeners") = 8, py::arg("max_notifiers") = 1,
                 py::arg("buffer") = 64, py::arg("wait") = "blocking", py::arg("timeout") = 1.0,
                 kEventDoc);
  DefMembership(cls);
}

shm_msg::RpcOptions RpcOptionsArg(py::ssize_t max_clients, py::ssize_t max_servers,
                                   py::ssize_t max_request, py::ssize_t max_response,
                                   py::ssize_t max_in_flight, const std::string& wait,
                                   const py::object& timeout) {
  shm_msg::RpcOptions o;
  o.max_clients = static_cast<uint32_t>(SizeArg(max_clients, "max_clients"));
  o.max_servers = static_cast<uint32_t>(SizeArg(max_servers, "max_servers"));
  o.max_request = SizeArg(max_request, "max_request");
  o.max_response = SizeArg(max_response, "max_response");
  o.max_in_flight = static_cast<uint32_t>(SizeArg(max_in_flight, "max_in_flight"));
  o.wait_mode = WaitArg(wait);
  o.open_timeout = TimeoutArg(timeout);
  return o;
}

// A request as a server received it: its bytes are copied out and its slot
// released at once, so holding ShmRequests never starves the pool.
struct PyRequest {
  shm_msg::Request request;
  py::bytes data;
};

class PyServer {
 public:
  PyServer(shm_msg::Server server, std::string name)
      : endpoint_(std::move(server), "ShmServer"), name_(std::move(name)) {}

  std::unique_ptr<PyRequest> Receive(const py::object& timeout) {
    shm_msg::Request request = ValueOrThrow(
        RunBlocking(endpoint_, Access::kRead, TimeoutArg(timeout),
                    [](shm_msg::Server& s, absl::Duration slice) { return s.Receive(slice); }));
    auto out = std::make_unique<PyRequest>();
    out->data = py::bytes(request.view().data(), request.view().size());
    request.Release();
    out->request = std::move(request);
    return out;
  }

  void Respond(const PyRequest& request, const py::object& data, const py::object& timeout) {
    BytesArg bytes(data);
    ThrowIfError(RunBlocking(endpoint_, Access::kWrite, TimeoutArg(timeout),
                             [&](shm_msg::Server& s, absl::Duration slice) {
                               return s.Respond(request.request, bytes.view(), slice);
                             }));
  }

  const std::string& name() const { return name_; }
  bool closed() const { return endpoint_.closed(); }
  void Close() { endpoint_.Close(); }

 private:
  Endpoint<shm_msg::Server> endpoint_;
  std::string name_;
};

class PyClient {
 public:
  PyClient(shm_msg::Client client, std::string name)
      : endpoint_(std::move(client), "ShmClient"), name_(std::move(name)) {}

  uint64_t Send(const py::object& data, const py::object& timeout) {
    BytesArg bytes(data);
    return SendFor(bytes.view(), TimeoutArg(timeout));
  }

  py::bytes Receive(uint64_t id, const py::object& timeout) {
    return ReceiveFor(id, TimeoutArg(timeout));
  }

  py::bytes Call(const py::object& data, const py::object& timeout) {
    BytesArg bytes(data);
    const absl::Duration total = TimeoutArg(timeout);
    const Deadline deadline = Deadline::After(total);
    const uint64_t id = SendFor(bytes.view(), total);
    return ReceiveFor(id, deadline.Remaining());
  }

  size_t in_flight() {
    return RunLocked(endpoint_, Access::kExclusive, [](shm_msg::Client& c) { return c.in_flight(); });
  }
  const std::string& name() const { return name_; }
  bool closed() const { return endpoint_.closed(); }
  void Close() { endpoint_.Close(); }

 private:
  uint64_t SendFor(absl::string_view bytes, absl::Duration timeout) {
    return ValueOrThrow(RunBlocking(endpoint_, Access::kExclusive, timeout,
                                    [&](shm_msg::Client& c, absl::Duration slice) {
                                      return c.Send(bytes, slice);
                                    }));
  }

  py::bytes ReceiveFor(uint64_t id, absl::Duration timeout) {
    // Copied out (with the GIL held) while the response is still held.
    std::optional<shm_msg::Response> response;
    ThrowIfError(RunBlocking(endpoint_, Access::kExclusive, timeout,
                             [&](shm_msg::Client& c, absl::Duration slice) -> absl::Status {
                               absl::StatusOr<shm_msg::Response> r = c.Receive(id, slice);
                               if (!r.ok()) return r.status();
                               response = std::move(*r);
                               return absl::OkStatus();
                             }));
    return py::bytes(response->view().data(), response->view().size());
  }

  Endpoint<shm_msg::Client> endpoint_;
  std::string name_;
};

template <typename Py, typename Cpp>
std::unique_ptr<Py> CreateRpc(const std::string& name, py::ssize_t max_clients,
                              py::ssize_t max_servers, py::ssize_t max_request,
                              py::ssize_t max_response, py::ssize_t max_in_flight,
                              const std::string& wait, const py::object& timeout) {
  const shm_msg::RpcOptions options = RpcOptionsArg(max_clients, max_servers, max_request,
                                                    max_response, max_in_flight, wait, timeout);
  return Join<Py, Cpp>(name, options);
}

constexpr char kRpcDoc[] =
    "Every client and server of service `name` must pass the same configuration:\n"
    "max_clients and max_servers (1..16 at once), max_request and max_response\n"
    "(bytes), max_in_flight (requests one client awaits at once). wait is\n"
    "'blocking', 'busy' or 'hybrid'; timeout bounds the wait for a service another\n"
    "process is creating.";

template <typename Cls, typename Cpp>
void DefRpcCreate(Cls& cls) {
  using T = typename Cls::type;
  cls.def_static("create", &CreateRpc<T, Cpp>, py::arg("name"), py::kw_only(),
                 py::arg("max_clients") = 4, py::arg("max_servers") = 1,
                 py::arg("max_request") = 4096, py::arg("max_response") = 4096,
                 py::arg("max_in_flight") = 8, py::arg("wait") = "blocking",
                 py::arg("timeout") = 1.0, kRpcDoc);
  DefMembership(cls);
}

// ShmWaitSet: shm_msg::WaitSet over ShmSubscribers and fds, rebuilt for each
// slice so that a close() from another thread is noticed between slices.
class PyWaitSet {
 public:
  size_t Add(py::object subscriber) {
    if (!py::isinstance<PySubscriber>(subscriber) && !py::isinstance<PyListener>(subscriber)) {
      throw py::type_error(
          "ShmWaitSet.add takes a ShmSubscriber or a ShmListener; use add_fd for a file");
    }
    members_.push_back({std::move(subscriber), -1});
    return members_.size() - 1;
  }

  size_t AddFd(const py::object& file) {
    int fd = -1;
    if (py::isinstance<py::int_>(file)) {
      fd = file.cast<int>();
    } else if (py::hasattr(file, "fileno")) {
      fd = file.attr("fileno")().cast<int>();
    }
    if (fd < 0) ThrowError(kErrInvalidArgument, "add_fd takes a file descriptor or an object with fileno()");
    members_.push_back({py::none(), fd});
    return members_.size() - 1;
  }

  py::list Wait(const py::object& timeout) {
    absl::StatusOr<std::vector<size_t>> ready =
        RunSliced(TimeoutArg(timeout), [&](absl::Duration slice) { return WaitSlice(slice); });
    py::list out;
    for (size_t i : ValueOrThrow(std::move(ready))) out.append(i);
    return out;
  }

 private:
  struct Member {
    py::object subscriber;  // a PySubscriber or PyListener, or None for an fd
    int fd;
  };

  // One slice, called with the GIL released by RunSliced: reacquire it to
  // read the members, then wait without it, holding each subscriber's read
  // lock (taken in address order, so two wait-sets never deadlock).
  absl::StatusOr<std::vector<size_t>> WaitSlice(absl::Duration slice) {
    std::vector<std::shared_ptr<Subscriber>> objects(members_.size());
    std::vector<std::shared_ptr<shm_msg::Listener>> listeners(members_.size());
    std::vector<const EndpointLocks*> locks;
    std::vector<size_t> closed;
    {
      py::gil_scoped_acquire gil;
      for (size_t i = 0; i < members_.size(); ++i) {
        const py::object& member = members_[i].subscriber;
        if (member.is_none()) continue;
        if (py::isinstance<PyListener>(member)) {
          const PyListener& l = member.cast<const PyListener&>();
          if (l.closed()) {
            closed.push_back(i);
            continue;
          }
          listeners[i] = l.endpoint().Get();
          locks.push_back(&l.endpoint().locks());
          continue;
        }
        const PySubscriber& sub = member.cast<const PySubscriber&>();
        if (sub.closed()) {
          closed.push_back(i);
          continue;
        }
        objects[i] = sub.endpoint().Get();
        locks.push_back(&sub.endpoint().locks());
      }
    }
    if (!closed.empty()) return closed;  // receive() would raise at once
    std::sort(locks.begin(), locks.end());
    std::vector<std::unique_ptr<EndpointLocks::Held>> held;
    for (const EndpointLocks* l : locks) {
      held.push_back(std::make_unique<EndpointLocks::Held>(*l, Access::kRead));
    }
    shm_msg::WaitSet set;
    for (size_t i = 0; i < members_.size(); ++i) {
      if (objects[i] != nullptr) {
        set.Add(*objects[i]);
      } else if (listeners[i] != nullptr) {
        set.Add(*listeners[i]);
      } else {
        set.AddFd(members_[i].fd);
      }
    }
    return set.Wait(slice);
  }

  std::vector<Member> members_;
};

// ShmPublisher.create / ShmSubscriber.create: open or create the service and join it.
template <typename Py>
std::unique_ptr<Py> CreateEndpoint(const PathArg& name, py::ssize_t max_payload,
                                   py::ssize_t max_subscribers, py::ssize_t subscriber_buffer,
                                   py::ssize_t history, py::ssize_t max_held,
                                   py::ssize_t pool_slots, const std::string& overflow,
                                   const std::string& wait, const py::object& timeout,
                                   py::ssize_t max_publishers) {
  const ServiceConfig config = ConfigArg(max_payload, max_subscribers, subscriber_buffer, history,
                                         max_held, pool_slots, overflow, max_publishers);
  typename Py::Options options;
  options.wait_mode = WaitArg(wait);
  options.open_timeout = TimeoutArg(timeout);
  return Join<Py>(name, config, options);
}

constexpr char kConfigDoc[] =
    "Every participant of service `name` must pass the same configuration:\n"
    "max_payload (bytes per sample), max_subscribers (1..32), max_publishers\n"
    "(1..16 publishers at once), subscriber_buffer (samples queued per subscriber\n"
    "from each publisher), history (samples a late subscriber gets),\n"
    "max_held (samples one subscriber may hold), pool_slots (0: enough for all of\n"
    "those) and overflow ('drop_oldest' or 'block': what a full queue does).\n"
    "ValueError (InvalidArgumentError) if it differs from the service's. wait is\n"
    "'blocking' (futex), 'busy' (spin: lowest latency, one core busy) or 'hybrid'.\n"
    "timeout bounds the wait for a service another process is creating.";

template <typename Cls>
void DefCreate(Cls& cls) {
  using T = typename Cls::type;
  cls.def_static("create", &CreateEndpoint<T>, py::arg("name"), py::kw_only(),
                 py::arg("max_payload") = 4096, py::arg("max_subscribers") = 4,
                 py::arg("subscriber_buffer") = 16, py::arg("history") = 0,
                 py::arg("max_held") = 2, py::arg("pool_slots") = 0,
                 py::arg("overflow") = "drop_oldest", py::arg("wait") = "blocking",
                 py::arg("timeout") = 1.0, py::arg("max_publishers") = 1, kConfigDoc);
  DefMembership(cls);
}

template <typename Wrapper, bool kReadOnly>
int GetBuffer(PyObject* self, Py_buffer* view, int flags) {
  return ExportBuffer<Wrapper>(self, view, flags, kReadOnly);
}

template <typename Wrapper, bool kReadOnly, typename Cls>
void DefBuffer(Cls& cls) {
  auto* heap_type = reinterpret_cast<PyHeapTypeObject*>(cls.ptr());
  heap_type->as_buffer.bf_getbuffer = &GetBuffer<Wrapper, kReadOnly>;
  heap_type->as_buffer.bf_releasebuffer = &ReleaseExport<Wrapper>;
}

}  // namespace

void RegisterShmMsg(py::module_& m) {
  py::class_<PyLoan> loan(m, "ShmLoan", py::buffer_protocol(), R"doc(
A buffer in shared memory lent by ShmPublisher.loan(): writable through
memoryview(loan) or numpy.frombuffer(loan, dtype); sent by ShmPublisher.send().
send(), resize() and drop() raise BufferError while a view of it exists.
)doc");
  DefBuffer<PyLoan, /*kReadOnly=*/false>(loan);
  loan.def_property_readonly("size", &PyLoan::size)
      .def_property_readonly("valid", &PyLoan::valid, "False once sent or dropped.")
      .def("resize", &PyLoan::Resize, py::arg("size"),
           "Change how many bytes are sent (up to max_payload, else TooLargeError).")
      .def("drop", &PyLoan::Drop, "Give the buffer back unsent.")
      .def("__len__", &PyLoan::size)
      .def("__enter__", [](py::object self) { return self; })
      .def("__exit__", [](PyLoan& self, const py::args&) { self.Drop(); });

  py::class_<PySample> sample(m, "ShmSample", py::buffer_protocol(), R"doc(
A received sample: read-only, zero-copy through memoryview(sample) or
numpy.frombuffer(sample, dtype), valid until release() (or the end of a
with-block). release() raises BufferError while a view of it exists.
)doc");
  DefBuffer<PySample, /*kReadOnly=*/true>(sample);
  sample.def_property_readonly("size", &PySample::size)
      .def_property_readonly("sequence", &PySample::sequence,
                             "The publisher's sequence number (gaps: dropped on overflow).")
      .def_property_readonly("publisher", &PySample::publisher,
                             "Which publisher sent it: 0 .. max_publishers - 1 (each numbers its "
                             "own samples).")
      .def_property_readonly("valid", &PySample::valid, "False once released.")
      .def("bytes", &PySample::Bytes, "A copy of the payload.")
      .def("release", &PySample::Release, "Give the sample back. Idempotent.")
      .def("__len__", &PySample::size)
      .def("__enter__", [](py::object self) { return self; })
      .def("__exit__", [](PySample& self, const py::args&) { self.Release(); });

  py::class_<PyPublisher> pub(m, "ShmPublisher", R"doc(
The publisher of a zero-copy shared-memory publish/subscribe service.

    with ShmPublisher.create("frames", max_payload=1 << 20) as pub:
        loan = pub.loan(1024)
        memoryview(loan)[:5] = b"hello"
        pub.send(loan)
        pub.send_copy(b"small")
        pub.send_json({"type": "tick"})
)doc");
  DefCreate(pub);
  // A loan or sample keeps its publisher or subscriber (and so the mapping) alive.
  pub.def("loan", &PyPublisher::Loan, py::arg("size"), py::keep_alive<0, 1>(),
          "A writable ShmLoan of `size` bytes (TooLargeError over max_payload).")
      .def("send", &PyPublisher::Send, py::arg("loan"), py::kw_only(),
           py::arg("timeout") = py::none(),
           "Send a loan to every subscriber. With overflow='block', waits up to `timeout`\n"
           "for room (IpcTimeoutError: nothing sent, the loan stays valid).")
      .def("send_copy", &PyPublisher::SendCopy, py::arg("data"), py::kw_only(),
           py::arg("timeout") = py::none(), "Copy bytes-like `data` into a loan and send it.")
      .def("send_json", &PyPublisher::SendJson, py::arg("obj"), py::kw_only(),
           py::arg("timeout") = py::none(), "Send `obj` as JSON text.")
      .def_property_readonly("subscriber_count", &PyPublisher::subscriber_count)
      .def_property_readonly("max_payload", &PyPublisher::max_payload);

  py::class_<PySubscriber> sub(m, "ShmSubscriber", R"doc(
A subscriber of a zero-copy shared-memory publish/subscribe service.

    with ShmSubscriber.create("frames", max_payload=1 << 20) as sub:
        with sub.receive(timeout=1) as sample:
            print(bytes(memoryview(sample)))
        print(sub.recv_json(timeout=1))

receive() raises IpcTimeoutError when nothing comes in time, and
PeerClosedError (a ConnectionError) once the publisher has gone (even killed)
and nothing is left to receive.
)doc");
  DefCreate(sub);
  sub.def("receive", &PySubscriber::Receive, py::kw_only(), py::arg("timeout") = py::none(),
          py::keep_alive<0, 1>(),
          "The next ShmSample; the GIL is released while waiting.")
      .def("recv_json", &PySubscriber::RecvJson, py::kw_only(), py::arg("timeout") = py::none(),
           "The next sample parsed as JSON.");

  py::class_<PyRequest>(m, "ShmRequest", R"doc(
A request an ShmServer received: its id, the client that sent it and its bytes.
Answer it with ShmServer.respond(request, data).
)doc")
      .def_property_readonly("id", [](const PyRequest& r) { return r.request.id(); })
      .def_property_readonly("client", [](const PyRequest& r) { return r.request.client(); },
                             "Which client sent it: 0 .. max_clients - 1.")
      .def_property_readonly("data", [](const PyRequest& r) { return r.data; });

  py::class_<PyServer> server(m, "ShmServer", R"doc(
A server of a shared-memory request/response service.

    with ShmServer.create("calc") as server:
        request = server.receive(timeout=1)          # an ShmRequest
        server.respond(request, b"4")

receive() raises IpcTimeoutError when no request comes in time (never
PeerClosedError: clients come and go); respond() raises PeerClosedError when
the client has left or died. The GIL is released while waiting.
)doc");
  DefRpcCreate<decltype(server), shm_msg::Server>(server);
  server.def("receive", &PyServer::Receive, py::kw_only(), py::arg("timeout") = py::none(),
             "The next ShmRequest from any client.")
      .def("respond", &PyServer::Respond, py::arg("request"), py::arg("data"), py::kw_only(),
           py::arg("timeout") = 1.0, "Send bytes-like `data` back to the request's client.");

  py::class_<PyClient> client(m, "ShmClient", R"doc(
A client of a shared-memory request/response service.

    with ShmClient.create("calc") as client:
        a = client.send(b"2+2", timeout=1)          # a request id
        b = client.send(b"3+3", timeout=1)          # several in flight
        print(client.receive(b, timeout=1), client.receive(a, timeout=1))
        print(client.call(b"1+1", timeout=1))       # send + receive

send() raises NotFoundError with no server, InUseError with max_in_flight
requests outstanding; receive() raises IpcTimeoutError (the request stays
outstanding) or PeerClosedError when the server it went to left or died. The
GIL is released while waiting.
)doc");
  DefRpcCreate<decltype(client), shm_msg::Client>(client);
  client.def("send", &PyClient::Send, py::arg("data"), py::kw_only(), py::arg("timeout") = py::none(),
             "Send a request to one server; returns its id.")
      .def("receive", &PyClient::Receive, py::arg("id"), py::kw_only(),
           py::arg("timeout") = py::none(), "The response (bytes) to request `id`.")
      .def("call", &PyClient::Call, py::arg("data"), py::kw_only(), py::arg("timeout") = py::none(),
           "send() then receive() within one timeout.")
      .def_property_readonly("in_flight", &PyClient::in_flight,
                             "Requests sent and not yet answered.");

  py::class_<PyNotifier> notifier(m, "ShmNotifier", R"doc(
The notifier of a shared-memory event service: notify(id) wakes every
ShmListener of the service with the 64-bit event id.

    with ShmNotifier.create("jobs.events") as notifier:
        notifier.notify(42)
)doc");
  DefEventCreate(notifier);
  notifier.def("notify", &PyNotifier::Notify, py::arg("event_id"),
               "Wake every listener with `event_id` (0 .. 2**64 - 1); never blocks.")
      .def_property_readonly("listener_count", &PyNotifier::listener_count);

  py::class_<PyListener> listener(m, "ShmListener", R"doc(
A listener of a shared-memory event service.

    with ShmListener.create("jobs.events") as listener:
        print(listener.wait(timeout=1))     # 42
        print(listener.try_wait())          # None: nothing queued

wait() raises IpcTimeoutError when no event comes in time, and PeerClosedError
(a ConnectionError) once the notifier has gone (even killed) and no event is
left. The GIL is released while waiting and Ctrl-C is honoured.
)doc");
  DefEventCreate(listener);
  listener.def("wait", &PyListener::Wait, py::kw_only(), py::arg("timeout") = py::none(),
               "The next event id; the GIL is released while waiting.")
      .def("try_wait", &PyListener::TryWait,
           "The next event id if one is queued, else None; never waits.");

  py::class_<PyWaitSet>(m, "ShmWaitSet", R"doc(
One thread waits on several ShmSubscribers, ShmListeners and file descriptors at once.

    ws = ShmWaitSet()
    frames = ws.add(sub)            # an index, in the order added
    sock = ws.add_fd(conn)          # an fd, or anything with fileno()
    for i in ws.wait(timeout=1):    # the ready indices; IpcTimeoutError if none
        if i == frames:
            handle(sub.receive(timeout=0))

A subscriber (or listener) is ready when receive() (wait()) would not wait: a sample is there, its
publisher has gone (receive raises PeerClosedError), or it is closed. The GIL
is released while waiting and Ctrl-C is honoured.
)doc")
      .def(py::init<>())
      .def("add", &PyWaitSet::Add, py::arg("subscriber"),
           "Add a ShmSubscriber or ShmListener; returns its index.")
      .def("add_fd", &PyWaitSet::AddFd, py::arg("fd"),
           "Add a readable-watch on a file descriptor (or an object with fileno()); returns its index.")
      .def("wait", &PyWaitSet::Wait, py::kw_only(), py::arg("timeout") = py::none(),
           "The indices of the ready members, in order; the GIL is released while waiting.");
}

}  // namespace ipckit::python
