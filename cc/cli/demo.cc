#include "cc/cli/demo.h"

#include <algorithm>
#include <cstdint>
#include <cstdlib>
#include <functional>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "cc/base/deadline.h"
#include "cc/base/error.h"
#include "cc/base/status_macros.h"
#include "cc/channel/ipc_channel.h"
#include "cc/file_channel/file_channel.h"
#include "cc/named_pipe/named_pipe.h"
#include "cc/pipe/anonymous_pipe.h"
#include "cc/platform/io/child_process.h"
#include "cc/platform/process/process.h"
#include "cc/shm/shared_memory.h"

namespace ipckit::cli {
namespace {

constexpr int kRoundTrips = 200;
constexpr int kFileRoundTrips = 50;  // Each file round trip rewrites two files.
constexpr size_t kMessageSize = 64;
constexpr absl::Duration kStepTimeout = absl::Seconds(10);

// A fixed 64-byte message whose first bytes carry the round-trip number, so an
// echo of the wrong message is caught.
std::string Message(int i) {
  std::string m = absl::StrFormat("ipckit demo message %06d ", i);
  m.resize(kMessageSize, '.');
  return m;
}

absl::Status CheckEcho(absl::string_view method, int i, absl::string_view got) {
  if (got == Message(i)) return absl::OkStatus();
  return CorruptError(absl::StrCat(method, ": round trip ", i, " echoed the wrong bytes"));
}

struct Timing {
  std::vector<absl::Duration> samples;
  void Print(absl::string_view method, std::ostream& out) {
    std::sort(samples.begin(), samples.end());
    auto at = [&](double q) { return samples[static_cast<size_t>(q * (samples.size() - 1))]; };
    out << absl::StrFormat("%-15s %4d round trips of %d B   median %9.1f us   p99 %9.1f us\n",
                           method, samples.size(), kMessageSize,
                           absl::ToDoubleMicroseconds(at(0.5)),
                           absl::ToDoubleMicroseconds(at(0.99)));
  }
};

// Times `n` calls of `round_trip(i)`.
absl::StatusOr<Timing> Measure(int n, const std::function<absl::Status(int)>& round_trip) {
  Timing timing;
  timing.samples.reserve(n);
  for (int i = 0; i < n; ++i) {
    absl::Time start = absl::Now();
    IPCKIT_RETURN_IF_ERROR(round_trip(i));
    timing.samples.push_back(absl::Now() - start);
  }
  return timing;
}

// Waits for the peer and turns a bad exit into an error naming the method.
absl::Status Reap(absl::string_view method, pid_t pid) {
  IPCKIT_ASSIGN_OR_RETURN(int wait_status, WaitChild(pid, kStepTimeout));
  if (ExitedWithCode(wait_status, 0)) return absl::OkStatus();
  return MakeError(absl::StatusCode::kInternal, kErrIo,
                   absl::StrCat(method, ": demo peer ended with ", DescribeWaitStatus(wait_status)));
}

std::string UniqueName(absl::string_view method) {
  return absl::StrCat("ipckit-demo-", method, "-", platform::CurrentProcessId());
}

absl::Status DemoAnonymousPipe(const std::string& self, std::ostream& out) {
  IPCKIT_ASSIGN_OR_RETURN(AnonymousPipe to_child, AnonymousPipe::Create());
  IPCKIT_ASSIGN_OR_RETURN(AnonymousPipe to_parent, AnonymousPipe::Create());
  // Only the ends the child uses are inherited across exec.
  IPCKIT_RETURN_IF_ERROR(AnonymousPipe::SetInheritable(to_child.reader_fd(), true));
  IPCKIT_RETURN_IF_ERROR(AnonymousPipe::SetInheritable(to_parent.writer_fd(), true));
  IPCKIT_ASSIGN_OR_RETURN(
      pid_t pid, SpawnChild(self, {"demo-peer", "anonymous_pipe", absl::StrCat(to_child.reader_fd()),
                                   absl::StrCat(to_parent.writer_fd())}));
  to_child.CloseReader();
  to_parent.CloseWriter();
  std::string buf(kMessageSize, '\0');
  absl::StatusOr<Timing> timing = Measure(kRoundTrips, [&](int i) -> absl::Status {
    IPCKIT_RETURN_IF_ERROR(to_child.WriteAll(Message(i), kStepTimeout));
    IPCKIT_RETURN_IF_ERROR(to_parent.ReadExact(absl::MakeSpan(buf), kStepTimeout));
    return CheckEcho("anonymous_pipe", i, buf);
  });
  to_child.CloseWriter();  // The peer's read sees EOF and it exits.
  IPCKIT_RETURN_IF_ERROR(Reap("anonymous_pipe", pid));
  if (!timing.ok()) return timing.status();
  timing->Print("anonymous_pipe", out);
  return absl::OkStatus();
}

absl::Status DemoNamedPipe(const std::string& self, std::ostream& out) {
  std::string name = UniqueName("pipe");
  IPCKIT_ASSIGN_OR_RETURN(NamedPipe server, NamedPipe::Create(name));
  IPCKIT_ASSIGN_OR_RETURN(pid_t pid, SpawnChild(self, {"demo-peer", "named_pipe", name}));
  absl::Status accepted = server.WaitForClient(kStepTimeout);
  if (!accepted.ok()) {
    (void)Reap("named_pipe", pid);
    return accepted;
  }
  std::string buf(kMessageSize, '\0');
  absl::StatusOr<Timing> timing = Measure(kRoundTrips, [&](int i) -> absl::Status {
    IPCKIT_RETURN_IF_ERROR(server.WriteAll(Message(i), kStepTimeout));
    IPCKIT_RETURN_IF_ERROR(server.ReadExact(absl::MakeSpan(buf), kStepTimeout));
    return CheckEcho("named_pipe", i, buf);
  });
  server.Disconnect();
  IPCKIT_RETURN_IF_ERROR(Reap("named_pipe", pid));
  if (!timing.ok()) return timing.status();
  timing->Print("named_pipe", out);
  return absl::OkStatus();
}

// Shared memory has no wake-up of its own, so the demo pairs it with two
// counters in the segment: the parent bumps `ping` after writing a message,
// the child copies the message to the reply slot and sets `pong` to match.
struct ShmLayout {
  static constexpr size_t kPing = 0;
  static constexpr size_t kPong = 8;
  static constexpr size_t kRequest = 64;
  static constexpr size_t kReply = 128;
  static constexpr size_t kSize = 192;
};

uint64_t* Counter(SharedMemory& shm, size_t offset) {
  // The user region starts 64-byte aligned (spec/shared_memory.md), so these
  // 8-byte counters are naturally aligned for atomic access.
  return reinterpret_cast<uint64_t*>(shm.data().data() + offset);
}

// Spins briefly, then yields, until `*counter == want` or the deadline passes.
absl::Status AwaitCounter(uint64_t* counter, uint64_t want, const Deadline& deadline) {
  for (int spins = 0;; ++spins) {
    if (__atomic_load_n(counter, __ATOMIC_ACQUIRE) == want) return absl::OkStatus();
    if (spins > 1000) {
      if (deadline.Expired()) return TimeoutError("shared memory peer did not answer");
      std::this_thread::yield();
    }
  }
}

absl::Status DemoSharedMemory(const std::string& self, std::ostream& out) {
  std::string name = UniqueName("shm");
  IPCKIT_ASSIGN_OR_RETURN(SharedMemory shm, SharedMemory::Create(name, ShmLayout::kSize));
  IPCKIT_ASSIGN_OR_RETURN(pid_t pid, SpawnChild(self, {"demo-peer", "shared_memory", name}));
  uint64_t* ping = Counter(shm, ShmLayout::kPing);
  uint64_t* pong = Counter(shm, ShmLayout::kPong);
  absl::StatusOr<Timing> timing = Measure(kRoundTrips, [&](int i) -> absl::Status {
    IPCKIT_RETURN_IF_ERROR(shm.Write(ShmLayout::kRequest, Message(i)));
    __atomic_store_n(ping, i + 1, __ATOMIC_RELEASE);
    IPCKIT_RETURN_IF_ERROR(AwaitCounter(pong, i + 1, Deadline::After(kStepTimeout)));
    IPCKIT_ASSIGN_OR_RETURN(std::string reply, shm.Read(ShmLayout::kReply, kMessageSize));
    return CheckEcho("shared_memory", i, reply);
  });
  // A ping of all ones tells the peer to stop.
  __atomic_store_n(ping, UINT64_MAX, __ATOMIC_RELEASE);
  IPCKIT_RETURN_IF_ERROR(Reap("shared_memory", pid));
  if (!timing.ok()) return timing.status();
  timing->Print("shared_memory", out);
  return absl::OkStatus();
}

absl::Status DemoIpcChannel(const std::string& self, std::ostream& out) {
  std::string name = UniqueName("channel");
  IPCKIT_ASSIGN_OR_RETURN(IpcChannel server, IpcChannel::Create(name));
  IPCKIT_ASSIGN_OR_RETURN(pid_t pid, SpawnChild(self, {"demo-peer", "ipc_channel", name}));
  absl::Status accepted = server.WaitForClient(kStepTimeout);
  if (!accepted.ok()) {
    (void)Reap("ipc_channel", pid);
    return accepted;
  }
  std::string reply;
  absl::StatusOr<Timing> timing = Measure(kRoundTrips, [&](int i) -> absl::Status {
    IPCKIT_RETURN_IF_ERROR(server.Send(Message(i), kStepTimeout));
    IPCKIT_RETURN_IF_ERROR(server.RecvInto(&reply, kStepTimeout));
    return CheckEcho("ipc_channel", i, reply);
  });
  server.Disconnect();
  IPCKIT_RETURN_IF_ERROR(Reap("ipc_channel", pid));
  if (!timing.ok()) return timing.status();
  timing->Print("ipc_channel", out);
  return absl::OkStatus();
}

absl::Status DemoFileChannel(const std::string& self, std::ostream& out) {
  char dir_template[] = "/tmp/ipckit-demo-file-XXXXXX";
  if (mkdtemp(dir_template) == nullptr) return ErrnoError(errno, "mkdtemp");
  std::string dir = dir_template;
  IPCKIT_ASSIGN_OR_RETURN(FileChannel backend, FileChannel::Backend(dir));
  IPCKIT_ASSIGN_OR_RETURN(pid_t pid, SpawnChild(self, {"demo-peer", "file_channel", dir}));
  absl::StatusOr<Timing> timing = Measure(kFileRoundTrips, [&](int i) -> absl::Status {
    IPCKIT_ASSIGN_OR_RETURN(std::string id,
                            backend.SendRequest("echo", absl::StrCat("\"", Message(i), "\""),
                                                kStepTimeout));
    IPCKIT_ASSIGN_OR_RETURN(FileMessage reply, backend.WaitResponse(id, kStepTimeout));
    return CheckEcho("file_channel", i, reply.payload_json.size() >= 2
                                            ? absl::string_view(reply.payload_json)
                                                  .substr(1, reply.payload_json.size() - 2)
                                            : absl::string_view());
  });
  absl::Status stopped = backend.SendEvent("stop", "null", kStepTimeout).status();
  absl::Status reaped = Reap("file_channel", pid);
  std::system(absl::StrCat("rm -rf '", dir, "'").c_str());
  IPCKIT_RETURN_IF_ERROR(stopped);
  IPCKIT_RETURN_IF_ERROR(reaped);
  if (!timing.ok()) return timing.status();
  timing->Print("file_channel", out);
  return absl::OkStatus();
}

// ---- The child's side: echo until the parent is done. ----

absl::Status PeerAnonymousPipe(const std::vector<std::string>& args) {
  int reader = -1, writer = -1;
  if (args.size() != 3 || !absl::SimpleAtoi(args[1], &reader) || !absl::SimpleAtoi(args[2], &writer)) {
    return InvalidArgumentError("demo-peer anonymous_pipe READER_FD WRITER_FD");
  }
  IPCKIT_ASSIGN_OR_RETURN(AnonymousPipe pipe, AnonymousPipe::FromFds(reader, writer));
  std::string buf(kMessageSize, '\0');
  while (true) {
    absl::Status read = pipe.ReadExact(absl::MakeSpan(buf), kStepTimeout);
    if (ErrorClassOf(read) == kErrPeerClosed) return absl::OkStatus();  // Parent is done.
    IPCKIT_RETURN_IF_ERROR(read);
    IPCKIT_RETURN_IF_ERROR(pipe.WriteAll(buf, kStepTimeout));
  }
}

bool IsEnd(const absl::Status& s) {
  std::string c = ErrorClassOf(s);
  return c == kErrPeerClosed || c == kErrTruncated;
}

absl::Status PeerNamedPipe(const std::vector<std::string>& args) {
  if (args.size() != 2) return InvalidArgumentError("demo-peer named_pipe NAME");
  IPCKIT_ASSIGN_OR_RETURN(NamedPipe client, NamedPipe::Connect(args[1], kStepTimeout));
  std::string buf(kMessageSize, '\0');
  while (true) {
    absl::Status read = client.ReadExact(absl::MakeSpan(buf), kStepTimeout);
    if (IsEnd(read)) return absl::OkStatus();
    IPCKIT_RETURN_IF_ERROR(read);
    IPCKIT_RETURN_IF_ERROR(client.WriteAll(buf, kStepTimeout));
  }
}

absl::Status PeerSharedMemory(const std::vector<std::string>& args) {
  if (args.size() != 2) return InvalidArgumentError("demo-peer shared_memory NAME");
  IPCKIT_ASSIGN_OR_RETURN(SharedMemory shm, SharedMemory::Open(args[1]));
  uint64_t* ping = Counter(shm, ShmLayout::kPing);
  uint64_t* pong = Counter(shm, ShmLayout::kPong);
  for (uint64_t seen = 0;;) {
    Deadline deadline = Deadline::After(kStepTimeout);
    uint64_t now;
    for (int spins = 0; (now = __atomic_load_n(ping, __ATOMIC_ACQUIRE)) == seen; ++spins) {
      if (spins > 1000) {
        if (deadline.Expired()) return TimeoutError("shared memory demo: no ping from parent");
        std::this_thread::yield();
      }
    }
    if (now == UINT64_MAX) return absl::OkStatus();
    IPCKIT_ASSIGN_OR_RETURN(std::string request, shm.Read(ShmLayout::kRequest, kMessageSize));
    IPCKIT_RETURN_IF_ERROR(shm.Write(ShmLayout::kReply, request));
    __atomic_store_n(pong, now, __ATOMIC_RELEASE);
    seen = now;
  }
}

absl::Status PeerIpcChannel(const std::vector<std::string>& args) {
  if (args.size() != 2) return InvalidArgumentError("demo-peer ipc_channel NAME");
  IPCKIT_ASSIGN_OR_RETURN(IpcChannel client, IpcChannel::Connect(args[1], kStepTimeout));
  std::string message;
  while (true) {
    absl::Status got = client.RecvInto(&message, kStepTimeout);
    if (IsEnd(got)) return absl::OkStatus();
    IPCKIT_RETURN_IF_ERROR(got);
    IPCKIT_RETURN_IF_ERROR(client.Send(message, kStepTimeout));
  }
}

absl::Status PeerFileChannel(const std::vector<std::string>& args) {
  if (args.size() != 2) return InvalidArgumentError("demo-peer file_channel DIR");
  IPCKIT_ASSIGN_OR_RETURN(FileChannel frontend, FileChannel::Frontend(args[1]));
  while (true) {
    IPCKIT_ASSIGN_OR_RETURN(std::optional<FileMessage> message, frontend.RecvOne(kStepTimeout));
    if (!message) return TimeoutError("file channel demo: no request from parent");
    if (message->type == MessageType::kEvent) return absl::OkStatus();  // "stop"
    IPCKIT_RETURN_IF_ERROR(
        frontend.SendResponse(message->id, message->payload_json, kStepTimeout).status());
  }
}

}  // namespace

absl::Status RunDemo(const std::string& self_path, std::ostream& out) {
  out << "ipckit demo: a child process echoes " << kMessageSize
      << "-byte messages over each method\n";
  for (auto* method : {DemoAnonymousPipe, DemoNamedPipe, DemoSharedMemory, DemoIpcChannel,
                       DemoFileChannel}) {
    IPCKIT_RETURN_IF_ERROR(method(self_path, out));
    out.flush();
  }
  return absl::OkStatus();
}

absl::Status RunDemoPeer(const std::vector<std::string>& args) {
  if (args.empty()) return InvalidArgumentError("demo-peer needs a method");
  const std::string& method = args[0];
  if (method == "anonymous_pipe") return PeerAnonymousPipe(args);
  if (method == "named_pipe") return PeerNamedPipe(args);
  if (method == "shared_memory") return PeerSharedMemory(args);
  if (method == "ipc_channel") return PeerIpcChannel(args);
  if (method == "file_channel") return PeerFileChannel(args);
  return InvalidArgumentError(absl::StrCat("demo-peer: unknown method '", method, "'"));
}

}  // namespace ipckit::cli
