// Shared pieces of the C++ benchmarks: samples and their statistics, one JSON
// line per measurement, unique object names, flags, and starting a peer.
//
//   ipckit::bench::Samples rtt;  rtt.Add(elapsed_ns);
//   ipckit::bench::PrintResult({.suite = "cc_rtt", .method = "uds", .size = 64}, rtt);
//   IPCKIT_ASSIGN_OR_RETURN(ipckit::bench::Peer peer, ipckit::bench::Peer::Spawn(args, {}));
//
// The benchmarks print JSON lines on stdout (bench/py/report.py gathers them)
// and progress on stderr.
#ifndef IPCKIT_BENCH_CC_BENCH_UTIL_H_
#define IPCKIT_BENCH_CC_BENCH_UTIL_H_

#include <sys/types.h>

#include <cstddef>
#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/functional/function_ref.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace ipckit {
namespace bench {

// Monotonic clock in nanoseconds.
int64_t NowNs();

// Durations of repeated operations, in nanoseconds.
class Samples {
 public:
  void Reserve(size_t n) { ns_.reserve(n); }
  void Add(int64_t ns) { ns_.push_back(ns); }
  size_t size() const { return ns_.size(); }
  // The q-quantile (0 <= q <= 1) by the nearest-rank method; 0 if empty.
  double Quantile(double q) const;
  double Median() const { return Quantile(0.5); }
  double P99() const { return Quantile(0.99); }

 private:
  std::vector<int64_t> ns_;
};

// What one measurement was.
struct ResultKey {
  std::string suite;   // "cc_rtt", "cc_throughput", "cc_shm"
  std::string method;  // "ipckit IpcChannel", "raw UDS", ...
  size_t size = 0;     // message size in bytes
  // Bytes moved per sample for throughput (0: a latency measurement).
  size_t bytes_per_sample = 0;
};

// Prints one JSON line: the key, iterations, median and p99 in ns, and for a
// throughput measurement the median and p99-slowest throughput in MiB/s.
void PrintResult(const ResultKey& key, const Samples& samples);

// A name no other run or process uses: "ipckit-bench-<pid>-<random hex>".
std::string UniqueName(absl::string_view what);

// "--key=value" arguments (and "--flag" as "true"); anything else is an error.
absl::StatusOr<absl::flat_hash_map<std::string, std::string>> ParseFlags(int argc, char** argv);
// Flag values with defaults; invalid_argument if present but malformed.
absl::StatusOr<int64_t> IntFlag(const absl::flat_hash_map<std::string, std::string>& flags,
                                absl::string_view key, int64_t default_value);
std::vector<int64_t> ParseSizes(absl::string_view csv);

// Pins the calling process to one CPU (-1: leaves it alone). Linux only.
absl::Status PinToCpu(int cpu);
// The "--pin=DRIVER,PEER" flag: CPUs for the driver and its peers; {-1, -1}
// if absent.
absl::StatusOr<std::pair<int, int>> PinFlag(
    const absl::flat_hash_map<std::string, std::string>& flags);

// A child process running this same binary (from /proc/self/exe) with
// `args`, optionally with inherited fds placed at given numbers.
class Peer {
 public:
  // Adds an argument that every later Spawn passes too (e.g. --pin=0,1).
  static void AddCommonArg(std::string arg);
  // fd_map: pairs (fd here, fd number in the child).
  static absl::StatusOr<Peer> Spawn(const std::vector<std::string>& args,
                                    const std::vector<std::pair<int, int>>& fd_map);
  Peer(Peer&& other) noexcept : pid_(std::exchange(other.pid_, -1)) {}
  Peer& operator=(Peer&& other) noexcept;
  Peer(const Peer&) = delete;
  Peer& operator=(const Peer&) = delete;
  // Kills and reaps a peer that was not waited for.
  ~Peer();

  // Waits for the peer; internal error unless it exited with status 0.
  absl::Status Wait();

 private:
  explicit Peer(pid_t pid) : pid_(pid) {}
  pid_t pid_ = -1;
};

using Flags = absl::flat_hash_map<std::string, std::string>;

// A benchmark binary's main(): parses the flags, arms a time limit
// (--time_limit_s, default `default_time_limit_s`) so that a peer that died or
// a lost message ends the run instead of hanging it, applies --pin, then runs
// `peer` if --peer is given, else `driver`. Prints a failure as
// "<name>[ peer]: <status>" and returns main()'s exit code.
//
//   int main(int argc, char** argv) {
//     return ipckit::bench::RunBenchMain("ipc_bench", argc, argv, 900, Main, RunPeer);
//   }
int RunBenchMain(absl::string_view name, int argc, char** argv, int64_t default_time_limit_s,
                 absl::FunctionRef<absl::Status(const Flags&)> driver,
                 absl::FunctionRef<absl::Status(const Flags&)> peer);

}  // namespace bench
}  // namespace ipckit

#endif  // IPCKIT_BENCH_CC_BENCH_UTIL_H_
