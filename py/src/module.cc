// The _ipckit extension module: the C++ core's classes and JSON functions.
// The public package `ipckit` (py/ipckit/__init__.py) re-exports all of it.
#include <pybind11/pybind11.h>

#include "py/src/args.h"
#include "py/src/bindings.h"
#include "py/src/errors.h"

namespace ipckit::python {
void RegisterShmMsg(pybind11::module_& module);  // shm_msg_module.cc
}  // namespace ipckit::python

#ifndef IPCKIT_VERSION
#error "IPCKIT_VERSION must be defined by the build (py/version.bzl)"
#endif

PYBIND11_MODULE(_ipckit, m) {
  m.doc() = "ipckit's C++ core. Import `ipckit`, not this module.";
  m.attr("__version__") = IPCKIT_VERSION;
  ipckit::python::RegisterErrors(m);
  ipckit::python::RegisterJson(m);
  ipckit::python::RegisterAnonymousPipe(m);
  ipckit::python::RegisterNamedPipe(m);
  ipckit::python::RegisterIpcChannel(m);
  ipckit::python::RegisterSharedMemory(m);
  ipckit::python::RegisterShmMsg(m);
  ipckit::python::RegisterFileChannel(m);
  ipckit::python::RegisterInfo(m);
  ipckit::python::RegisterBridge(m);
  ipckit::python::ExplainPositionalTimeouts(m);  // args.h: after every class
}
