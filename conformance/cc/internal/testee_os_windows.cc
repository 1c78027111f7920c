#include "conformance/cc/internal/testee_os.h"

namespace ipckit {
namespace conformance {

const char* TesteeOs() { return "windows"; }

}  // namespace conformance
}  // namespace ipckit
