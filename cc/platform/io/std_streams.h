// Raw bytes on the standard streams, for programs that frame binary messages
// over stdin/stdout (the conformance testee). No buffering, no text-mode
// translation (Windows: the streams are switched to binary), EINTR retried.
//
//   char header[4];
//   if (!ipckit::ReadStdinExact(header, sizeof(header))) return;  // end of input
//   if (!ipckit::WriteStdoutAll(answer)) std::_Exit(1);            // the reader is gone
#ifndef IPCKIT_CC_PLATFORM_IO_STD_STREAMS_H_
#define IPCKIT_CC_PLATFORM_IO_STD_STREAMS_H_

#include <cstddef>

#include "absl/strings/string_view.h"

namespace ipckit {

// Reads exactly `size` bytes from standard input, blocking as needed. False at
// the end of input (also after some bytes) or on a read error.
bool ReadStdinExact(char* buffer, size_t size);

// Writes all of `data` to standard output. False if it cannot (the reader
// has gone away, or another write error).
bool WriteStdoutAll(absl::string_view data);

}  // namespace ipckit

#endif  // IPCKIT_CC_PLATFORM_IO_STD_STREAMS_H_
