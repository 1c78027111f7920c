#include "conformance/cc/internal/testee_os.h"

namespace ipckit {
namespace conformance {

const char* TesteeOs() { return "posix"; }

}  // namespace conformance
}  // namespace ipckit
