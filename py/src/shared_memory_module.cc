// ipckit.SharedMemory: the C++ SharedMemory with the buffer protocol.
//
// memoryview(shm) and numpy.frombuffer(shm, ...) map the user region
// zero-copy and writably. While any such view exists, close() raises
// BufferError (as mmap.mmap does), so a view can never outlive the mapping.
#include <pybind11/pybind11.h>

#include <cstddef>
#include <memory>
#include <optional>
#include <string>
#include <utility>

#include "absl/strings/str_cat.h"
#include "absl/time/time.h"
#include "cc/base/error.h"
#include "cc/shm/shared_memory.h"
#include "py/src/args.h"
#include "py/src/bindings.h"
#include "py/src/blocking.h"
#include "py/src/errors.h"

namespace ipckit::python {
namespace {

namespace py = pybind11;

class PySharedMemory {
 public:
  explicit PySharedMemory(SharedMemory shm) : shm_(std::move(shm)), name_(shm_->name()) {}

  static std::unique_ptr<PySharedMemory> Create(const PathArg& name, py::ssize_t size_arg) {
    // Signed here so that a negative size is InvalidArgumentError (an OverflowError, as
    // in ipckit 0.1), not pybind's TypeError.
    const size_t size = SizeArg(size_arg, "size");
    absl::StatusOr<SharedMemory> shm = [&] {
      py::gil_scoped_release release;
      return SharedMemory::Create(name, size);
    }();
    return std::make_unique<PySharedMemory>(ValueOrThrow(std::move(shm)));
  }

  static std::unique_ptr<PySharedMemory> Open(const PathArg& name, const py::object& timeout,
                                          bool allow_other_users) {
    SharedMemoryOpenOptions options;
    options.allow_other_users = allow_other_users;
    absl::StatusOr<SharedMemory> shm =
        RunSliced(TimeoutArg(timeout),
                  [&](absl::Duration slice) { return SharedMemory::Open(name, slice, options); });
    return std::make_unique<PySharedMemory>(ValueOrThrow(std::move(shm)));
  }

  const std::string& name() const { return name_; }
  size_t size() { return Get().size(); }
  bool is_owner() { return Get().is_owner(); }
  bool closed() const { return !shm_.has_value(); }

  py::bytes Read(py::ssize_t offset_arg, py::ssize_t len_arg) {
    const size_t offset = SizeArg(offset_arg, "offset");
    const size_t len = SizeArg(len_arg, "size");
    SharedMemory& shm = Get();
    absl::Span<const char> data = std::as_const(shm).data();
    // Copy straight from the mapping into the bytes object; the core's Read
    // (which would copy twice) only supplies the error for a bad range.
    if (offset > data.size() || len > data.size() - offset) ThrowIfError(shm.Read(offset, len).status());
    return py::bytes(data.data() + offset, len);
  }

  py::bytes ReadAll() { return Read(0, Get().size()); }

  void Write(py::ssize_t offset_arg, const py::object& data) {
    const size_t offset = SizeArg(offset_arg, "offset");
    SharedMemory& shm = Get();
    BytesArg bytes(data);
    ThrowIfError(shm.Write(offset, bytes.view()));
  }

  void Close() {
    if (!shm_.has_value()) return;
    if (exports_ > 0) {
      throw py::buffer_error(absl::StrCat(
          "cannot close SharedMemory '", name_, "': ", exports_,
          " exported buffer(s) (memoryview, numpy array, ...) still use its mapping"));
    }
    shm_.reset();
  }

  void Unlink() { ThrowIfError(Get().Unlink()); }

  // bf_getbuffer / bf_releasebuffer of the Python type.
  static int GetBuffer(PyObject* self, Py_buffer* view, int flags) {
    PySharedMemory* wrapper = nullptr;
    try {
      wrapper = py::cast<PySharedMemory*>(py::handle(self));
    } catch (const py::error_already_set& e) {
      py::error_already_set(e).restore();
      view->obj = nullptr;
      return -1;
    } catch (const std::exception& e) {
      PyErr_SetString(PyExc_BufferError, e.what());
      view->obj = nullptr;
      return -1;
    }
    if (!wrapper->shm_.has_value()) {
      SetStatusError(ClosedError(absl::StrCat("SharedMemory '", wrapper->name_, "' is closed")));
      view->obj = nullptr;
      return -1;
    }
    absl::Span<char> data = wrapper->shm_->data();
    if (PyBuffer_FillInfo(view, self, data.data(), static_cast<Py_ssize_t>(data.size()),
                          /*readonly=*/0, flags) != 0) {
      return -1;
    }
    ++wrapper->exports_;
    return 0;
  }

  static void ReleaseBuffer(PyObject* self, Py_buffer*) {
    try {
      --py::cast<PySharedMemory*>(py::handle(self))->exports_;
    } catch (...) {
      // The view holds a reference to `self`, so the cast cannot fail.
    }
  }

 private:
  SharedMemory& Get() {
    if (!shm_.has_value()) {
      ThrowError(kErrClosed, absl::StrCat("SharedMemory '", name_, "' is closed"));
    }
    return *shm_;
  }

  std::optional<SharedMemory> shm_;
  std::string name_;
  int exports_ = 0;
};

py::list FindStale() {
  absl::StatusOr<std::vector<StaleSegment>> stale = [] {
    py::gil_scoped_release release;
    return SharedMemory::FindStale();
  }();
  py::list out;
  for (const StaleSegment& s : ValueOrThrow(std::move(stale))) {
    py::dict d;
    d["name"] = s.name;
    d["creator_pid"] = s.creator_pid;
    d["creator_start_time"] = s.creator_start_time;
    d["creation_time_ns"] = s.creation_time_ns;
    d["size"] = s.user_size;
    out.append(std::move(d));
  }
  return out;
}

}  // namespace

void RegisterSharedMemory(py::module_& m) {
  py::class_<PySharedMemory> cls(m, "SharedMemory", py::buffer_protocol(), R"doc(
A named shared-memory segment (POSIX shm object "/<name>").

    shm = SharedMemory.create("my_shm", 4096)   # owner: removes the name when closed
    shm.write(0, b"Shared data here!")
    other = SharedMemory.open("my_shm")         # in another process
    other.read(0, 17)                           # b'Shared data here!'

The object supports the buffer protocol: memoryview(shm) and
numpy.frombuffer(shm, dtype=...) see the user region zero-copy, and writes
through them are visible to every process that maps the segment. Access is not
synchronized; coordinate writers yourself. Offsets are relative to the user
region (a 64-byte ipckit header precedes it in the segment).

SIGBUS: if a process truncates the segment while this one maps it, touching
the lost pages kills this process with SIGBUS (no exception can be raised).
ipckit never resizes an existing segment, segments are 0600, and open()
refuses another user's segment unless allow_other_users=True, so only your
own user's programs can do it. Do not map segments that an untrusted program
of your user can truncate; see spec/shared_memory.md, "Truncation and SIGBUS".
)doc");
  auto* heap_type = reinterpret_cast<PyHeapTypeObject*>(cls.ptr());
  heap_type->as_buffer.bf_getbuffer = &PySharedMemory::GetBuffer;
  heap_type->as_buffer.bf_releasebuffer = &PySharedMemory::ReleaseBuffer;

  cls.def_static("create", &PySharedMemory::Create, py::arg("name"), py::arg("size"),
                 "Create segment `name` with `size` zeroed bytes; this object owns it.\n"
                 "Raises InUseError if the name is taken by a live segment, ValueError for a\n"
                 "bad name or size 0, TooLargeError if it cannot fit.")
      .def_static("open", &PySharedMemory::Open, py::arg("name"), py::kw_only(),
                  py::arg("timeout") = 1.0, py::arg("allow_other_users") = false,
                  "Open an existing segment, waiting up to `timeout` seconds for a concurrent\n"
                  "create() to finish (IpcTimeoutError if it has not by then). NotFoundError if\n"
                  "missing; CorruptError if it is not an ipckit segment or its creator died\n"
                  "before finishing it; UnsupportedVersionError if a newer format made it;\n"
                  "PermissionDeniedError if another user owns it, unless allow_other_users=True\n"
                  "(opt in only for a segment a known other user shares with you: its owner can\n"
                  "read, change and truncate it).")
      .def_static("find_stale", &FindStale,
                  "List this user's ipckit segments whose creator process is dead, as dicts\n"
                  "(name, creator_pid, creator_start_time, creation_time_ns, size).")
      .def_static(
          "remove_if_stale",
          [](const PathArg& name) {
            absl::Status removed = [&] {
              py::gil_scoped_release release;
              return SharedMemory::RemoveIfStale(name);
            }();
            ThrowIfError(removed);
          },
          py::arg("name"),
          "Remove segment `name` if its creator is dead; InUseError if it is alive.")
      .def_property_readonly("name", &PySharedMemory::name, "The segment's name.")
      .def_property_readonly("size", &PySharedMemory::size, "Size of the user region in bytes.")
      .def_property_readonly("is_owner", &PySharedMemory::is_owner,
                             "True for the creator, which removes the name when closed.")
      .def_property_readonly("closed", &PySharedMemory::closed, "True after close().")
      .def("read", &PySharedMemory::Read, py::arg("offset"), py::arg("size"),
           "Copy `size` bytes at `offset`. OutOfRangeError (an IndexError) past the end.")
      .def("read_all", &PySharedMemory::ReadAll, "Copy the whole user region.")
      .def("write", &PySharedMemory::Write, py::arg("offset"), py::arg("data"),
           "Copy bytes-like `data` to `offset`. OutOfRangeError (an IndexError) past the end.")
      .def("unlink", &PySharedMemory::Unlink,
           "Remove the name now: later open() calls fail; existing mappings keep working.")
      .def("close", &PySharedMemory::Close,
           "Unmap the segment (an owner also removes the name). Idempotent. Raises\n"
           "BufferError while a memoryview or numpy array still uses the mapping.")
      .def("__enter__", [](py::object self) { return self; })
      .def("__exit__", [](PySharedMemory& self, const py::args&) { self.Close(); })
      .def("__repr__", [](PySharedMemory& self) {
        if (self.closed()) return absl::StrCat("<ipckit.SharedMemory '", self.name(), "' closed>");
        return absl::StrCat("<ipckit.SharedMemory '", self.name(), "' size=", self.size(),
                            self.is_owner() ? " owner" : "", ">");
      });
}

}  // namespace ipckit::python
