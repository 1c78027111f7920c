// shm_msg_bench: zero-copy shared-memory messaging (cc/shm_msg) beside the
// floors it is judged against. One JSON line per measurement on stdout.
//
//   bazel run -c opt //bench/cc:shm_msg_bench -- --iters=20000 --rounds=3
//
// Measured between two processes, ping-pong, 64 B:
//   one-way, busy-wait: ipckit shm_msg (both sides WaitMode::kBusyWait), and
//     a raw atomic ping-pong on one cache line (the physical floor); a sample
//     is one round trip / 2, as iceoryx2 measures
//   round trip, blocking: ipckit shm_msg with futex waits, and a raw pipe pair
//   one-way throughput, hybrid waits (spin, then futex): batches of 20000
//     samples (as ipc_bench's 64 B batches, beside its ZeroMQ row), overflow
//     kBlock, one ack per batch
// and in one process, 64 MiB: filling a loan (memcpy into shared memory) and
// a private memcpy.
#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cstdio>
#include <cstring>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "bench/cc/bench_util.h"
#include "cc/shm/shared_memory.h"
#include "cc/shm_msg/publisher.h"
#include "cc/shm_msg/subscriber.h"

namespace ipckit {
namespace bench {
namespace {

constexpr size_t kSmall = 64;
constexpr size_t kBig = size_t{64} << 20;
constexpr uint64_t kStop = ~uint64_t{0};

inline void Relax() {
#if defined(__x86_64__)
  __builtin_ia32_pause();
#endif
}

absl::Status Errno(absl::string_view what) {
  return absl::InternalError(absl::StrCat(what, ": ", std::strerror(errno)));
}

shm_msg::ServiceConfig SmallConfig() {
  shm_msg::ServiceConfig c;
  c.max_subscribers = 1;
  c.max_payload = kSmall;
  c.subscriber_buffer = 4;
  return c;
}

// Throughput: a deep queue, and the publisher waits for room instead of dropping.
constexpr int64_t kBatch = 20000;
shm_msg::ServiceConfig ThroughputConfig() {
  shm_msg::ServiceConfig c = SmallConfig();
  c.subscriber_buffer = 1024;
  c.overflow = shm_msg::Overflow::kBlock;
  return c;
}

shm_msg::WaitMode ModeOf(const std::string& wait) {
  return wait == "busy" ? shm_msg::WaitMode::kBusyWait : shm_msg::WaitMode::kBlocking;
}

std::atomic<uint64_t>* CacheLine(SharedMemory& shm) {
  return reinterpret_cast<std::atomic<uint64_t>*>(shm.data().data());
}

// --- peers ---------------------------------------------------------------------

absl::Status AtomicPeer(const std::string& name) {
  absl::StatusOr<SharedMemory> shm = SharedMemory::Open(name, absl::Seconds(10));
  if (!shm.ok()) return shm.status();
  std::atomic<uint64_t>* line = CacheLine(*shm);
  uint64_t expect = 1;
  for (;;) {
    uint64_t v;
    while ((v = line->load(std::memory_order_acquire)) != expect && v != kStop) Relax();
    if (v == kStop) return absl::OkStatus();
    line->store(expect + 1, std::memory_order_release);
    expect += 2;
  }
}

// Echoes every sample of NAME.ping on NAME.pong until a 0-byte sample.
absl::Status MsgPeer(const std::string& name, shm_msg::WaitMode mode) {
  shm_msg::SubscriberOptions sub_options;
  sub_options.wait_mode = mode;
  sub_options.open_timeout = absl::Seconds(10);
  absl::StatusOr<shm_msg::Subscriber> ping =
      shm_msg::Subscriber::Create(name + ".ping", SmallConfig(), sub_options);
  if (!ping.ok()) return ping.status();
  shm_msg::PublisherOptions pub_options;
  pub_options.open_timeout = absl::Seconds(10);
  absl::StatusOr<shm_msg::Publisher> pong =
      shm_msg::Publisher::Create(name + ".pong", SmallConfig(), pub_options);
  if (!pong.ok()) return pong.status();
  for (;;) {
    absl::StatusOr<shm_msg::Sample> in = ping->Receive(absl::Seconds(30));
    if (!in.ok()) return in.status();
    if (in->size() == 0) return absl::OkStatus();
    absl::StatusOr<shm_msg::LoanedSample> out = pong->Loan(in->size());
    if (!out.ok()) return out.status();
    std::memcpy(out->data().data(), in->data().data(), in->size());
    in->Release();
    if (absl::Status s = pong->Send(*out); !s.ok()) return s;
  }
}

// Receives NAME.tput; after each 0-byte sample (a batch's end) sends an ack
// on NAME.ack; a 1-byte sample ends it.
absl::Status SinkPeer(const std::string& name) {
  shm_msg::SubscriberOptions sub_options;
  sub_options.open_timeout = absl::Seconds(10);
  sub_options.wait_mode = shm_msg::WaitMode::kHybrid;
  absl::StatusOr<shm_msg::Subscriber> in =
      shm_msg::Subscriber::Create(name + ".tput", ThroughputConfig(), sub_options);
  if (!in.ok()) return in.status();
  shm_msg::PublisherOptions pub_options;
  pub_options.open_timeout = absl::Seconds(10);
  absl::StatusOr<shm_msg::Publisher> ack =
      shm_msg::Publisher::Create(name + ".ack", SmallConfig(), pub_options);
  if (!ack.ok()) return ack.status();
  for (;;) {
    absl::StatusOr<shm_msg::Sample> sample = in->Receive(absl::Seconds(30));
    if (!sample.ok()) return sample.status();
    if (sample->size() == 1) return absl::OkStatus();
    if (sample->size() == 0) {
      if (absl::Status s = ack->SendCopy("ok"); !s.ok()) return s;
    }
  }
}

absl::Status PipePeer() {
  char buf[kSmall];
  for (;;) {
    size_t got = 0;
    while (got < kSmall) {
      ssize_t n = ::read(3, buf + got, kSmall - got);
      if (n == 0) return absl::OkStatus();
      if (n < 0 && errno != EINTR) return Errno("read");
      if (n > 0) got += n;
    }
    if (::write(4, buf, kSmall) != static_cast<ssize_t>(kSmall)) return Errno("write");
  }
}

absl::Status RunPeer(const Flags& flags) {
  const std::string kind = flags.at("peer");
  if (kind == "atomic") return AtomicPeer(flags.at("name"));
  if (kind == "msg") return MsgPeer(flags.at("name"), ModeOf(flags.at("wait")));
  if (kind == "pipe") return PipePeer();
  if (kind == "sink") return SinkPeer(flags.at("name"));
  return absl::InvalidArgumentError(absl::StrCat("unknown peer ", kind));
}

// --- drivers -------------------------------------------------------------------

void Report(const std::string& method, size_t size, const Samples& samples, size_t bytes = 0) {
  PrintResult({"cc_shm_msg", method, size, bytes}, samples);
  std::fprintf(stderr, "  cc shm_msg %-44s %9zu B  median %8.2f us  p99 %8.2f us\n", method.c_str(),
               size, samples.Median() / 1e3, samples.P99() / 1e3);
}

absl::Status AtomicPingPong(int64_t warmup, int64_t iters, Samples& samples) {
  const std::string name = UniqueName("line");
  absl::StatusOr<SharedMemory> shm = SharedMemory::Create(name, 64);
  if (!shm.ok()) return shm.status();
  std::atomic<uint64_t>* line = CacheLine(*shm);
  absl::StatusOr<Peer> peer = Peer::Spawn({"--peer=atomic", absl::StrCat("--name=", name)}, {});
  if (!peer.ok()) return peer.status();
  uint64_t v = 1;
  for (int64_t i = 0; i < warmup + iters; ++i, v += 2) {
    const int64_t start = NowNs();
    line->store(v, std::memory_order_release);
    while (line->load(std::memory_order_acquire) != v + 1) Relax();
    const int64_t end = NowNs();
    if (i >= warmup) samples.Add((end - start) / 2);
  }
  line->store(kStop, std::memory_order_release);
  return peer->Wait();
}

// Round trips through two services; `one_way` halves each sample.
absl::Status MsgPingPong(const std::string& wait, int64_t warmup, int64_t iters, bool one_way,
                         Samples& samples) {
  const std::string name = UniqueName("msg");
  shm_msg::PublisherOptions pub_options;
  absl::StatusOr<shm_msg::Publisher> ping =
      shm_msg::Publisher::Create(name + ".ping", SmallConfig(), pub_options);
  if (!ping.ok()) return ping.status();
  shm_msg::SubscriberOptions sub_options;
  sub_options.wait_mode = ModeOf(wait);
  absl::StatusOr<shm_msg::Subscriber> pong =
      shm_msg::Subscriber::Create(name + ".pong", SmallConfig(), sub_options);
  if (!pong.ok()) return pong.status();
  absl::StatusOr<Peer> peer = Peer::Spawn(
      {"--peer=msg", absl::StrCat("--name=", name), absl::StrCat("--wait=", wait)}, {});
  if (!peer.ok()) return peer.status();
  // The peer's subscriber must be active before the first send.
  const absl::Time give_up = absl::Now() + absl::Seconds(20);
  while (ping->subscriber_count() == 0) {
    if (absl::Now() > give_up) return absl::DeadlineExceededError("peer did not subscribe");
    absl::SleepFor(absl::Milliseconds(1));
  }
  for (int64_t i = 0; i < warmup + iters; ++i) {
    const int64_t start = NowNs();
    absl::StatusOr<shm_msg::LoanedSample> out = ping->Loan(kSmall);
    if (!out.ok()) return out.status();
    std::memset(out->data().data(), static_cast<int>(i), kSmall);
    if (absl::Status s = ping->Send(*out); !s.ok()) return s;
    absl::StatusOr<shm_msg::Sample> in = pong->Receive(absl::Seconds(30));
    if (!in.ok()) return in.status();
    in->Release();
    const int64_t end = NowNs();
    if (i >= warmup) samples.Add(one_way ? (end - start) / 2 : end - start);
  }
  if (absl::Status s = ping->SendCopy(""); !s.ok()) return s;
  return peer->Wait();
}

absl::Status PipePingPong(int64_t warmup, int64_t iters, Samples& samples) {
  int to_peer[2], from_peer[2];
  if (::pipe2(to_peer, O_CLOEXEC) != 0 || ::pipe2(from_peer, O_CLOEXEC) != 0) return Errno("pipe2");
  absl::StatusOr<Peer> peer = Peer::Spawn({"--peer=pipe"}, {{to_peer[0], 3}, {from_peer[1], 4}});
  ::close(to_peer[0]);
  ::close(from_peer[1]);
  if (!peer.ok()) return peer.status();
  char buf[kSmall] = {};
  for (int64_t i = 0; i < warmup + iters; ++i) {
    const int64_t start = NowNs();
    if (::write(to_peer[1], buf, kSmall) != static_cast<ssize_t>(kSmall)) return Errno("write");
    size_t got = 0;
    while (got < kSmall) {
      ssize_t n = ::read(from_peer[0], buf + got, kSmall - got);
      if (n <= 0 && errno != EINTR) return Errno("read");
      if (n > 0) got += n;
    }
    const int64_t end = NowNs();
    if (i >= warmup) samples.Add(end - start);
  }
  ::close(to_peer[1]);
  ::close(from_peer[0]);
  return peer->Wait();
}

// One-way throughput at 64 B: `batches` batches of kBatch loaned, filled and
// sent samples, each timed until the peer's ack of its end marker.
absl::Status MsgThroughput(int64_t batches, Samples& samples) {
  const std::string name = UniqueName("tput");
  shm_msg::PublisherOptions pub_options;
  pub_options.wait_mode = shm_msg::WaitMode::kHybrid;
  absl::StatusOr<shm_msg::Publisher> out =
      shm_msg::Publisher::Create(name + ".tput", ThroughputConfig(), pub_options);
  if (!out.ok()) return out.status();
  absl::StatusOr<shm_msg::Subscriber> ack =
      shm_msg::Subscriber::Create(name + ".ack", SmallConfig());
  if (!ack.ok()) return ack.status();
  absl::StatusOr<Peer> peer = Peer::Spawn({"--peer=sink", absl::StrCat("--name=", name)}, {});
  if (!peer.ok()) return peer.status();
  const absl::Time give_up = absl::Now() + absl::Seconds(20);
  while (out->subscriber_count() == 0) {
    if (absl::Now() > give_up) return absl::DeadlineExceededError("peer did not subscribe");
    absl::SleepFor(absl::Milliseconds(1));
  }
  for (int64_t b = 0; b < batches + 1; ++b) {  // batch 0 warms up
    const int64_t start = NowNs();
    for (int64_t i = 0; i < kBatch; ++i) {
      absl::StatusOr<shm_msg::LoanedSample> loan = out->Loan(kSmall);
      if (!loan.ok()) return loan.status();
      std::memset(loan->data().data(), static_cast<int>(i), kSmall);
      if (absl::Status s = out->Send(*loan, absl::Seconds(30)); !s.ok()) return s;
    }
    if (absl::Status s = out->SendCopy("", absl::Seconds(30)); !s.ok()) return s;
    absl::StatusOr<shm_msg::Sample> done = ack->Receive(absl::Seconds(30));
    if (!done.ok()) return done.status();
    const int64_t end = NowNs();
    if (b > 0) samples.Add(end - start);
  }
  if (absl::Status s = out->SendCopy("x", absl::Seconds(30)); !s.ok()) return s;
  return peer->Wait();
}

// 64 MiB: memcpy into a loan vs into a private buffer, taking turns.
absl::Status MeasureFill(int64_t iters) {
  shm_msg::ServiceConfig config;
  config.max_subscribers = 1;
  config.max_payload = kBig;
  config.pool_slots = 2;
  absl::StatusOr<shm_msg::Publisher> pub = shm_msg::Publisher::Create(UniqueName("fill"), config);
  if (!pub.ok()) return pub.status();
  std::vector<char> src(kBig, 's'), dst(kBig, 'd');
  Samples loan_fill, copy;
  const int64_t warmup = 2;  // touches both slots' pages
  for (int64_t i = 0; i < warmup + iters; ++i) {
    absl::StatusOr<shm_msg::LoanedSample> loan = pub->Loan(kBig);
    if (!loan.ok()) return loan.status();
    int64_t start = NowNs();
    std::memcpy(loan->data().data(), src.data(), kBig);
    int64_t end = NowNs();
    if (i >= warmup) loan_fill.Add(end - start);
    if (absl::Status s = pub->Send(*loan); !s.ok()) return s;
    start = NowNs();
    std::memcpy(dst.data(), src.data(), kBig);
    end = NowNs();
    if (i >= warmup) copy.Add(end - start);
  }
  Report("ipckit shm_msg loan fill", kBig, loan_fill, kBig);
  Report("memcpy", kBig, copy, kBig);
  return absl::OkStatus();
}

absl::Status Main(const Flags& flags) {
  absl::StatusOr<int64_t> iters = IntFlag(flags, "iters", 20000);
  if (!iters.ok()) return iters.status();
  absl::StatusOr<int64_t> rounds = IntFlag(flags, "rounds", 3);
  if (!rounds.ok()) return rounds.status();
  absl::StatusOr<int64_t> fill_iters = IntFlag(flags, "fill_iters", 20);
  if (!fill_iters.ok()) return fill_iters.status();
  const int64_t warmup = std::max<int64_t>(*iters / 10, 100);
  // Methods take turns round by round; each round's samples are reported
  // together at the end (a change in load hits every method alike).
  absl::StatusOr<int64_t> batches = IntFlag(flags, "throughput_batches", 10);
  if (!batches.ok()) return batches.status();
  Samples atomic_one_way, msg_one_way, msg_rtt, pipe_rtt, msg_tput;
  for (int64_t r = 0; r < *rounds; ++r) {
    std::fprintf(stderr, "  round %lld/%lld\n", static_cast<long long>(r + 1),
                 static_cast<long long>(*rounds));
    for (absl::Status s : {AtomicPingPong(warmup, *iters, atomic_one_way),
                           MsgPingPong("busy", warmup, *iters, /*one_way=*/true, msg_one_way),
                           MsgPingPong("blocking", warmup, *iters, /*one_way=*/false, msg_rtt),
                           PipePingPong(warmup, *iters, pipe_rtt),
                           MsgThroughput(std::max<int64_t>(*batches / *rounds, 2), msg_tput)}) {
      if (!s.ok()) return s;
    }
  }
  Report("raw atomic ping-pong one-way (busy)", kSmall, atomic_one_way);
  Report("ipckit shm_msg one-way (busy)", kSmall, msg_one_way);
  Report("ipckit shm_msg RTT (futex)", kSmall, msg_rtt);
  Report("raw pipe RTT", kSmall, pipe_rtt);
  Report("ipckit shm_msg one-way throughput (hybrid)", kSmall, msg_tput, kSmall * kBatch);
  return MeasureFill(*fill_iters);
}

}  // namespace
}  // namespace bench
}  // namespace ipckit

int main(int argc, char** argv) {
  return ipckit::bench::RunBenchMain("shm_msg_bench", argc, argv, 600, ipckit::bench::Main, ipckit::bench::RunPeer);
}
