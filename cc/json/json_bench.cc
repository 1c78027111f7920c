// Throughput of Dumps and Loads on a ~1 MB array of small records, next to
// plain RapidJSON (Writer, Document::Parse) for reference. Not a test:
//   bazel run -c opt //cc/json:json_bench
#include <algorithm>
#include <cstdio>
#include <string>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "cc/json/json.h"
#include "rapidjson/document.h"
#include "rapidjson/stringbuffer.h"
#include "rapidjson/writer.h"

namespace {

// An array of records like {"id":7,"name":"item 7","score":2.59,...}.
std::string MakeInput(size_t target_bytes) {
  std::string text = "[";
  for (int i = 0; text.size() < target_bytes; ++i) {
    if (i > 0) text += ",";
    absl::StrAppend(&text, "{\"id\":", i, ",\"name\":\"item ", i, " caf\\u00e9\",\"score\":",
                    i * 0.37, ",\"big\":", 1234567890123LL * i,
                    ",\"tags\":[\"a\",\"b\\n\"],\"ok\":true,\"none\":null}");
  }
  return text + "]";
}

// Best of `runs` timings of `fn`, as MB/s over `bytes`.
template <typename Fn>
double BestMbPerSecond(size_t bytes, int runs, Fn fn) {
  absl::Duration best = absl::InfiniteDuration();
  for (int i = 0; i < runs; ++i) {
    const absl::Time start = absl::Now();
    fn();
    best = std::min(best, absl::Now() - start);
  }
  return static_cast<double>(bytes) / 1e6 / absl::ToDoubleSeconds(best);
}

}  // namespace

int main() {
  const std::string input = MakeInput(1 << 20);
  absl::StatusOr<rapidjson::Document> doc = ipckit::json::Loads(input);
  if (!doc.ok()) {
    std::fprintf(stderr, "%s\n", doc.status().ToString().c_str());
    return 1;
  }
  const std::string compact = *ipckit::json::Dumps(*doc);
  constexpr int kRuns = 30;
  size_t sink = 0;

  const double loads = BestMbPerSecond(input.size(), kRuns, [&] {
    sink += ipckit::json::Loads(input)->Size();
  });
  const double dumps = BestMbPerSecond(compact.size(), kRuns, [&] {
    sink += ipckit::json::Dumps(*doc)->size();
  });
  const double pretty = BestMbPerSecond(compact.size(), kRuns, [&] {
    sink += ipckit::json::DumpsPretty(*doc)->size();
  });
  const double rj_parse = BestMbPerSecond(input.size(), kRuns, [&] {
    rapidjson::Document d;
    d.Parse<rapidjson::kParseFullPrecisionFlag>(input.data(), input.size());
    sink += d.Size();
  });
  const double rj_write = BestMbPerSecond(compact.size(), kRuns, [&] {
    rapidjson::StringBuffer out;
    rapidjson::Writer<rapidjson::StringBuffer> w(out);
    doc->Accept(w);
    sink += out.GetSize();
  });
  std::printf("input %zu bytes, %u records, compact %zu bytes (best of %d)\n", input.size(),
              doc->Size(), compact.size(), kRuns);
  std::printf("ipckit Loads        %8.1f MB/s\n", loads);
  std::printf("ipckit Dumps        %8.1f MB/s\n", dumps);
  std::printf("ipckit DumpsPretty  %8.1f MB/s (of compact size)\n", pretty);
  std::printf("rapidjson Parse     %8.1f MB/s (full precision, NUL-terminated input)\n", rj_parse);
  std::printf("rapidjson Writer    %8.1f MB/s (Grisu2, uppercase escapes)\n", rj_write);
  return sink == 0;
}
