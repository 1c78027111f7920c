// Equality of scans of a channel file, for the file-channel harnesses: the
// same messages at the same byte spans.
//
//   IPCKIT_FUZZ_CHECK(ipckit::fuzz::SameScan(index.messages(), *scan), "...");
#ifndef IPCKIT_FUZZ_SCANNED_MESSAGE_EQ_H_
#define IPCKIT_FUZZ_SCANNED_MESSAGE_EQ_H_

#include <vector>

#include "cc/file_channel/message.h"

namespace ipckit {
namespace fuzz {

inline bool SameScan(const std::vector<ScannedMessage>& a, const std::vector<ScannedMessage>& b) {
  if (a.size() != b.size()) return false;
  for (size_t i = 0; i < a.size(); ++i) {
    if (a[i].begin != b[i].begin || a[i].end != b[i].end || a[i].payload_begin != b[i].payload_begin ||
        a[i].payload_end != b[i].payload_end || a[i].message != b[i].message) {
      return false;
    }
  }
  return true;
}

}  // namespace fuzz
}  // namespace ipckit

#endif  // IPCKIT_FUZZ_SCANNED_MESSAGE_EQ_H_
