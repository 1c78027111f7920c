// ipckit: every IPC method of the C++ core behind one include.
//
//   #include "cc/ipckit.h"
//   IPCKIT_ASSIGN_OR_RETURN(ipckit::IpcChannel ch, ipckit::IpcChannel::Connect("jobs", absl::Seconds(5)));
//   IPCKIT_RETURN_IF_ERROR(ch.Send("hello", absl::Seconds(1)));
//
// Bazel: deps = ["@ipckit//cc:ipckit"]. Each method also has its own target
// (//cc/pipe:anonymous_pipe, //cc/channel:ipc_channel, ...) for smaller links.
#ifndef IPCKIT_CC_IPCKIT_H_
#define IPCKIT_CC_IPCKIT_H_

#include "cc/base/error.h"
#include "cc/base/status_macros.h"
#include "cc/base/version.h"
#include "cc/channel/ipc_channel.h"
#include "cc/channel/json_channel.h"
#include "cc/file_channel/file_channel.h"
#include "cc/json/json.h"
#include "cc/named_pipe/named_pipe.h"
#include "cc/pipe/anonymous_pipe.h"
#include "cc/shm/shared_memory.h"
#include "cc/shm_msg/event.h"
#include "cc/shm_msg/publisher.h"
#include "cc/shm_msg/subscriber.h"

#endif  // IPCKIT_CC_IPCKIT_H_
