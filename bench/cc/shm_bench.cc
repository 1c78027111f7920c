// shm_bench: SharedMemory bulk copies beside plain memcpy, at 1 MiB and
// 64 MiB. One JSON line per measurement on stdout.
//
//   bazel run -c opt //bench/cc:shm_bench -- --sizes=1048576,67108864 --iters=2000
//
// Measured, each over warm buffers and with a second process mapping the
// segment (as in real use):
//   memcpy                 private buffer -> private buffer, the baseline
//   SharedMemory.Write     private buffer -> segment
//   SharedMemory.Read      segment -> a new std::string (what Read returns)
//   SharedMemory.data()    segment -> private buffer via the zero-copy span
//   transfer               Write here, then the peer process Reads it out;
//                          handshake over a pipe pair, one byte each way
#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <cstring>
#include <functional>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "bench/cc/bench_util.h"
#include "cc/shm/shared_memory.h"

namespace ipckit {
namespace bench {
namespace {


absl::Status Errno(absl::string_view what) {
  return absl::InternalError(absl::StrCat(what, ": ", std::strerror(errno)));
}

absl::Status WriteByte(int fd, char c) {
  while (::write(fd, &c, 1) != 1) {
    if (errno != EINTR) return Errno("write");
  }
  return absl::OkStatus();
}

absl::StatusOr<char> ReadByte(int fd) {
  char c;
  for (;;) {
    ssize_t n = ::read(fd, &c, 1);
    if (n == 1) return c;
    if (n == 0) return absl::InternalError("read: the other end closed");
    if (errno != EINTR) return Errno("read");
  }
}

// The peer: maps the segment, then for each token copies it all out (Read)
// and answers with the first byte it saw; 'q' ends it.
absl::Status RunPeer(const Flags& flags) {
  auto name = flags.find("name");
  if (name == flags.end()) return absl::InvalidArgumentError("--name is required");
  absl::StatusOr<SharedMemory> shm = SharedMemory::Open(name->second, absl::Seconds(10));
  if (!shm.ok()) return shm.status();
  for (;;) {
    absl::StatusOr<char> token = ReadByte(3);
    if (!token.ok()) return token.status();
    if (*token == 'q') return absl::OkStatus();
    absl::StatusOr<std::string> copy = shm->Read(0, shm->size());
    if (!copy.ok()) return copy.status();
    absl::Status s = WriteByte(4, (*copy)[0]);
    if (!s.ok()) return s;
  }
}

void Report(const std::string& method, size_t size, const Samples& samples) {
  PrintResult({"cc_shm", method, size, size}, samples);
  std::fprintf(stderr, "  cc shm %-36s %9zu B  %9.1f MiB/s (median %.1f us)\n", method.c_str(),
               size, (size / 1048576.0) / (samples.Median() * 1e-9), samples.Median() / 1e3);
}

// Times `op` `iters` times after `warmup` untimed calls.
template <typename Op>
absl::StatusOr<Samples> Time(int64_t warmup, int64_t iters, Op op) {
  Samples samples;
  samples.Reserve(iters);
  for (int64_t i = 0; i < warmup + iters; ++i) {
    int64_t start = NowNs();
    absl::Status s = op(i);
    int64_t end = NowNs();
    if (!s.ok()) return s;
    if (i >= warmup) samples.Add(end - start);
  }
  return samples;
}

absl::Status MeasureSize(size_t size, int64_t iters) {
  int64_t warmup = std::max<int64_t>(iters / 10, 3);
  // Pre-touched so that no page fault lands in a timed copy.
  std::vector<char> src(size, 's');
  std::vector<char> dst(size, 'd');

  std::string name = UniqueName("shm");
  absl::StatusOr<SharedMemory> shm = SharedMemory::Create(name, size);
  if (!shm.ok()) return shm.status();
  int to_peer[2], from_peer[2];
  if (::pipe2(to_peer, O_CLOEXEC) != 0 || ::pipe2(from_peer, O_CLOEXEC) != 0) {
    return Errno("pipe2");
  }
  absl::StatusOr<Peer> peer =
      Peer::Spawn({"--peer", absl::StrCat("--name=", name)}, {{to_peer[0], 3}, {from_peer[1], 4}});
  ::close(to_peer[0]);
  ::close(from_peer[1]);
  if (!peer.ok()) return peer.status();
  absl::string_view src_view(src.data(), size);

  // The in-process copies take turns within each iteration, so that a change
  // in machine load (it is shared) hits them all alike.
  struct Op {
    const char* method;
    std::function<absl::Status()> run;
  };
  Op ops[] = {
      {"memcpy",
       [&] {
         std::memcpy(dst.data(), src.data(), size);
         return absl::OkStatus();
       }},
      {"SharedMemory.Write", [&] { return shm->Write(0, src_view); }},
      {"SharedMemory.Read",
       [&]() -> absl::Status {
         absl::StatusOr<std::string> copy = shm->Read(0, size);
         if (!copy.ok()) return copy.status();
         return copy->size() == size ? absl::OkStatus() : absl::InternalError("short read");
       }},
      {"SharedMemory.data() memcpy",
       [&] {
         absl::Span<const char> data = shm->data();
         std::memcpy(dst.data(), data.data(), size);
         return absl::OkStatus();
       }},
  };
  constexpr size_t kOps = sizeof(ops) / sizeof(ops[0]);
  Samples samples[kOps];
  for (int64_t i = 0; i < warmup + iters; ++i) {
    src[0] = static_cast<char>(i);
    for (size_t k = 0; k < kOps; ++k) {
      int64_t start = NowNs();
      absl::Status s = ops[k].run();
      int64_t end = NowNs();
      if (!s.ok()) return absl::Status(s.code(), absl::StrCat(ops[k].method, ": ", s.message()));
      if (i >= warmup) samples[k].Add(end - start);
    }
  }
  for (size_t k = 0; k < kOps; ++k) Report(ops[k].method, size, samples[k]);

  absl::StatusOr<Samples> transfer_samples =
      Time(warmup, iters, [&](int64_t i) -> absl::Status {
        char mark = static_cast<char>('a' + i % 26);
        src[0] = mark;
        absl::Status s = shm->Write(0, src_view);
        if (s.ok()) s = WriteByte(to_peer[1], 't');
        if (!s.ok()) return s;
        absl::StatusOr<char> seen = ReadByte(from_peer[0]);
        if (!seen.ok()) return seen.status();
        return *seen == mark ? absl::OkStatus() : absl::InternalError("the peer saw old data");
      });
  absl::Status quit = WriteByte(to_peer[1], 'q');
  ::close(to_peer[1]);
  ::close(from_peer[0]);
  if (!transfer_samples.ok()) return transfer_samples.status();
  if (!quit.ok()) return quit;
  absl::Status waited = peer->Wait();
  if (!waited.ok()) return waited;
  Report("SharedMemory transfer (Write + peer Read)", size, *transfer_samples);
  return absl::OkStatus();
}

absl::Status Main(const Flags& flags) {
  auto sizes_flag = flags.find("sizes");
  std::vector<int64_t> sizes =
      ParseSizes(sizes_flag == flags.end() ? "1048576,67108864" : sizes_flag->second);
  absl::StatusOr<int64_t> iters = IntFlag(flags, "iters", 2000);
  if (!iters.ok()) return iters.status();
  for (int64_t size : sizes) {
    // `iters` for 1 MiB; proportionally fewer (at least 10) above.
    int64_t n = std::max<int64_t>(*iters * (int64_t{1} << 20) / std::max<int64_t>(size, 1 << 20),
                                  10);
    absl::Status s = MeasureSize(size, n);
    if (!s.ok()) return absl::Status(s.code(), absl::StrCat(size, " B: ", s.message()));
  }
  return absl::OkStatus();
}

}  // namespace
}  // namespace bench
}  // namespace ipckit

int main(int argc, char** argv) {
  return ipckit::bench::RunBenchMain("shm_bench", argc, argv, 900, ipckit::bench::Main, ipckit::bench::RunPeer);
}
