// The other process in shared_memory_test. Talks line by line on stdin/stdout.
//
//   shared_memory_peer create NAME SIZE TEXT   create, write TEXT at 0, print "ready PID"
//   shared_memory_peer open NAME               open, print "opened SIZE OWNER CREATOR_PID"
//   shared_memory_peer publish NAME DELAY_MS   after DELAY_MS, mark a raw segment ready
//   shared_memory_peer create_stop NAME SIZE STEP
//                      create, but stop at STEP (locked|sized): print "stopped PID",
//                      wait for a line on stdin, then go on as create with TEXT ""
//
// After create/open it serves commands until "exit" or end of input:
//   read OFFSET LEN     -> "data HEX"      (Read)
//   poke OFFSET TEXT    -> "ok"            (writes through the zero-copy span)
//   peek OFFSET LEN     -> "data HEX"      (reads through the zero-copy span)
// Any failure prints "error CLASS MESSAGE" and exits with status 1.
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <iostream>
#include <string>
#include <vector>

#include "absl/strings/escaping.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_split.h"
#include "absl/time/clock.h"
#include "cc/base/error.h"
#include "cc/platform/process/process.h"
#include "cc/platform/shm/mapping.h"
#include "cc/platform/shm/shm_object.h"
#include "cc/shm/internal/creation_hook.h"
#include "cc/shm/shared_memory.h"
#include "cc/shm/shm_header.h"

namespace ipckit {
namespace {

int Fail(const absl::Status& status) {
  std::cout << "error " << ErrorClassOf(status) << " " << status.message() << std::endl;
  return 1;
}

size_t ToSize(absl::string_view s) {
  size_t v = 0;
  if (!absl::SimpleAtoi(s, &v)) {
    std::cout << "error invalid_argument bad number " << s << std::endl;
    std::exit(2);
  }
  return v;
}

int Serve(SharedMemory& shm) {
  std::string line;
  while (std::getline(std::cin, line)) {
    std::vector<std::string> words = absl::StrSplit(line, absl::MaxSplits(' ', 2));
    if (words.empty() || words[0] == "exit") break;
    if (words[0] == "read" && words.size() == 3) {
      absl::StatusOr<std::string> got = shm.Read(ToSize(words[1]), ToSize(words[2]));
      if (!got.ok()) return Fail(got.status());
      std::cout << "data " << absl::BytesToHexString(*got) << std::endl;
    } else if (words[0] == "peek" && words.size() == 3) {
      absl::Span<const char> span = shm.data().subspan(ToSize(words[1]), ToSize(words[2]));
      std::cout << "data " << absl::BytesToHexString(absl::string_view(span.data(), span.size()))
                << std::endl;
    } else if (words[0] == "poke" && words.size() == 3) {
      absl::Span<char> span = shm.data();
      const size_t offset = ToSize(words[1]);
      if (offset > span.size() || words[2].size() > span.size() - offset) {
        return Fail(OutOfRangeError("poke outside the segment"));
      }
      std::memcpy(span.data() + offset, words[2].data(), words[2].size());
      std::cout << "ok" << std::endl;
    } else {
      return Fail(InvalidArgumentError("unknown command: " + line));
    }
  }
  return 0;
}

// Marks a segment made by hand (state initializing) ready, as a slow creator would.
int Publish(const std::string& name, size_t delay_ms) {
  absl::StatusOr<platform::ShmObject> object =
      platform::ShmOpen("/" + name, platform::ShmAccess::kReadWrite);
  if (!object.ok()) return Fail(object.status());
  absl::StatusOr<platform::Mapping> map =
      platform::Mapping::Map(*object, shm::kHeaderSize, platform::ShmAccess::kReadWrite);
  if (!map.ok()) return Fail(map.status());
  std::cout << "waiting" << std::endl;
  absl::SleepFor(absl::Milliseconds(delay_ms));
  // Little-endian 1; the test hosts are little-endian, as the spec's byte
  // order is.
  const unsigned char ready[4] = {1, 0, 0, 0};
  uint32_t word;
  std::memcpy(&word, ready, sizeof(word));
  __atomic_store_n(reinterpret_cast<uint32_t*>(map->data() + shm::kStateOffset), word,
                   __ATOMIC_RELEASE);
  std::cout << "published" << std::endl;
  return 0;
}

shm_internal::CreationStep stop_at;

// The creation hook of create_stop: stops the creator at one exact step.
void StopAtStep(shm_internal::CreationStep step) {
  if (step != stop_at) return;
  std::cout << "stopped " << ipckit::platform::CurrentProcessId() << std::endl;
  std::string line;
  std::getline(std::cin, line);
}

int Main(int argc, char** argv) {
  const std::vector<std::string> args(argv + 1, argv + argc);
  if (args.size() == 4 && args[0] == "create") {
    absl::StatusOr<SharedMemory> shm = SharedMemory::Create(args[1], ToSize(args[2]));
    if (!shm.ok()) return Fail(shm.status());
    absl::Status wrote = shm->Write(0, args[3]);
    if (!wrote.ok()) return Fail(wrote);
    std::cout << "ready " << ipckit::platform::CurrentProcessId() << std::endl;
    return Serve(*shm);
  }
  if (args.size() == 4 && args[0] == "create_stop") {
    if (args[3] != "locked" && args[3] != "sized") return Fail(InvalidArgumentError(args[3]));
    stop_at = args[3] == "locked" ? shm_internal::CreationStep::kLocked
                                  : shm_internal::CreationStep::kSized;
    shm_internal::SetCreationHookForTesting(&StopAtStep);
    absl::StatusOr<SharedMemory> shm = SharedMemory::Create(args[1], ToSize(args[2]));
    if (!shm.ok()) return Fail(shm.status());
    std::cout << "ready " << ipckit::platform::CurrentProcessId() << std::endl;
    return Serve(*shm);
  }
  if (args.size() == 2 && args[0] == "open") {
    absl::StatusOr<SharedMemory> shm = SharedMemory::Open(args[1], absl::Seconds(5));
    if (!shm.ok()) return Fail(shm.status());
    std::cout << "opened " << shm->size() << " " << shm->is_owner() << " " << shm->creator_pid()
              << std::endl;
    return Serve(*shm);
  }
  if (args.size() == 3 && args[0] == "publish") return Publish(args[1], ToSize(args[2]));
  std::cout << "error invalid_argument usage: see shared_memory_peer.cc" << std::endl;
  return 2;
}

}  // namespace
}  // namespace ipckit

int main(int argc, char** argv) { return ipckit::Main(argc, argv); }
