// The parts of the _ipckit extension module, one Register function per file.
//
//   PYBIND11_MODULE(_ipckit, m) {
//     ipckit::python::RegisterErrors(m);  // errors.h: first, the others raise them
//     ipckit::python::RegisterJson(m);
//   }
#ifndef IPCKIT_PY_SRC_BINDINGS_H_
#define IPCKIT_PY_SRC_BINDINGS_H_

#include <pybind11/pybind11.h>

namespace ipckit::python {

void RegisterJson(pybind11::module_& module);            // json_module.cc
void RegisterAnonymousPipe(pybind11::module_& module);   // anonymous_pipe_module.cc
void RegisterNamedPipe(pybind11::module_& module);       // named_pipe_module.cc
void RegisterSharedMemory(pybind11::module_& module);    // shared_memory_module.cc
void RegisterIpcChannel(pybind11::module_& module);      // ipc_channel_module.cc
void RegisterFileChannel(pybind11::module_& module);     // file_channel_module.cc
void RegisterInfo(pybind11::module_& module);            // info_module.cc
void RegisterBridge(pybind11::module_& module);          // bridge_module.cc

}  // namespace ipckit::python

#endif  // IPCKIT_PY_SRC_BINDINGS_H_
