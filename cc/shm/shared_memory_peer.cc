// The other process in shared_memory_test. Talks line by line on stdin/stdout.
//
//   shared_memory_peer create NAME SIZE TEXT   create, write TEXT at 0, print "ready PID"
//   shared_memory_peer open NAME               open, print "opened SIZE OWNER CREATOR_PID"
//   shared_memory_peer publish NAME DELAY_MS   after DELAY_MS, mark a raw segment ready
//   shared_memory_peer create_stop NAME SIZE STEP
//                      create, but stop at STEP (locked|sized): print "stopped PID",
//                      wait for a line on stdin, then go on as create with TEXT ""
//
// Modes that need no stdin (for Windows, where tests start the peer without pipes;
// each exits 0 on success, 1 on an ipckit error, 3 at its deadline, 4 on wrong bytes):
//   shared_memory_peer reply NAME OFFSET EXPECT REPLY_OFFSET REPLY
//                      open, check EXPECT at OFFSET, write REPLY at REPLY_OFFSET
//   shared_memory_peer create_until NAME SIZE TEXT DONE_OFFSET DONE
//                      create, write TEXT at 0, wait (up to 30 s) until DONE
//                      appears at DONE_OFFSET, then exit (destroying the owner)
//   shared_memory_peer create_hang NAME SIZE STEP
//                      create, but stop at STEP (locked|sized) for 60 s, to be killed
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

// The hook of create_hang: the test kills the peer while it waits here.
void HangAtStep(shm_internal::CreationStep step) {
  if (step != stop_at) return;
  absl::SleepFor(absl::Seconds(60));
  std::exit(3);
}

// Whether `step` names a creation step; sets stop_at.
bool ParseStep(const std::string& step) {
  if (step != "locked" && step != "sized") return false;
  stop_at = step == "locked" ? shm_internal::CreationStep::kLocked
                             : shm_internal::CreationStep::kSized;
  return true;
}

int Reply(const std::vector<std::string>& args) {
  absl::StatusOr<SharedMemory> shm = SharedMemory::Open(args[1], absl::Seconds(5));
  if (!shm.ok()) return Fail(shm.status());
  absl::StatusOr<std::string> got = shm->Read(ToSize(args[2]), args[3].size());
  if (!got.ok()) return Fail(got.status());
  if (*got != args[3]) return 4;
  absl::Status wrote = shm->Write(ToSize(args[4]), args[5]);
  return wrote.ok() ? 0 : Fail(wrote);
}

int CreateUntil(const std::vector<std::string>& args) {
  absl::StatusOr<SharedMemory> shm = SharedMemory::Create(args[1], ToSize(args[2]));
  if (!shm.ok()) return Fail(shm.status());
  absl::Status wrote = shm->Write(0, args[3]);
  if (!wrote.ok()) return Fail(wrote);
  const absl::Time deadline = absl::Now() + absl::Seconds(30);
  while (true) {
    absl::StatusOr<std::string> seen = shm->Read(ToSize(args[4]), args[5].size());
    if (!seen.ok()) return Fail(seen.status());
    if (*seen == args[5]) return 0;
    if (absl::Now() > deadline) return 3;
    absl::SleepFor(absl::Milliseconds(1));
  }
}

int Main(int argc, char** argv) {
  const std::vector<std::string> args(argv + 1, argv + argc);
  if (args.size() == 6 && args[0] == "reply") return Reply(args);
  if (args.size() == 6 && args[0] == "create_until") return CreateUntil(args);
  if (args.size() == 4 && args[0] == "create_hang") {
    if (!ParseStep(args[3])) return Fail(InvalidArgumentError(args[3]));
    shm_internal::SetCreationHookForTesting(&HangAtStep);
    absl::StatusOr<SharedMemory> shm = SharedMemory::Create(args[1], ToSize(args[2]));
    return shm.ok() ? 3 : Fail(shm.status());
  }
  if (args.size() == 4 && args[0] == "create") {
    absl::StatusOr<SharedMemory> shm = SharedMemory::Create(args[1], ToSize(args[2]));
    if (!shm.ok()) return Fail(shm.status());
    absl::Status wrote = shm->Write(0, args[3]);
    if (!wrote.ok()) return Fail(wrote);
    std::cout << "ready " << ipckit::platform::CurrentProcessId() << std::endl;
    return Serve(*shm);
  }
  if (args.size() == 4 && args[0] == "create_stop") {
    if (!ParseStep(args[3])) return Fail(InvalidArgumentError(args[3]));
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
