// Moved to cc/platform/process/process.h (process identity and liveness serve
// more than shared memory). This forwarding header and the
// //cc/platform/shm:process alias stay only until cc/shm_msg includes the new
// path (issue 11 owns it); nothing else may use them.
#ifndef IPCKIT_CC_PLATFORM_SHM_PROCESS_H_
#define IPCKIT_CC_PLATFORM_SHM_PROCESS_H_

#include "cc/platform/process/process.h"  // IWYU pragma: export

#endif  // IPCKIT_CC_PLATFORM_SHM_PROCESS_H_
