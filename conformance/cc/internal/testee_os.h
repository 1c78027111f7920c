// Which OS's objects the testee's live roles open, for hello's "os" field
// (conformance/protocol.md): "posix" or "windows". One source file per OS,
// chosen in BUILD, so the testee itself needs no #ifdef.
//
//   d.AddMember("os", rapidjson::StringRef(TesteeOs()), a);
#ifndef IPCKIT_CONFORMANCE_CC_INTERNAL_TESTEE_OS_H_
#define IPCKIT_CONFORMANCE_CC_INTERNAL_TESTEE_OS_H_

namespace ipckit {
namespace conformance {

const char* TesteeOs();

}  // namespace conformance
}  // namespace ipckit

#endif  // IPCKIT_CONFORMANCE_CC_INTERNAL_TESTEE_OS_H_
