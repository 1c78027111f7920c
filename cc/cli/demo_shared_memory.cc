// The demo over SharedMemory: two counters in the segment stand in for a wake-up.
#include <cstdint>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/time/time.h"
#include "cc/base/deadline.h"
#include "cc/base/error.h"
#include "cc/base/status_macros.h"
#include "cc/cli/internal/demo_util.h"
#include "cc/cli/internal/registry.h"
#include "cc/platform/io/child_process.h"
#include "cc/shm/shared_memory.h"

namespace ipckit::cli {
namespace {

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

const DemoMethodRegistrar kSharedMemory({"shared_memory", 3, DemoSharedMemory, PeerSharedMemory});

}  // namespace
}  // namespace ipckit::cli
