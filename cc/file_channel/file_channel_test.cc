// FileChannel across real processes (file_channel_peer), plus the on-disk
// edge cases: corrupt files, ipckit 0.1 writers, .channel_info, bad paths.
#include "cc/file_channel/file_channel.h"

#include <algorithm>
#include <csignal>
#include <filesystem>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "cc/base/error.h"
#include "cc/file_channel/channel_file.h"
#include "cc/file_channel/message.h"
#include "cc/file_channel/test_util.h"
#include "cc/platform/fs/file_ops.h"
#include "cc/platform/io/child_process.h"
#include "cc/platform/process/process.h"
#include "cc/platform/sync/wait_any.h"
#include "cc/platform/testing/file_plant.h"
#include "cc/platform/testing/forked_child.h"
#include "gtest/gtest.h"

namespace ipckit {
namespace {

using ::ipckit::testing::PeerProcess;
using ::ipckit::testing::ReadFileOrDie;
using ::ipckit::testing::RemoveTree;
using ::ipckit::testing::ScratchPath;
using ::ipckit::testing::WriteFileAtomically;
using ::ipckit::testing::WriteFileInPlace;

using ::ipckit::platform::ModeOf;

// The ".<file>.tmp-*" files in `dir`.
std::vector<std::string> TempFilesIn(const std::string& dir) {
  std::vector<std::string> out;
  for (const std::string& name : ListDirectory(dir).value_or(std::vector<std::string>{})) {
    if (absl::StrContains(name, ".tmp-")) out.push_back(name);
  }
  return out;
}

class FileChannelTest : public ::testing::Test {
 protected:
  void SetUp() override { dir_ = ScratchPath("ch"); }
  void TearDown() override { RemoveTree(dir_); }

  FileChannel Open(FileChannelSide side, FileChannelOptions options = {}) {
    auto ch = FileChannel::Open(dir_, side, options);
    EXPECT_TRUE(ch.ok()) << ch.status();
    return std::move(*ch);
  }

  std::string dir_;
};

// ---------------------------------------------------------------- opening

TEST_F(FileChannelTest, CreatesMissingDirectoriesAndChannelInfo) {
  std::string nested = dir_ + "/a/b/ipc_channel/";
  auto backend = FileChannel::Backend(nested);
  ASSERT_TRUE(backend.ok()) << backend.status();
  EXPECT_EQ(backend->dir(), dir_ + "/a/b/ipc_channel");
  std::string info = ReadFileOrDie(dir_ + "/a/b/ipc_channel/.channel_info");
  EXPECT_TRUE(absl::StartsWith(info, R"({"version":"1.0","protocol":"file-ipc","format_version":2,"created":)"))
      << info;
  auto frontend = FileChannel::Frontend(nested);
  ASSERT_TRUE(frontend.ok()) << frontend.status();
  EXPECT_EQ(ReadFileOrDie(dir_ + "/a/b/ipc_channel/.channel_info"), info);
  EXPECT_EQ(backend->outgoing_path(), dir_ + "/a/b/ipc_channel/backend_to_frontend.json");
  EXPECT_EQ(frontend->outgoing_path(), dir_ + "/a/b/ipc_channel/frontend_to_backend.json");
  EXPECT_NE(backend->sender_id(), frontend->sender_id());
}

TEST_F(FileChannelTest, CreatesBothChannelFilesAtOpen) {
  // ipckit 0.1 does, and 0.1 frontends fetch them before anything is sent.
  FileChannel backend = Open(FileChannelSide::kBackend);
  EXPECT_EQ(ReadFileOrDie(backend.incoming_path()), "[]\n");
  EXPECT_EQ(ReadFileOrDie(backend.outgoing_path()), "[]\n");
  // An existing file is kept as it is.
  ASSERT_TRUE(backend.SendEvent("e", "1").ok());
  const std::string sent = ReadFileOrDie(backend.outgoing_path());
  FileChannel frontend = Open(FileChannelSide::kFrontend);
  EXPECT_EQ(ReadFileOrDie(backend.outgoing_path()), sent);
  EXPECT_EQ(frontend.Recv()->size(), 1u);
}

TEST_F(FileChannelTest, CreatesPrivateDirectoriesAndFilesWhateverTheUmask) {
  {
    platform::ScopedUmask no_umask(0);
    auto backend = FileChannel::Backend(dir_ + "/a/ch");
    ASSERT_TRUE(backend.ok()) << backend.status();
    ASSERT_TRUE(backend->SendEvent("e", "1").ok());
  }
  for (const std::string& d : {dir_, dir_ + "/a", dir_ + "/a/ch"}) EXPECT_EQ(ModeOf(d), 0700u) << d;
  for (const char* f : {".channel_info", ".lock", "backend_to_frontend.json", "frontend_to_backend.json"}) {
    EXPECT_EQ(ModeOf(absl::StrCat(dir_, "/a/ch/", f)), 0600u) << f;
  }
}

TEST_F(FileChannelTest, SharedDirectoryNeedsTheOptIn) {
  ASSERT_TRUE(platform::MakeDirectory(dir_, 0700).ok());
  ASSERT_TRUE(platform::SetMode(dir_, 0770).ok());  // the group may write: plant or swap files
  auto refused = FileChannel::Backend(dir_);
  EXPECT_EQ(ErrorClassOf(refused.status()), "permission_denied") << refused.status();
  EXPECT_TRUE(absl::StrContains(refused.status().message(), "allow_shared_directory")) << refused.status();
  FileChannelOptions shared;
  shared.allow_shared_directory = true;
  auto accepted = FileChannel::Backend(dir_, shared);
  ASSERT_TRUE(accepted.ok()) << accepted.status();
  EXPECT_TRUE(accepted->SendEvent("e", "1").ok());
}

TEST_F(FileChannelTest, OtherUsersDirectoryAndFilesNeedTheOptIn) {
  if (platform::CurrentUserId() != 0) GTEST_SKIP() << "needs root to chown to another user";
  ASSERT_TRUE(platform::MakeDirectory(dir_, 0700).ok());
  ASSERT_TRUE(platform::ChownPath(dir_, 65534, 65534).ok());
  EXPECT_EQ(ErrorClassOf(FileChannel::Backend(dir_).status()), "permission_denied");
  ASSERT_TRUE(platform::ChownPath(dir_, 0, 0).ok());
  FileChannel backend = Open(FileChannelSide::kBackend);
  // Another user's file under a channel file's name: refused, unless shared.
  ASSERT_TRUE(WriteFileAtomically(backend.incoming_path(), "[]"));
  ASSERT_TRUE(platform::ChownPath(backend.incoming_path(), 65534, 65534).ok());
  EXPECT_EQ(ErrorClassOf(backend.Recv().status()), "permission_denied");
  FileChannelOptions shared;
  shared.allow_shared_directory = true;
  FileChannel shared_backend = Open(FileChannelSide::kBackend, shared);
  EXPECT_TRUE(shared_backend.Recv().ok());
}

TEST_F(FileChannelTest, SymlinkedChannelFileIsRefusedAndNeverRead) {
  FileChannel frontend = Open(FileChannelSide::kFrontend);
  // A private file elsewhere that happens to be a valid channel file.
  const std::string secret = dir_ + "_secret.json";
  ASSERT_TRUE(WriteFileInPlace(secret, R"([{"id":"s","timestamp":1,"type":"event","method":"secret","payload":1}])"));
  std::filesystem::remove(frontend.incoming_path());
  std::filesystem::create_symlink(secret, frontend.incoming_path());
  auto got = frontend.Recv();
  EXPECT_EQ(ErrorClassOf(got.status()), "permission_denied") << got.status();
  EXPECT_TRUE(absl::StrContains(got.status().message(), "symlink")) << got.status();
  // Nor read at open (skip_existing), nor written through.
  FileChannelOptions skip;
  skip.skip_existing = true;
  EXPECT_EQ(ErrorClassOf(FileChannel::Frontend(dir_, skip).status()), "permission_denied");
  FileChannel backend = Open(FileChannelSide::kBackend);
  EXPECT_EQ(ErrorClassOf(backend.SendEvent("e", "1").status()), "permission_denied");
  EXPECT_EQ(ReadFileOrDie(secret), R"([{"id":"s","timestamp":1,"type":"event","method":"secret","payload":1}])");
  std::filesystem::remove(secret);
}

TEST_F(FileChannelTest, FifoNamedLikeAChannelFileDoesNotBlock) {
  FileChannel frontend = Open(FileChannelSide::kFrontend);
  std::filesystem::remove(frontend.incoming_path());
  ASSERT_TRUE(platform::MakeFifo(frontend.incoming_path(), 0600).ok());
  absl::Time start = absl::Now();
  // A blocking open of a FIFO with no writer would never return; the test's
  // own timeout is the deadline, and this bounds it far tighter.
  auto got = frontend.RecvOne(absl::Seconds(1));
  EXPECT_EQ(ErrorClassOf(got.status()), "permission_denied") << got.status();
  EXPECT_TRUE(absl::StrContains(got.status().message(), "FIFO")) << got.status();
  EXPECT_LT(absl::Now() - start, absl::Milliseconds(900));
  FileChannel backend = Open(FileChannelSide::kBackend);
  EXPECT_EQ(ErrorClassOf(backend.SendEvent("e", "1", absl::Seconds(1)).status()), "permission_denied");
}

TEST_F(FileChannelTest, TempFileOfAWriterKilledMidWriteIsRemovedByTheNextWriter) {
  FileChannel backend = Open(FileChannelSide::kBackend);
  PeerProcess dying = PeerProcess::Start({"die-mid-write", dir_});
  ASSERT_TRUE(dying.started());
  ASSERT_EQ(dying.Wait(absl::Seconds(30)), 128 + SIGKILL);
  std::vector<std::string> temps = TempFilesIn(dir_);
  ASSERT_EQ(temps.size(), 1u) << "the killed writer left its temp file";
  EXPECT_EQ(ReadFileOrDie(backend.incoming_path()), "[]\n");  // its message never landed
  FileChannel frontend = Open(FileChannelSide::kFrontend);
  ASSERT_TRUE(frontend.SendEvent("after", "1").ok());
  EXPECT_TRUE(TempFilesIn(dir_).empty());
  auto got = backend.Recv();
  ASSERT_TRUE(got.ok()) << got.status();
  ASSERT_EQ(got->size(), 1u);
  EXPECT_EQ((*got)[0].method, "after");
}

TEST_F(FileChannelTest, BadDirectoryPaths) {
  EXPECT_EQ(ErrorClassOf(FileChannel::Backend("").status()), "invalid_argument");
  EXPECT_EQ(ErrorClassOf(FileChannel::Backend(std::string("a\0b", 3)).status()), "invalid_argument");
  ASSERT_TRUE(platform::MakeDirectory(dir_, 0755).ok());
  std::string file = dir_ + "/plain_file";
  ASSERT_TRUE(WriteFileInPlace(file, "x"));
  auto on_file = FileChannel::Backend(file);
  EXPECT_EQ(ErrorClassOf(on_file.status()), "invalid_argument");
  EXPECT_TRUE(absl::StrContains(on_file.status().message(), file)) << on_file.status();
  auto under_file = FileChannel::Frontend(file + "/sub");
  EXPECT_EQ(ErrorClassOf(under_file.status()), "invalid_argument");
  EXPECT_TRUE(absl::StrContains(under_file.status().message(), "not a directory")) << under_file.status();
}

TEST_F(FileChannelTest, ValidatesExistingChannelInfo) {
  ASSERT_TRUE(platform::MakeDirectory(dir_, 0755).ok());
  std::string info = dir_ + "/.channel_info";
  // ipckit 0.1 style with fields we do not know: accepted.
  ASSERT_TRUE(WriteFileInPlace(info, R"({"version": "1.0", "protocol": "file-ipc", "created": 1732500000000, "x": 1})"));
  EXPECT_TRUE(FileChannel::Backend(dir_).ok());
  // Raised to format 2 (keeping 0.1's "created"), so format-1 endpoints refuse it.
  EXPECT_EQ(ReadFileOrDie(info), R"({"version":"1.0","protocol":"file-ipc","format_version":2,"created":)"
                                 "1732500000000}\n")
      << "written: " << ReadFileOrDie(info);
  ASSERT_TRUE(WriteFileInPlace(info, R"({"version":"1.3","protocol":"file-ipc","format_version":1})"));
  EXPECT_TRUE(FileChannel::Backend(dir_).ok());
  EXPECT_TRUE(absl::StrContains(ReadFileOrDie(info), R"("format_version":2,)")) << ReadFileOrDie(info);
  ASSERT_TRUE(WriteFileInPlace(info, R"({"version":"2.0","protocol":"file-ipc"})"));
  auto v2 = FileChannel::Backend(dir_);
  EXPECT_EQ(ErrorClassOf(v2.status()), "unsupported_version");
  EXPECT_TRUE(absl::StrContains(v2.status().message(), info)) << v2.status();
  ASSERT_TRUE(WriteFileInPlace(info, R"({"version":"1.0","protocol":"other"})"));
  EXPECT_EQ(ErrorClassOf(FileChannel::Frontend(dir_).status()), "unsupported_version");
  ASSERT_TRUE(WriteFileInPlace(info, R"({"version":"1.0","protocol":"file-ipc","format_version":9})"));
  EXPECT_EQ(ErrorClassOf(FileChannel::Frontend(dir_).status()), "unsupported_version");
  ASSERT_TRUE(WriteFileInPlace(info, "{not json"));
  EXPECT_EQ(ErrorClassOf(FileChannel::Frontend(dir_).status()), "corrupt");
}

// ------------------------------------------------------- across processes

class CrossProcessTest : public FileChannelTest, public ::testing::WithParamInterface<bool> {
 protected:
  bool polling() const { return GetParam(); }
  FileChannelOptions Options() const {
    FileChannelOptions options;
    options.force_polling = polling();
    return options;
  }
  PeerProcess StartServer() {
    std::vector<std::string> args = {"serve", dir_};
    if (polling()) args.push_back("--polling");
    return PeerProcess::Start(args);
  }
};

TEST_P(CrossProcessTest, RequestResponseErrorAndEventsBothWays) {
  FileChannel frontend = Open(FileChannelSide::kFrontend, Options());
  PeerProcess backend = StartServer();
  ASSERT_TRUE(backend.started());

  auto echo_id = frontend.SendRequest("echo", R"({"key": "user_info", "n": [1, 2.5, null]})");
  ASSERT_TRUE(echo_id.ok()) << echo_id.status();
  auto echo = frontend.WaitResponse(*echo_id, absl::Seconds(10));
  ASSERT_TRUE(echo.ok()) << echo.status();
  EXPECT_EQ(echo->type, MessageType::kResponse);
  EXPECT_EQ(echo->reply_to, *echo_id);
  EXPECT_EQ(echo->payload_json, R"({"key":"user_info","n":[1,2.5,null]})");
  EXPECT_FALSE(echo->error.has_value());
  EXPECT_EQ(echo->seq, 1u);  // the backend's first message
  EXPECT_TRUE(echo->sender.has_value());
  EXPECT_NE(*echo->sender, frontend.sender_id());

  auto fail_id = frontend.SendRequest("fail", "\"why\"");
  ASSERT_TRUE(fail_id.ok());
  auto failed = frontend.WaitResponse(*fail_id, absl::Seconds(10));
  ASSERT_TRUE(failed.ok()) << failed.status();
  EXPECT_EQ(failed->error, "failed: \"why\"");
  EXPECT_EQ(failed->payload_json, "null");

  // Backend -> frontend event (answering "emit"), then frontend -> backend
  // event ("ping", answered by event "pong").
  auto emit_id = frontend.SendRequest("emit", "{\"tick\":1}");
  ASSERT_TRUE(emit_id.ok());
  ASSERT_TRUE(frontend.WaitResponse(*emit_id, absl::Seconds(10)).ok());
  auto tick = frontend.RecvOne(absl::Seconds(10));
  ASSERT_TRUE(tick.ok()) << tick.status();
  ASSERT_TRUE(tick->has_value());
  EXPECT_EQ((*tick)->type, MessageType::kEvent);
  EXPECT_EQ((*tick)->method, "tick");
  EXPECT_EQ((*tick)->payload_json, "{\"tick\":1}");

  ASSERT_TRUE(frontend.SendEvent("ping", "[\"hello\"]").ok());
  auto pong = frontend.RecvOne(absl::Seconds(10));
  ASSERT_TRUE(pong.ok()) << pong.status();
  ASSERT_TRUE(pong->has_value());
  EXPECT_EQ((*pong)->method, "pong");
  EXPECT_EQ((*pong)->payload_json, "[\"hello\"]");

  auto unknown = frontend.SendRequest("nope", "null");
  ASSERT_TRUE(unknown.ok());
  auto unknown_reply = frontend.WaitResponse(*unknown, absl::Seconds(10));
  ASSERT_TRUE(unknown_reply.ok());
  EXPECT_EQ(unknown_reply->error, "unknown method nope");

  auto quit = frontend.SendRequest("quit", "null");
  ASSERT_TRUE(quit.ok());
  ASSERT_TRUE(frontend.WaitResponse(*quit, absl::Seconds(10)).ok());
  EXPECT_EQ(backend.Wait(absl::Seconds(10)), 0);
  // Nothing was delivered twice or left over.
  auto rest = frontend.Recv();
  ASSERT_TRUE(rest.ok());
  EXPECT_TRUE(rest->empty());
}

TEST_P(CrossProcessTest, ResponsesToOtherRequestsAreKept) {
  FileChannel frontend = Open(FileChannelSide::kFrontend, Options());
  auto a = frontend.SendRequest("echo", "\"a\"");
  auto b = frontend.SendRequest("echo", "\"b\"");
  auto c = frontend.SendRequest("emit", "\"c\"");
  ASSERT_TRUE(a.ok() && b.ok() && c.ok());
  PeerProcess backend = StartServer();
  // The backend answers a, then b, then c's event and response. Waiting for c
  // first must keep a's and b's responses and the event.
  auto rc = frontend.WaitResponse(*c, absl::Seconds(10));
  ASSERT_TRUE(rc.ok()) << rc.status();
  auto rb = frontend.WaitResponse(*b, absl::ZeroDuration());  // already here: no waiting
  ASSERT_TRUE(rb.ok()) << rb.status();
  EXPECT_EQ(rb->payload_json, "\"b\"");
  auto ra = frontend.WaitResponse(*a, absl::ZeroDuration());
  ASSERT_TRUE(ra.ok()) << ra.status();
  EXPECT_EQ(ra->payload_json, "\"a\"");
  auto rest = frontend.Recv();
  ASSERT_TRUE(rest.ok());
  ASSERT_EQ(rest->size(), 1u);  // only the event is left; no response twice
  EXPECT_EQ((*rest)[0].method, "tick");
  EXPECT_EQ(frontend.WaitResponse(*a, absl::ZeroDuration()).status().code(), absl::StatusCode::kDeadlineExceeded);

  auto quit = frontend.SendRequest("quit", "null");
  ASSERT_TRUE(frontend.WaitResponse(*quit, absl::Seconds(10)).ok());
  EXPECT_EQ(backend.Wait(absl::Seconds(10)), 0);
}

TEST_P(CrossProcessTest, RoundTripLatency) {
  FileChannel frontend = Open(FileChannelSide::kFrontend, Options());
  PeerProcess backend = StartServer();
  const int kRounds = polling() ? 50 : 200;
  std::vector<absl::Duration> rtts;
  for (int i = 0; i < kRounds; ++i) {
    absl::Time t0 = absl::Now();
    auto id = frontend.SendRequest("echo", absl::StrCat(i));
    ASSERT_TRUE(id.ok()) << id.status();
    auto reply = frontend.WaitResponse(*id, absl::Seconds(10));
    ASSERT_TRUE(reply.ok()) << reply.status();
    ASSERT_EQ(reply->payload_json, absl::StrCat(i));
    rtts.push_back(absl::Now() - t0);
  }
  std::sort(rtts.begin(), rtts.end());
  absl::Duration median = rtts[rtts.size() / 2];
  std::printf("round trip over %d requests (%s): median %s, p90 %s, max %s (first includes backend start)\n",
              kRounds, polling() ? "polling" : "inotify", absl::FormatDuration(median).c_str(),
              absl::FormatDuration(rtts[rtts.size() * 9 / 10]).c_str(), absl::FormatDuration(rtts.back()).c_str());
  EXPECT_LT(median, absl::Seconds(1));
  auto quit = frontend.SendRequest("quit", "null");
  ASSERT_TRUE(frontend.WaitResponse(*quit, absl::Seconds(10)).ok());
  EXPECT_EQ(backend.Wait(absl::Seconds(10)), 0);
}

TEST_P(CrossProcessTest, WakesOnInPlaceWriteByAnotherProcess) {
  FileChannel backend = Open(FileChannelSide::kBackend, Options());
  ASSERT_TRUE(backend.Recv().ok());
  // A non-ipckit process rewrites the file in place after 150 ms.
  std::string path = backend.incoming_path();
  std::string script = absl::StrCat(
      "sleep 0.15; printf '%s' '[{\"id\":\"x1\",\"timestamp\":1,\"type\":\"event\",\"method\":\"m\",\"payload\":1}]' > '",
      path, "'");
  // Timed from before the spawn: the write comes at least 150 ms after it,
  // however the scheduler delays this process.
  absl::Time start = absl::Now();
  absl::StatusOr<pid_t> pid = SpawnChild("/bin/sh", {"-c", script});
  ASSERT_TRUE(pid.ok()) << pid.status();
  auto m = backend.RecvOne(absl::Seconds(10));
  absl::Duration waited = absl::Now() - start;
  absl::StatusOr<int> status = WaitChild(*pid, absl::Seconds(30));
  EXPECT_TRUE(status.ok()) << status.status();
  ASSERT_TRUE(m.ok()) << m.status();
  ASSERT_TRUE(m->has_value());
  EXPECT_EQ((*m)->id, "x1");
  EXPECT_GE(waited, absl::Milliseconds(100));
  EXPECT_LT(waited, absl::Seconds(5));
}

INSTANTIATE_TEST_SUITE_P(InotifyAndPolling, CrossProcessTest, ::testing::Values(false, true),
                         [](const auto& info) { return info.param ? "Polling" : "Inotify"; });

// -------------------------------------------------------------- timeouts

TEST_F(FileChannelTest, WaitResponseTimesOut) {
  FileChannel frontend = Open(FileChannelSide::kFrontend);
  auto id = frontend.SendRequest("nobody_answers", "{}");
  ASSERT_TRUE(id.ok());
  absl::Time start = absl::Now();
  auto reply = frontend.WaitResponse(*id, absl::Milliseconds(200));
  absl::Duration elapsed = absl::Now() - start;
  ASSERT_FALSE(reply.ok());
  EXPECT_EQ(ErrorClassOf(reply.status()), "timeout");
  EXPECT_TRUE(absl::StrContains(reply.status().message(), *id)) << reply.status();
  EXPECT_GE(elapsed, absl::Milliseconds(195));
  EXPECT_LT(elapsed, absl::Seconds(2));

  start = absl::Now();
  EXPECT_EQ(ErrorClassOf(frontend.WaitForMessages(absl::Milliseconds(100))), "timeout");
  EXPECT_GE(absl::Now() - start, absl::Milliseconds(95));
  auto none = frontend.RecvOne(absl::Milliseconds(50));
  ASSERT_TRUE(none.ok());
  EXPECT_FALSE(none->has_value());
}

// --------------------------------------------------- corrupt and foreign

TEST_F(FileChannelTest, CorruptIncomingFileIsReportedAndNothingValidIsLost) {
  FileChannel frontend = Open(FileChannelSide::kFrontend);
  FileChannel backend = Open(FileChannelSide::kBackend);
  ASSERT_TRUE(frontend.SendEvent("one", "1").ok());
  ASSERT_TRUE(frontend.SendEvent("two", "2").ok());
  const std::string path = backend.incoming_path();
  const std::string complete = ReadFileOrDie(path);

  // A foreign writer left it half-written.
  ASSERT_TRUE(WriteFileInPlace(path, complete.substr(0, complete.size() - 30)));
  auto half = backend.Recv();
  ASSERT_FALSE(half.ok());
  EXPECT_EQ(ErrorClassOf(half.status()), "corrupt");
  EXPECT_TRUE(absl::StrContains(half.status().message(), path)) << half.status();
  EXPECT_TRUE(absl::StrContains(half.status().message(), "byte")) << half.status();
  // Our writer refuses to build on it rather than discard what is there.
  auto refused = frontend.SendEvent("three", "3");
  EXPECT_EQ(ErrorClassOf(refused.status()), "corrupt");
  EXPECT_EQ(ReadFileOrDie(path), complete.substr(0, complete.size() - 30));

  for (const char* bad : {"garbage!", "{\"not\":\"an array\"}",
                          "[{\"id\":\"x\",\"timestamp\":1,\"type\":42,\"payload\":null}]"}) {
    ASSERT_TRUE(WriteFileInPlace(path, bad));
    EXPECT_EQ(ErrorClassOf(backend.Recv().status()), "corrupt") << bad;
    EXPECT_EQ(ErrorClassOf(backend.WaitForMessages(absl::Milliseconds(10))), "corrupt") << bad;
  }

  // Once the file is whole again every message is delivered, once.
  ASSERT_TRUE(WriteFileAtomically(path, complete));
  auto all = backend.Recv();
  ASSERT_TRUE(all.ok()) << all.status();
  ASSERT_EQ(all->size(), 2u);
  EXPECT_EQ((*all)[0].method, "one");
  EXPECT_EQ((*all)[1].method, "two");
  ASSERT_TRUE(frontend.SendEvent("three", "3").ok());
  auto third = backend.Recv();
  ASSERT_TRUE(third.ok());
  ASSERT_EQ(third->size(), 1u);
  EXPECT_EQ((*third)[0].method, "three");
}

TEST_F(FileChannelTest, Ipckit01WriterMessagesAreDeliveredOnce) {
  FileChannel backend = Open(FileChannelSide::kBackend);
  const std::string path = backend.incoming_path();
  // ipckit 0.1 style: pretty-printed, no seq/sender, nulls for absent fields,
  // and several messages within one millisecond.
  auto msg = [](const char* id, const char* method) {
    return absl::StrCat("  {\n    \"id\": \"", id, "\",\n    \"timestamp\": 1732500000000,\n",
                        "    \"type\": \"request\",\n    \"method\": \"", method, "\",\n",
                        "    \"reply_to\": null,\n    \"payload\": {\"k\": 1},\n    \"error\": null\n  }");
  };
  std::string v1 = absl::StrCat("[\n", msg("m1", "a"), ",\n", msg("m2", "b"), ",\n", msg("m3", "c"), "\n]");
  ASSERT_TRUE(WriteFileAtomically(path, v1));
  auto first = backend.Recv();
  ASSERT_TRUE(first.ok()) << first.status();
  ASSERT_EQ(first->size(), 3u);
  EXPECT_FALSE((*first)[0].reply_to.has_value());
  EXPECT_FALSE((*first)[0].seq.has_value());
  EXPECT_EQ((*first)[2].payload_json, "{\"k\":1}");

  std::string v2 = absl::StrCat("[\n", msg("m1", "a"), ",\n", msg("m2", "b"), ",\n", msg("m3", "c"), ",\n",
                                msg("m4", "d"), ",\n", msg("m5", "e"), "\n]");
  ASSERT_TRUE(WriteFileAtomically(path, v2));
  auto second = backend.Recv();
  ASSERT_TRUE(second.ok());
  ASSERT_EQ(second->size(), 2u);
  EXPECT_EQ((*second)[0].id, "m4");
  EXPECT_EQ((*second)[1].id, "m5");

  // Our frontend appending to the foreign file keeps the foreign bytes.
  FileChannel frontend = Open(FileChannelSide::kFrontend);
  ASSERT_TRUE(frontend.SendEvent("ours", "true").ok());
  std::string after = ReadFileOrDie(path);
  EXPECT_TRUE(absl::StrContains(after, msg("m5", "e").substr(2))) << after;
  auto third = backend.Recv();
  ASSERT_TRUE(third.ok());
  ASSERT_EQ(third->size(), 1u);
  EXPECT_EQ((*third)[0].method, "ours");
}

// ------------------------------------------------------ retention, clear

TEST_F(FileChannelTest, PrunedBeforeReadIsReportedAsDataLossOnce) {
  FileChannelOptions tight;
  tight.retention.max_messages = 5;
  tight.retention.min_age = absl::ZeroDuration();
  FileChannel frontend = Open(FileChannelSide::kFrontend, tight);
  FileChannel backend = Open(FileChannelSide::kBackend);
  for (int i = 0; i < 3; ++i) ASSERT_TRUE(frontend.SendEvent("e", absl::StrCat(i)).ok());
  ASSERT_EQ(backend.Recv()->size(), 3u);
  for (int i = 3; i < 13; ++i) ASSERT_TRUE(frontend.SendEvent("e", absl::StrCat(i)).ok());
  auto lost = backend.Recv();
  ASSERT_FALSE(lost.ok());
  EXPECT_EQ(ErrorClassOf(lost.status()), "data_loss");
  EXPECT_TRUE(absl::StrContains(lost.status().message(), "seq 4..8")) << lost.status();
  auto rest = backend.Recv();
  ASSERT_TRUE(rest.ok()) << rest.status();
  ASSERT_EQ(rest->size(), 5u);
  EXPECT_EQ((*rest)[0].payload_json, "8");
  EXPECT_EQ((*rest)[4].payload_json, "12");
}

TEST_F(FileChannelTest, CountBoundsABurstAndASlowReaderIsToldOfTheLoss) {
  FileChannelOptions small;
  small.retention.max_messages = 10;  // young messages too (format 2)
  FileChannel frontend = Open(FileChannelSide::kFrontend, small);
  FileChannel backend = Open(FileChannelSide::kBackend);
  for (int i = 0; i < 5; ++i) ASSERT_TRUE(frontend.SendEvent("e", absl::StrCat(i)).ok());
  ASSERT_EQ(backend.Recv()->size(), 5u);
  for (int i = 5; i < 35; ++i) ASSERT_TRUE(frontend.SendEvent("e", absl::StrCat(i)).ok());
  auto in_file = ParseChannelFile(ReadFileOrDie(frontend.outgoing_path()));
  ASSERT_TRUE(in_file.ok()) << in_file.status();
  EXPECT_EQ(in_file->size(), 10u);
  auto lost = backend.Recv();
  ASSERT_FALSE(lost.ok());
  EXPECT_EQ(ErrorClassOf(lost.status()), "data_loss");
  EXPECT_TRUE(absl::StrContains(lost.status().message(), "seq 6..25")) << lost.status();
  auto rest = backend.Recv();
  ASSERT_TRUE(rest.ok()) << rest.status();
  ASSERT_EQ(rest->size(), 10u);
  EXPECT_EQ(rest->front().payload_json, "25");
}

TEST_F(FileChannelTest, ClearEmptiesBothFilesAsIpckit01Does) {
  FileChannel frontend = Open(FileChannelSide::kFrontend);
  FileChannel backend = Open(FileChannelSide::kBackend);
  for (int i = 0; i < 3; ++i) ASSERT_TRUE(frontend.SendEvent("old", "null").ok());
  ASSERT_TRUE(backend.SendEvent("old_reply", "null").ok());
  ASSERT_TRUE(backend.WaitForMessages(absl::Seconds(1)).ok());  // some now queued in memory
  ASSERT_TRUE(backend.Clear(absl::Seconds(5)).ok());
  EXPECT_EQ(ReadFileOrDie(backend.incoming_path()), "[]\n");
  EXPECT_EQ(ReadFileOrDie(backend.outgoing_path()), "[]\n");
  EXPECT_TRUE(backend.Recv()->empty());
  EXPECT_TRUE(frontend.Recv()->empty());  // its unread message went with the file
  ASSERT_TRUE(frontend.SendEvent("new", "null").ok());
  ASSERT_TRUE(backend.SendEvent("new_reply", "null").ok());
  auto fresh = backend.Recv();
  ASSERT_TRUE(fresh.ok()) << fresh.status();
  ASSERT_EQ(fresh->size(), 1u);
  EXPECT_EQ((*fresh)[0].method, "new");
  auto reply = frontend.Recv();
  ASSERT_TRUE(reply.ok()) << reply.status();  // no data_loss report for what clear() removed
  ASSERT_EQ(reply->size(), 1u);
  EXPECT_EQ((*reply)[0].method, "new_reply");
}

TEST_F(FileChannelTest, ClearWaitsForTheLockUntilItsTimeout) {
  FileChannel backend = Open(FileChannelSide::kBackend);
  ASSERT_TRUE(backend.SendEvent("kept", "null").ok());
  auto held = ChannelLock::Acquire(dir_, Deadline::Never());
  ASSERT_TRUE(held.ok());
  EXPECT_EQ(ErrorClassOf(backend.Clear(absl::Milliseconds(50))), "timeout");
  EXPECT_NE(ReadFileOrDie(backend.outgoing_path()), "[]\n");
}

TEST_F(FileChannelTest, InjectedClockStampsMessagesOfOneMillisecond) {
  FileChannelOptions options;
  options.clock = [] { return uint64_t{1700000000123}; };
  FileChannel frontend = Open(FileChannelSide::kFrontend, options);
  ASSERT_TRUE(frontend.SendEvent("a", "0").ok());
  ASSERT_TRUE(frontend.SendEvent("a", "1").ok());
  FileChannel backend = Open(FileChannelSide::kBackend);
  auto got = backend.Recv();
  ASSERT_TRUE(got.ok()) << got.status();
  ASSERT_EQ(got->size(), 2u);
  EXPECT_EQ((*got)[0].timestamp_ms, 1700000000123u);
  EXPECT_EQ((*got)[1].timestamp_ms, 1700000000123u);
  EXPECT_NE((*got)[0].id, (*got)[1].id);
}

TEST_F(FileChannelTest, SendRejectsInvalidPayload) {
  FileChannel frontend = Open(FileChannelSide::kFrontend);
  EXPECT_EQ(ErrorClassOf(frontend.SendEvent("e", "{bad").status()), "invalid_argument");
  EXPECT_EQ(ErrorClassOf(frontend.SendRequest("m", "NaN").status()), "invalid_argument");
  EXPECT_EQ(ErrorClassOf(frontend.SendResponse("", "1").status()), "invalid_argument");
  // Failed sends use no seq: the next message is seq 1.
  ASSERT_TRUE(frontend.SendEvent("e", "1").ok());
  FileChannel backend = Open(FileChannelSide::kBackend);
  auto got = backend.Recv();
  ASSERT_TRUE(got.ok());
  ASSERT_EQ(got->size(), 1u);
  EXPECT_EQ((*got)[0].seq, 1u);
}

// What an event loop (ipckit.aio) relies on: a descriptor that turns readable
// when the incoming file changes, and a non-blocking way to consume that.
TEST_F(FileChannelTest, ChangeFdWakesAnEventLoop) {
  FileChannel backend = Open(FileChannelSide::kBackend);
  FileChannel frontend = Open(FileChannelSide::kFrontend);
  absl::StatusOr<int> fd = backend.ChangeFd();
  ASSERT_TRUE(fd.ok()) << fd.status();
  ASSERT_GE(*fd, 0) << "no inotify here";
  absl::StatusOr<bool> changed = backend.TakeChange();
  ASSERT_TRUE(changed.ok()) << changed.status();
  EXPECT_FALSE(*changed);
  const int fds[] = {*fd};
  EXPECT_FALSE(platform::ReadableNow(fds)[0]);
  // Our own sends go to the other file: no change of ours is reported.
  ASSERT_TRUE(backend.SendEvent("mine", "1").ok());
  changed = backend.TakeChange();
  ASSERT_TRUE(changed.ok());
  EXPECT_FALSE(*changed);

  ASSERT_TRUE(frontend.SendEvent("tick", "2").ok());
  ASSERT_TRUE(platform::WaitAny({}, fds, absl::Seconds(10)).ok());
  EXPECT_TRUE(platform::ReadableNow(fds)[0]);
  changed = backend.TakeChange();
  ASSERT_TRUE(changed.ok());
  EXPECT_TRUE(*changed);
  EXPECT_FALSE(platform::ReadableNow(fds)[0]);  // consumed
  absl::StatusOr<std::optional<FileMessage>> got = backend.RecvOne(absl::ZeroDuration());
  ASSERT_TRUE(got.ok() && got->has_value()) << got.status();
  EXPECT_EQ((*got)->method, "tick");
  EXPECT_EQ(*backend.ChangeFd(), *fd);  // the same watch throughout
}

// ------------------------------------------------- format 2 (named readers, claims)
// Frontends run as separate processes (file_channel_peer handle / burst);
// the backend is this process.

// Waits for the "ready" event of a handle peer (sent once it is open).
void AwaitReady(FileChannel& backend, absl::string_view name) {
  auto m = backend.RecvOne(absl::Seconds(20));
  ASSERT_TRUE(m.ok()) << m.status();
  ASSERT_TRUE(m->has_value()) << "no ready event from " << name;
  EXPECT_EQ((*m)->method, "ready");
  EXPECT_EQ((*m)->payload_json, absl::StrCat("\"", name, "\""));
}

// request id -> number of responses to it in the frontends' file.
std::map<std::string, int> ResponsesInFile(const std::string& dir) {
  auto messages = ParseChannelFile(ReadFileOrDie(absl::StrCat(dir, "/frontend_to_backend.json")));
  EXPECT_TRUE(messages.ok()) << messages.status();
  std::map<std::string, int> count;
  if (messages.ok()) {
    for (const FileMessage& m : *messages) {
      if (m.type == MessageType::kResponse && m.reply_to) ++count[*m.reply_to];
    }
  }
  return count;
}

std::vector<std::string> SendWork(FileChannel& backend, int from, int to) {
  std::vector<std::string> ids;
  for (int i = from; i < to; ++i) {
    auto id = backend.SendRequest("work", absl::StrCat(i));
    EXPECT_TRUE(id.ok()) << id.status();
    ids.push_back(id.ok() ? *id : "");
  }
  return ids;
}

TEST_F(FileChannelTest, TwoFrontendProcessesHandleEachRequestOnce) {
  FileChannel backend = Open(FileChannelSide::kBackend);
  PeerProcess tab1 = PeerProcess::Start({"handle", dir_, "--reader=tab1"});
  PeerProcess tab2 = PeerProcess::Start({"handle", dir_, "--reader=tab2"});
  ASSERT_TRUE(tab1.started() && tab2.started());
  std::vector<std::string> seen_ready;
  for (int i = 0; i < 2; ++i) {
    auto m = backend.RecvOne(absl::Seconds(20));
    ASSERT_TRUE(m.ok() && m->has_value()) << "a frontend did not start";
    seen_ready.push_back((*m)->payload_json);
  }
  std::vector<std::string> ids = SendWork(backend, 0, 40);
  for (const std::string& id : ids) {
    auto r = backend.WaitResponse(id, absl::Seconds(20));
    ASSERT_TRUE(r.ok()) << r.status();
  }
  ASSERT_TRUE(backend.SendEvent("quit", "null").ok());
  EXPECT_EQ(tab1.Wait(absl::Seconds(20)), 0);
  EXPECT_EQ(tab2.Wait(absl::Seconds(20)), 0);
  // Both frontends have exited: every request was answered exactly once.
  std::map<std::string, int> responses = ResponsesInFile(dir_);
  for (const std::string& id : ids) EXPECT_EQ(responses[id], 1) << id;
  EXPECT_TRUE(backend.Recv()->empty()) << "a request was answered twice";
}

TEST_F(FileChannelTest, KilledFrontendRestartsWithoutRerunOrLoss) {
  FileChannel backend = Open(FileChannelSide::kBackend);
  std::vector<std::string> ids;
  {
    PeerProcess first = PeerProcess::Start({"handle", dir_, "--reader=main"});
    AwaitReady(backend, "main");
    for (const std::string& id : SendWork(backend, 0, 5)) {
      ASSERT_TRUE(backend.WaitResponse(id, absl::Seconds(20)).ok());
      ids.push_back(id);
    }
    EXPECT_EQ(first.Wait(absl::ZeroDuration()), -1);  // still waiting for more: SIGKILLed now
  }
  // Sent while no frontend runs: the restarted one must get these, and only these.
  std::vector<std::string> later = SendWork(backend, 5, 10);
  PeerProcess second = PeerProcess::Start({"handle", dir_, "--reader=main"});
  AwaitReady(backend, "main");
  for (const std::string& id : later) {
    auto r = backend.WaitResponse(id, absl::Seconds(20));
    ASSERT_TRUE(r.ok()) << r.status();
    ids.push_back(id);
  }
  ASSERT_TRUE(backend.SendEvent("quit", "null").ok());
  EXPECT_EQ(second.Wait(absl::Seconds(20)), 0);
  std::map<std::string, int> responses = ResponsesInFile(dir_);
  for (const std::string& id : ids) EXPECT_EQ(responses[id], 1) << id;
  EXPECT_TRUE(backend.Recv()->empty()) << "a request was handled again after the restart";
}

TEST_F(FileChannelTest, SecondInstanceOfANameIsRefused) {
  FileChannelOptions named;
  named.reader_name = "main";
  FileChannel first = Open(FileChannelSide::kFrontend, named);
  auto second = FileChannel::Frontend(dir_, named);
  ASSERT_FALSE(second.ok());
  EXPECT_EQ(ErrorClassOf(second.status()), kErrInUse);
  EXPECT_TRUE(absl::StrContains(second.status().message(), "its own reader name")) << second.status();
  named.reader_name = "a.b";
  EXPECT_EQ(ErrorClassOf(FileChannel::Frontend(dir_, named).status()), kErrInvalidArgument);
}

TEST_F(FileChannelTest, NewNamedReaderStartingNowLosesNothingSentAfterItOpened) {
  FileChannel backend = Open(FileChannelSide::kBackend);
  ASSERT_TRUE(backend.SendEvent("old", "1").ok());
  FileChannelOptions now;
  now.reader_name = "late";
  now.skip_existing = true;
  {
    FileChannel frontend = Open(FileChannelSide::kFrontend, now);
    ASSERT_TRUE(backend.SendEvent("new", "2").ok());
    // Closed before reading: its cursor was registered at open.
  }
  ASSERT_TRUE(backend.SendEvent("newer", "3").ok());
  FileChannel resumed = Open(FileChannelSide::kFrontend, now);
  auto got = resumed.Recv();
  ASSERT_TRUE(got.ok()) << got.status();
  ASSERT_EQ(got->size(), 2u);
  EXPECT_EQ((*got)[0].method, "new");
  EXPECT_EQ((*got)[1].method, "newer");
}

TEST_F(FileChannelTest, AcknowledgedMessagesArePrunedAndAnonymousReadersGetTheGrace) {
  FileChannelOptions writer;
  writer.retention.ack_grace = absl::Hours(1);
  FileChannel backend = Open(FileChannelSide::kBackend, writer);
  FileChannelOptions named;
  named.reader_name = "main";
  FileChannel main = Open(FileChannelSide::kFrontend, named);
  FileChannelOptions anonymous;  // what an ipckit 0.1 reader is: no cursor
  FileChannel other = Open(FileChannelSide::kFrontend, anonymous);
  for (int i = 0; i < 5; ++i) ASSERT_TRUE(backend.SendEvent("e", absl::StrCat(i)).ok());
  ASSERT_EQ(main.Recv()->size(), 5u);  // acknowledged: the cursor file says pos 5
  ASSERT_TRUE(backend.SendEvent("e", "5").ok());
  // Within the grace nothing acknowledged is dropped: the anonymous reader gets all.
  EXPECT_EQ(other.Recv()->size(), 6u);
  EXPECT_EQ(ParseChannelFile(ReadFileOrDie(backend.outgoing_path()))->size(), 6u);

  // Past the grace (zero here) the next write drops what every named reader took.
  ASSERT_EQ(main.Recv()->size(), 1u);
  FileChannelOptions no_grace;
  no_grace.retention.ack_grace = absl::ZeroDuration();
  FileChannel pruning_backend = Open(FileChannelSide::kBackend, no_grace);
  ASSERT_TRUE(pruning_backend.SendEvent("e", "6").ok());
  auto left = ParseChannelFile(ReadFileOrDie(backend.outgoing_path()));
  ASSERT_TRUE(left.ok());
  ASSERT_EQ(left->size(), 1u);
  EXPECT_EQ((*left)[0].pos, 7u);
  EXPECT_EQ(main.Recv()->size(), 1u);
  EXPECT_EQ(other.Recv()->size(), 1u);
}

TEST_F(FileChannelTest, FileStaysBoundedAfterABurst) {
  // The count bound scaled down 10x from the default 1000: the same rule, at
  // a hundredth of the rewriting (3000 writes of a 1000-message file took a
  // minute under TSan).
  constexpr int kBound = 100;
  const std::string bound_flag = absl::StrCat("--max-messages=", kBound);
  FileChannelOptions named;
  named.reader_name = "backend";
  named.retention.ack_grace = absl::ZeroDuration();
  named.retention.max_messages = kBound;
  FileChannel backend = Open(FileChannelSide::kBackend, named);
  // 3x the bound in events from another process, faster than anyone reads.
  PeerProcess burst = PeerProcess::Start({"burst", dir_, "1", absl::StrCat(3 * kBound), bound_flag});
  ASSERT_EQ(burst.Wait(absl::Seconds(120)), 0);
  const std::string path = backend.incoming_path();
  const std::string after_burst = ReadFileOrDie(path);
  EXPECT_EQ(ParseChannelFile(after_burst)->size(), size_t{kBound});  // the count bound
  // The backend fell 2x the bound behind: told once, then it gets what is there.
  auto lost = backend.Recv();
  ASSERT_FALSE(lost.ok());
  EXPECT_EQ(ErrorClassOf(lost.status()), kErrDataLoss);
  EXPECT_TRUE(absl::StrContains(lost.status().message(), absl::StrCat("pos 1..", 2 * kBound))) << lost.status();
  EXPECT_EQ(backend.Recv()->size(), size_t{kBound});
  // Everything is acknowledged: the next write leaves only itself.
  PeerProcess one = PeerProcess::Start({"burst", dir_, "2", "1", "--ack-grace-ms=0", bound_flag});
  ASSERT_EQ(one.Wait(absl::Seconds(20)), 0);
  const std::string after_ack = ReadFileOrDie(path);
  EXPECT_EQ(ParseChannelFile(after_ack)->size(), 1u);
  std::printf("after a %d-message burst: %zu bytes; after the backend acknowledged: %zu bytes\n", 3 * kBound,
              after_burst.size(), after_ack.size());
}

}  // namespace
}  // namespace ipckit
