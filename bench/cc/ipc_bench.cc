// ipc_bench: C++ round-trip latency and one-way throughput between two
// processes, for ipckit's IpcChannel beside raw UDS, raw pipes, Boost's
// message_queue and ZeroMQ. One JSON line per measurement on stdout.
//
//   bazel run -c opt //bench/cc:ipc_bench -- --sizes=64,4096 --rtt_iters=20000 --rounds=3
//
// For each round, method and size the driver starts a fresh peer (this binary
// with --peer) that echoes (latency) or sinks and acknowledges batches
// (throughput). Latency samples are single round trips after a warm-up;
// throughput samples are whole batches (MiB/s = batch bytes / batch time).

#include <algorithm>
#include <cstdio>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "bench/cc/bench_util.h"
#include "bench/cc/links.h"

namespace ipckit {
namespace bench {
namespace {


constexpr size_t kAckSize = 1;

// What one peer does, passed on its command line.
struct PeerPlan {
  std::string method;
  std::string mode;  // "echo" or "sink"
  LinkParams params;
  size_t size = 0;
  int64_t count = 0;  // echo: round trips; sink: batches
  int64_t batch = 0;  // sink: messages per acknowledged batch
};

std::vector<std::string> PeerArgs(const PeerPlan& plan) {
  return {"--peer",
          absl::StrCat("--method=", plan.method),
          absl::StrCat("--mode=", plan.mode),
          absl::StrCat("--name=", plan.params.name),
          absl::StrCat("--max_size=", plan.params.max_size),
          absl::StrCat("--queue_depth=", plan.params.queue_depth),
          absl::StrCat("--size=", plan.size),
          absl::StrCat("--count=", plan.count),
          absl::StrCat("--batch=", plan.batch)};
}

absl::Status RunPeer(const Flags& flags) {
  PeerPlan plan;
  auto get = [&](const char* key) {
    auto it = flags.find(key);
    return it == flags.end() ? std::string() : it->second;
  };
  plan.method = get("method");
  plan.mode = get("mode");
  plan.params.name = get("name");
  absl::StatusOr<int64_t> max_size = IntFlag(flags, "max_size", 0);
  absl::StatusOr<int64_t> depth = IntFlag(flags, "queue_depth", 16);
  absl::StatusOr<int64_t> size = IntFlag(flags, "size", 0);
  absl::StatusOr<int64_t> count = IntFlag(flags, "count", 0);
  absl::StatusOr<int64_t> batch = IntFlag(flags, "batch", 0);
  for (const auto* s : {&max_size, &depth, &size, &count, &batch}) {
    if (!s->ok()) return s->status();
  }
  plan.params.max_size = *max_size;
  plan.params.queue_depth = *depth;

  absl::StatusOr<std::unique_ptr<Link>> link = Connect(plan.method, plan.params);
  if (!link.ok()) return link.status();
  if (plan.mode == "echo") {
    for (int64_t i = 0; i < *count; ++i) {
      absl::StatusOr<absl::string_view> message = (*link)->Recv(*size);
      if (!message.ok()) return message.status();
      absl::Status sent = (*link)->Send(*message);
      if (!sent.ok()) return sent;
    }
    return absl::OkStatus();
  }
  if (plan.mode == "sink") {
    const std::string ack(kAckSize, 'a');
    for (int64_t b = 0; b < *count; ++b) {
      for (int64_t i = 0; i < *batch; ++i) {
        absl::StatusOr<absl::string_view> message = (*link)->Recv(*size);
        if (!message.ok()) return message.status();
      }
      absl::Status sent = (*link)->Send(ack);
      if (!sent.ok()) return sent;
    }
    return absl::OkStatus();
  }
  return absl::InvalidArgumentError(absl::StrCat("unknown mode '", plan.mode, "'"));
}

// Enough queue slots to stream, capped at ~16 MiB of queue per direction.
size_t QueueDepthFor(size_t size) {
  return std::clamp<size_t>((size_t{16} << 20) / std::max<size_t>(size, 1), 2, 64);
}

// Starts a peer for `plan` and returns the connected link and the peer.
absl::Status WithPeer(const PeerPlan& plan,
                      const std::function<absl::Status(Link&)>& drive) {
  absl::StatusOr<std::unique_ptr<Acceptor>> acceptor = Listen(plan.method, plan.params);
  if (!acceptor.ok()) return acceptor.status();
  absl::StatusOr<Peer> peer = Peer::Spawn(PeerArgs(plan), (*acceptor)->FdsForPeer());
  if (!peer.ok()) return peer.status();
  absl::StatusOr<std::unique_ptr<Link>> link = (*acceptor)->Accept();
  if (!link.ok()) return link.status();
  absl::Status driven = drive(**link);
  if (!driven.ok()) return driven;
  link->reset();
  return peer->Wait();
}

// Appends `iters` round trips (after `warmup`) with a fresh peer to `samples`.
absl::Status MeasureRtt(const std::string& method, size_t size, int64_t warmup, int64_t iters,
                        Samples* samples) {
  PeerPlan plan{method, "echo", {UniqueName("rtt"), size, QueueDepthFor(size)}, size,
                warmup + iters, 0};
  return WithPeer(plan, [&](Link& link) -> absl::Status {
    std::string message(size, 'm');
    for (int64_t i = 0; i < warmup + iters; ++i) {
      message[0] = static_cast<char>('a' + i % 26);
      int64_t start = NowNs();
      absl::Status sent = link.Send(message);
      if (!sent.ok()) return sent;
      absl::StatusOr<absl::string_view> reply = link.Recv(size);
      if (!reply.ok()) return reply.status();
      int64_t end = NowNs();
      if ((*reply)[0] != message[0]) return absl::InternalError("the echo is not the message");
      if (i >= warmup) samples->Add(end - start);
    }
    return absl::OkStatus();
  });
}

// Appends `batches` timed batches of `batch` messages (after one untimed
// batch) with a fresh peer to `samples`.
absl::Status MeasureThroughput(const std::string& method, size_t size, int64_t batch,
                               int64_t batches, Samples* samples) {
  PeerPlan plan{method, "sink", {UniqueName("tput"), size, QueueDepthFor(size)}, size,
                batches + 1, batch};
  return WithPeer(plan, [&](Link& link) -> absl::Status {
    std::string message(size, 't');
    for (int64_t r = 0; r < batches + 1; ++r) {
      int64_t start = NowNs();
      for (int64_t i = 0; i < batch; ++i) {
        absl::Status sent = link.Send(message);
        if (!sent.ok()) return sent;
      }
      absl::StatusOr<absl::string_view> ack = link.Recv(kAckSize);
      if (!ack.ok()) return ack.status();
      if (r > 0) samples->Add(NowNs() - start);
    }
    return absl::OkStatus();
  });
}

// Fewer round trips for big messages, so every size takes similar time.
int64_t ItersFor(size_t size, int64_t small_iters) {
  if (size >= (size_t{1} << 20)) return std::max<int64_t>(small_iters / 40, 50);
  if (size >= (size_t{64} << 10)) return std::max<int64_t>(small_iters / 4, 200);
  return small_iters;
}

// Batches of ~batch_bytes, at least 16 and at most 20000 messages.
int64_t BatchFor(size_t size, int64_t batch_bytes) {
  return std::clamp<int64_t>(batch_bytes / static_cast<int64_t>(size), 16, 20000);
}

absl::Status Annotate(const absl::Status& s, absl::string_view what) {
  return absl::Status(s.code(), absl::StrCat(what, ": ", s.message()));
}

absl::Status Main(const Flags& flags) {
  auto get = [&](const char* key, const char* default_value) {
    auto it = flags.find(key);
    return it == flags.end() ? std::string(default_value) : it->second;
  };
  std::vector<std::string> methods =
      absl::StrSplit(get("methods", "ipckit_channel,uds,uds_nonblocking,pipe,boost_mq,zmq"), ',',
                     absl::SkipEmpty());
  std::vector<int64_t> sizes = ParseSizes(get("sizes", "64,1024,4096,65536,1048576"));
  std::vector<int64_t> tput_sizes = ParseSizes(get("throughput_sizes", "64,4096,1048576"));
  absl::StatusOr<int64_t> rtt_iters = IntFlag(flags, "rtt_iters", 20000);
  absl::StatusOr<int64_t> batches = IntFlag(flags, "throughput_batches", 10);
  absl::StatusOr<int64_t> batch_bytes = IntFlag(flags, "batch_bytes", 64 << 20);
  absl::StatusOr<int64_t> rounds = IntFlag(flags, "rounds", 3);
  for (const auto* s : {&rtt_iters, &batches, &batch_bytes, &rounds}) {
    if (!s->ok()) return s->status();
  }
  const int64_t round_count = std::max<int64_t>(*rounds, 1);

  // Each round runs every method in turn with a share of the iterations, so
  // that a change in the shared machine's load hits all methods alike.
  std::map<std::pair<std::string, int64_t>, Samples> rtt, tput;
  for (int64_t round = 0; round < round_count; ++round) {
    std::fprintf(stderr, "  cc round %lld of %lld\n", static_cast<long long>(round + 1),
                 static_cast<long long>(round_count));
    for (const std::string& method : methods) {
      for (int64_t size : sizes) {
        int64_t iters = std::max<int64_t>(ItersFor(size, *rtt_iters) / round_count, 10);
        absl::Status s = MeasureRtt(method, size, std::max<int64_t>(iters / 10, 10), iters,
                                    &rtt[{method, size}]);
        if (!s.ok()) return Annotate(s, absl::StrCat(method, " rtt ", size, " B"));
      }
      for (int64_t size : tput_sizes) {
        int64_t n = std::max<int64_t>(*batches / round_count, 2);
        absl::Status s =
            MeasureThroughput(method, size, BatchFor(size, *batch_bytes), n, &tput[{method, size}]);
        if (!s.ok()) return Annotate(s, absl::StrCat(method, " throughput ", size, " B"));
      }
    }
  }
  for (const std::string& method : methods) {
    const std::string label = MethodLabel(method);
    for (int64_t size : sizes) {
      const Samples& samples = rtt[{method, size}];
      PrintResult({"cc_rtt", label, static_cast<size_t>(size), 0}, samples);
      std::fprintf(stderr, "  cc rtt %-34s %8lld B  median %9.1f us  p99 %9.1f us\n",
                   label.c_str(), static_cast<long long>(size), samples.Median() / 1e3,
                   samples.P99() / 1e3);
    }
    for (int64_t size : tput_sizes) {
      const Samples& samples = tput[{method, size}];
      int64_t batch = BatchFor(size, *batch_bytes);
      PrintResult({"cc_throughput", label, static_cast<size_t>(size),
                   static_cast<size_t>(size * batch)},
                  samples);
      double seconds = samples.Median() * 1e-9;
      std::fprintf(stderr, "  cc throughput %-27s %8lld B  %9.1f MiB/s  %10.0f msg/s\n",
                   label.c_str(), static_cast<long long>(size),
                   size * batch / 1048576.0 / seconds, batch / seconds);
    }
  }
  return absl::OkStatus();
}

}  // namespace
}  // namespace bench
}  // namespace ipckit

int main(int argc, char** argv) {
  return ipckit::bench::RunBenchMain("ipc_bench", argc, argv, 900, ipckit::bench::Main, ipckit::bench::RunPeer);
}
