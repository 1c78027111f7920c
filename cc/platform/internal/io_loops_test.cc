#include "cc/platform/internal/io_loops.h"

#include <algorithm>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/match.h"
#include "absl/time/time.h"
#include "cc/base/error.h"
#include "gtest/gtest.h"

namespace ipckit {
namespace platform {
namespace internal {
namespace {

// A stream that hands out `data` in the given chunk sizes, then `end` (OK
// means end of stream).
struct FakeReader {
  std::string data;
  std::vector<size_t> chunks;
  absl::Status end = absl::OkStatus();
  size_t pos = 0;
  size_t calls = 0;

  absl::StatusOr<size_t> ReadSome(absl::Span<char> buf) {
    if (calls >= chunks.size() || pos >= data.size()) {
      if (!end.ok()) return end;
      return size_t{0};
    }
    const size_t n = std::min({chunks[calls++], buf.size(), data.size() - pos});
    data.copy(buf.data(), n, pos);
    pos += n;
    return n;
  }
};

absl::Status ReadExactFrom(FakeReader& r, std::string& out) {
  return ReadExactLoop(absl::MakeSpan(out), Deadline::After(absl::Seconds(1)), "fake",
                       [&](absl::Span<char> rest, const Deadline&) { return r.ReadSome(rest); });
}

TEST(ReadExactLoopTest, GathersShortReads) {
  FakeReader r{"abcdefgh", {1, 3, 4}};
  std::string out(8, '\0');
  ASSERT_TRUE(ReadExactFrom(r, out).ok());
  EXPECT_EQ(out, "abcdefgh");
  EXPECT_EQ(r.calls, 3u);
}

TEST(ReadExactLoopTest, EndBeforeAnyByteIsPeerClosed) {
  FakeReader r{"", {}};
  std::string out(4, '\0');
  absl::Status s = ReadExactFrom(r, out);
  EXPECT_EQ(ErrorClassOf(s), kErrPeerClosed) << s;
  EXPECT_TRUE(absl::StrContains(s.message(), "fake")) << s;
}

TEST(ReadExactLoopTest, EndAfterSomeBytesIsTruncated) {
  FakeReader r{"ab", {2}};
  std::string out(4, '\0');
  absl::Status s = ReadExactFrom(r, out);
  EXPECT_EQ(ErrorClassOf(s), kErrTruncated) << s;
  EXPECT_TRUE(absl::StrContains(s.message(), "after 2 of 4")) << s;
}

TEST(ReadExactLoopTest, FailureKeepsItsClassAndSaysWhatWasLost) {
  FakeReader first{"", {}, TimeoutError("fake: timed out")};
  std::string out(4, '\0');
  absl::Status s = ReadExactFrom(first, out);
  EXPECT_EQ(ErrorClassOf(s), kErrTimeout);
  EXPECT_EQ(s.message(), "fake: timed out");  // nothing read: nothing to add

  FakeReader later{"abc", {3}, TimeoutError("fake: timed out")};
  s = ReadExactFrom(later, out);
  EXPECT_EQ(ErrorClassOf(s), kErrTimeout);
  EXPECT_TRUE(absl::StrContains(s.message(), "after 3 of 4 bytes, which are lost")) << s;
}

TEST(ReadExactLoopTest, EmptyBufferReadsNothing) {
  FakeReader r{"abc", {3}};
  std::string out;
  EXPECT_TRUE(ReadExactFrom(r, out).ok());
  EXPECT_EQ(r.calls, 0u);
}

// A write-all that gets `accepted` bytes out, then fails with `error` if it
// could not take them all.
absl::Status FakeWriteAll(size_t accepted, absl::Status error, absl::string_view data,
                                     size_t* written) {
  *written = std::min(accepted, data.size());
  return *written == data.size() ? absl::OkStatus() : error;
}

TEST(WriteLoopsTest, WriteSomeOfACutShortWriteIsItsProgress) {
  const Deadline d = Deadline::After(absl::Seconds(1));
  auto cut = [](size_t n, absl::Status e) {
    return [n, e](absl::string_view data, const Deadline&, size_t* w) {
      return FakeWriteAll(n, e, data, w);
    };
  };
  absl::StatusOr<size_t> all = WriteSomeByWriteAll("hello", d, cut(9, absl::OkStatus()));
  ASSERT_TRUE(all.ok());
  EXPECT_EQ(*all, 5u);
  absl::StatusOr<size_t> part = WriteSomeByWriteAll("hello", d, cut(2, TimeoutError("t")));
  ASSERT_TRUE(part.ok()) << part.status();
  EXPECT_EQ(*part, 2u);
  // No progress before the deadline, or a closed reader: the error stands.
  EXPECT_EQ(ErrorClassOf(WriteSomeByWriteAll("hello", d, cut(0, TimeoutError("t"))).status()),
            kErrTimeout);
  EXPECT_EQ(ErrorClassOf(WriteSomeByWriteAll("hello", d, cut(2, PeerClosedError("p"))).status()),
            kErrPeerClosed);
}

TEST(WriteLoopsTest, WriteAllNotesHowFarItGot) {
  const Deadline d = Deadline::After(absl::Seconds(1));
  absl::Status s = WriteAllNoted("hello", d, [](absl::string_view data, const Deadline&, size_t* w) {
    return FakeWriteAll(3, TimeoutError("w: timed out"), data, w);
  });
  EXPECT_EQ(ErrorClassOf(s), kErrTimeout);
  EXPECT_EQ(s.message(), "w: timed out (after 3 of 5 bytes were written)");
  s = WriteAllNoted("hello", d, [](absl::string_view data, const Deadline&, size_t* w) {
    return FakeWriteAll(0, PeerClosedError("w: closed"), data, w);
  });
  EXPECT_EQ(s.message(), "w: closed");
  EXPECT_TRUE(WriteAllNoted("hello", d, [](absl::string_view data, const Deadline&, size_t* w) {
                return FakeWriteAll(5, absl::OkStatus(), data, w);
              }).ok());
}

}  // namespace
}  // namespace internal
}  // namespace platform
}  // namespace ipckit
