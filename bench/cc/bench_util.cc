#include "bench/cc/bench_util.h"

#include <sched.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <ctime>
#include <random>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"

extern char** environ;

namespace ipckit {
namespace bench {

int64_t NowNs() {
  timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return int64_t{ts.tv_sec} * 1000000000 + ts.tv_nsec;
}

double Samples::Quantile(double q) const {
  if (ns_.empty()) return 0;
  std::vector<int64_t> sorted = ns_;
  // Nearest rank: the smallest sample with at least q of all at or below it.
  size_t rank = static_cast<size_t>(std::ceil(q * sorted.size()));
  size_t index = rank == 0 ? 0 : std::min(rank - 1, sorted.size() - 1);
  std::nth_element(sorted.begin(), sorted.begin() + index, sorted.end());
  return static_cast<double>(sorted[index]);
}

void PrintResult(const ResultKey& key, const Samples& samples) {
  double median = samples.Median();
  double p99 = samples.P99();
  std::string line = absl::StrCat("{\"suite\": \"", key.suite, "\", \"method\": \"", key.method,
                                  "\", \"size\": ", key.size, ", \"iters\": ", samples.size(),
                                  ", \"median_ns\": ", median, ", \"p99_ns\": ", p99);
  if (key.bytes_per_sample > 0 && median > 0 && p99 > 0) {
    constexpr double kMiB = 1024.0 * 1024.0;
    double mib = key.bytes_per_sample / kMiB;
    absl::StrAppend(&line, ", \"bytes_per_sample\": ", key.bytes_per_sample,
                    ", \"median_mib_s\": ", mib / (median * 1e-9),
                    ", \"p99_mib_s\": ", mib / (p99 * 1e-9));
  }
  line += "}\n";
  std::fputs(line.c_str(), stdout);
  std::fflush(stdout);
}

std::string UniqueName(absl::string_view what) {
  std::random_device random;
  uint64_t bits = (uint64_t{random()} << 32) | random();
  char hex[17];
  std::snprintf(hex, sizeof(hex), "%016llx", static_cast<unsigned long long>(bits));
  return absl::StrCat("ipckit-bench-", what, "-", ::getpid(), "-", hex);
}

absl::StatusOr<absl::flat_hash_map<std::string, std::string>> ParseFlags(int argc, char** argv) {
  absl::flat_hash_map<std::string, std::string> flags;
  for (int i = 1; i < argc; ++i) {
    absl::string_view arg = argv[i];
    if (!absl::ConsumePrefix(&arg, "--")) {
      return absl::InvalidArgumentError(absl::StrCat("unexpected argument '", argv[i], "'"));
    }
    std::pair<std::string, std::string> kv = absl::StrSplit(arg, absl::MaxSplits('=', 1));
    if (arg.find('=') == absl::string_view::npos) kv.second = "true";
    flags[kv.first] = kv.second;
  }
  return flags;
}

absl::StatusOr<int64_t> IntFlag(const absl::flat_hash_map<std::string, std::string>& flags,
                                absl::string_view key, int64_t default_value) {
  auto it = flags.find(key);
  if (it == flags.end()) return default_value;
  int64_t value;
  if (!absl::SimpleAtoi(it->second, &value)) {
    return absl::InvalidArgumentError(
        absl::StrCat("--", key, " must be an integer, got '", it->second, "'"));
  }
  return value;
}

std::vector<int64_t> ParseSizes(absl::string_view csv) {
  std::vector<int64_t> sizes;
  for (absl::string_view part : absl::StrSplit(csv, ',', absl::SkipEmpty())) {
    int64_t n;
    if (absl::SimpleAtoi(part, &n) && n > 0) sizes.push_back(n);
  }
  return sizes;
}

absl::Status PinToCpu(int cpu) {
  if (cpu < 0) return absl::OkStatus();
  cpu_set_t set;
  CPU_ZERO(&set);
  CPU_SET(cpu, &set);
  if (sched_setaffinity(0, sizeof(set), &set) != 0) {
    return absl::InternalError(absl::StrCat("sched_setaffinity(", cpu, "): ", strerror(errno)));
  }
  return absl::OkStatus();
}

absl::StatusOr<std::pair<int, int>> PinFlag(
    const absl::flat_hash_map<std::string, std::string>& flags) {
  auto it = flags.find("pin");
  if (it == flags.end() || it->second.empty()) return std::make_pair(-1, -1);
  std::pair<std::string, std::string> parts = absl::StrSplit(it->second, absl::MaxSplits(',', 1));
  int driver, peer;
  if (!absl::SimpleAtoi(parts.first, &driver) || !absl::SimpleAtoi(parts.second, &peer)) {
    return absl::InvalidArgumentError(
        absl::StrCat("--pin must be DRIVER_CPU,PEER_CPU, got '", it->second, "'"));
  }
  return std::make_pair(driver, peer);
}

namespace {
std::vector<std::string>& CommonPeerArgs() {
  static auto* args = new std::vector<std::string>();
  return *args;
}
}  // namespace

void Peer::AddCommonArg(std::string arg) { CommonPeerArgs().push_back(std::move(arg)); }

absl::StatusOr<Peer> Peer::Spawn(const std::vector<std::string>& args,
                                 const std::vector<std::pair<int, int>>& fd_map) {
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  // dup2 clears close-on-exec on the new number, so the child inherits it.
  for (const auto& [from, to] : fd_map) posix_spawn_file_actions_adddup2(&actions, from, to);
  // Linux: this binary, wherever Bazel put it.
  std::string self = "/proc/self/exe";
  std::vector<char*> argv;
  argv.push_back(self.data());
  std::vector<std::string> owned = args;
  owned.insert(owned.end(), CommonPeerArgs().begin(), CommonPeerArgs().end());
  for (std::string& a : owned) argv.push_back(a.data());
  argv.push_back(nullptr);
  pid_t pid;
  int err = posix_spawn(&pid, self.c_str(), &actions, nullptr, argv.data(), environ);
  posix_spawn_file_actions_destroy(&actions);
  if (err != 0) {
    return absl::InternalError(absl::StrCat("posix_spawn of the peer: ", std::strerror(err)));
  }
  return Peer(pid);
}

Peer& Peer::operator=(Peer&& other) noexcept {
  if (this != &other) {
    this->~Peer();
    pid_ = std::exchange(other.pid_, -1);
  }
  return *this;
}

Peer::~Peer() {
  if (pid_ > 0) {
    ::kill(pid_, SIGKILL);
    int status;
    ::waitpid(pid_, &status, 0);
  }
}

absl::Status Peer::Wait() {
  int status = 0;
  pid_t pid = std::exchange(pid_, -1);
  while (::waitpid(pid, &status, 0) < 0) {
    if (errno != EINTR) return absl::InternalError(absl::StrCat("waitpid: ", strerror(errno)));
  }
  if (WIFEXITED(status) && WEXITSTATUS(status) == 0) return absl::OkStatus();
  return absl::InternalError(absl::StrCat("peer ", pid, " ended with wait status ", status));
}

int RunBenchMain(absl::string_view name, int argc, char** argv, int64_t default_time_limit_s,
                 absl::FunctionRef<absl::Status(const Flags&)> driver,
                 absl::FunctionRef<absl::Status(const Flags&)> peer) {
  absl::StatusOr<Flags> flags = ParseFlags(argc, argv);
  absl::Status s = flags.status();
  // SIGALRM's default action ends the process.
  if (s.ok()) {
    absl::StatusOr<int64_t> limit = IntFlag(*flags, "time_limit_s", default_time_limit_s);
    s = limit.status();
    if (s.ok()) ::alarm(static_cast<unsigned>(*limit));
  }
  // --pin=DRIVER,PEER: the driver on one CPU, its peers (which get --pin too)
  // on another, so the scheduler's placement does not change between runs.
  if (s.ok()) {
    absl::StatusOr<std::pair<int, int>> pin = PinFlag(*flags);
    s = pin.status();
    if (s.ok()) s = PinToCpu(flags->contains("peer") ? pin->second : pin->first);
    if (s.ok() && pin->first >= 0) Peer::AddCommonArg(absl::StrCat("--pin=", pin->first, ",", pin->second));
  }
  const bool is_peer = flags.ok() && flags->contains("peer");
  if (s.ok()) s = is_peer ? peer(*flags) : driver(*flags);
  if (!s.ok()) {
    std::fprintf(stderr, "%s%s: %s\n", std::string(name).c_str(), is_peer ? " peer" : "", s.ToString().c_str());
    return 1;
  }
  return 0;
}

}  // namespace bench
}  // namespace ipckit
