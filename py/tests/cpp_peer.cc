// The C++ side of the Python <-> C++ interop tests (py/tests/test_cpp_interop.py).
//
//   cpp_peer named-pipe-server NAME          create; print "ready"; one client: reply "cpp:"+data
//   cpp_peer named-pipe-client NAME MSG      connect; write MSG; print the reply
//   cpp_peer channel-server NAME             create; print "ready"; echo "cpp:"+msg until closed
//   cpp_peer channel-client NAME MSG...      connect; per MSG: send, print the reply
//   cpp_peer shm-create NAME SIZE TEXT       create; write TEXT at 0; print "ready"; then
//                                            per stdin line "OFFSET LEN": print those bytes
//                                            as hex; exit (owner removes the name) at EOF
//   cpp_peer shm-read NAME OFFSET LEN        open; print the bytes as hex
//   cpp_peer shm-write NAME OFFSET TEXT      open; write TEXT at OFFSET
//   cpp_peer file-serve DIR COUNT            frontend; answer COUNT requests: method "fail"
//                                            gets send_error, others {"method":..,"params":..}
//   cpp_peer file-call DIR METHOD JSON       backend; request; print the response's payload
//                                            (or "error: <text>")
//   cpp_peer pipe-write FD TEXT              wrap inherited write end FD; write TEXT
//   cpp_peer json-canon                      per stdin line: Dumps(Loads(line)), or
//                                            "error: <class>"
//   cpp_peer json-pretty                     DumpsPretty(Loads(all of stdin))
//
// Exit codes: 0 ok, 2 bad usage, 3 an ipckit call failed (reason on stderr).
#include <cstdio>
#include <iostream>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/escaping.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/time/time.h"
#include "absl/types/span.h"
#include "cc/base/error.h"
#include "cc/channel/ipc_channel.h"
#include "cc/file_channel/file_channel.h"
#include "cc/file_channel/message.h"
#include "cc/json/json.h"
#include "cc/named_pipe/named_pipe.h"
#include "cc/pipe/anonymous_pipe.h"
#include "cc/shm/shared_memory.h"

namespace {

constexpr absl::Duration kPatience = absl::Seconds(20);

int Fail(const absl::Status& s) {
  std::fprintf(stderr, "cpp_peer: %s [%s]\n", s.ToString().c_str(),
               ipckit::ErrorClassOf(s).c_str());
  return 3;
}

void PrintLine(const std::string& line) {
  std::cout << line << "\n" << std::flush;
}

bool ToSize(const char* text, size_t* out) { return absl::SimpleAtoi(text, out); }

int NamedPipeServer(const std::string& name) {
  absl::StatusOr<ipckit::NamedPipe> server = ipckit::NamedPipe::Create(name);
  if (!server.ok()) return Fail(server.status());
  PrintLine("ready");
  if (absl::Status s = server->WaitForClient(kPatience); !s.ok()) return Fail(s);
  char buf[1024];
  absl::StatusOr<size_t> n = server->Read(absl::MakeSpan(buf), kPatience);
  if (!n.ok()) return Fail(n.status());
  const std::string reply = absl::StrCat("cpp:", absl::string_view(buf, *n));
  if (absl::Status s = server->WriteAll(reply, kPatience); !s.ok()) return Fail(s);
  // Wait for the client to hang up so the reply is not cut off by our exit.
  n = server->Read(absl::MakeSpan(buf), kPatience);
  return n.ok() ? 0 : Fail(n.status());
}

int NamedPipeClient(const std::string& name, const std::string& message) {
  absl::StatusOr<ipckit::NamedPipe> client = ipckit::NamedPipe::Connect(name, kPatience);
  if (!client.ok()) return Fail(client.status());
  if (absl::Status s = client->WriteAll(message, kPatience); !s.ok()) return Fail(s);
  char buf[1024];
  absl::StatusOr<size_t> n = client->Read(absl::MakeSpan(buf), kPatience);
  if (!n.ok()) return Fail(n.status());
  PrintLine(std::string(buf, *n));
  return 0;
}

int ChannelServer(const std::string& name) {
  absl::StatusOr<ipckit::IpcChannel> server = ipckit::IpcChannel::Create(name);
  if (!server.ok()) return Fail(server.status());
  PrintLine("ready");
  if (absl::Status s = server->WaitForClient(kPatience); !s.ok()) return Fail(s);
  for (;;) {
    absl::StatusOr<std::string> message = server->Recv(kPatience);
    if (!message.ok()) {
      return ipckit::ErrorClassOf(message.status()) == ipckit::kErrPeerClosed
                 ? 0
                 : Fail(message.status());
    }
    if (absl::Status s = server->Send(absl::StrCat("cpp:", *message), kPatience); !s.ok()) {
      return Fail(s);
    }
  }
}

int ChannelClient(const std::string& name, absl::Span<char* const> messages) {
  absl::StatusOr<ipckit::IpcChannel> client = ipckit::IpcChannel::Connect(name, kPatience);
  if (!client.ok()) return Fail(client.status());
  for (const char* message : messages) {
    if (absl::Status s = client->Send(message, kPatience); !s.ok()) return Fail(s);
    absl::StatusOr<std::string> reply = client->Recv(kPatience);
    if (!reply.ok()) return Fail(reply.status());
    PrintLine(*reply);
  }
  return 0;
}

int ShmCreate(const std::string& name, size_t size, const std::string& text) {
  absl::StatusOr<ipckit::SharedMemory> shm = ipckit::SharedMemory::Create(name, size);
  if (!shm.ok()) return Fail(shm.status());
  if (absl::Status s = shm->Write(0, text); !s.ok()) return Fail(s);
  PrintLine("ready");
  std::string line;
  while (std::getline(std::cin, line)) {
    size_t offset = 0;
    size_t len = 0;
    const size_t space = line.find(' ');
    if (space == std::string::npos || !absl::SimpleAtoi(line.substr(0, space), &offset) ||
        !absl::SimpleAtoi(line.substr(space + 1), &len)) {
      return 2;
    }
    absl::StatusOr<std::string> bytes = shm->Read(offset, len);
    if (!bytes.ok()) return Fail(bytes.status());
    PrintLine(absl::BytesToHexString(*bytes));
  }
  return 0;
}

int ShmRead(const std::string& name, size_t offset, size_t len) {
  absl::StatusOr<ipckit::SharedMemory> shm = ipckit::SharedMemory::Open(name);
  if (!shm.ok()) return Fail(shm.status());
  absl::StatusOr<std::string> bytes = shm->Read(offset, len);
  if (!bytes.ok()) return Fail(bytes.status());
  PrintLine(absl::BytesToHexString(*bytes));
  return 0;
}

int ShmWrite(const std::string& name, size_t offset, const std::string& text) {
  absl::StatusOr<ipckit::SharedMemory> shm = ipckit::SharedMemory::Open(name);
  if (!shm.ok()) return Fail(shm.status());
  absl::Status s = shm->Write(offset, text);
  return s.ok() ? 0 : Fail(s);
}

int FileServe(const std::string& dir, size_t count) {
  absl::StatusOr<ipckit::FileChannel> channel = ipckit::FileChannel::Frontend(dir);
  if (!channel.ok()) return Fail(channel.status());
  PrintLine("ready");
  size_t answered = 0;
  while (answered < count) {
    absl::StatusOr<std::optional<ipckit::FileMessage>> message = channel->RecvOne(kPatience);
    if (!message.ok()) return Fail(message.status());
    if (!message->has_value()) return Fail(ipckit::TimeoutError("no request arrived"));
    const ipckit::FileMessage& m = **message;
    if (m.type != ipckit::MessageType::kRequest) continue;
    const std::string method = m.method.value_or("");
    absl::StatusOr<std::string> sent =
        method == "fail"
            ? channel->SendError(m.id, "cpp says no", kPatience)
            : channel->SendResponse(m.id,
                                    absl::StrCat(R"({"method":")", method,
                                                 R"(","params":)", m.payload_json, "}"),
                                    kPatience);
    if (!sent.ok()) return Fail(sent.status());
    ++answered;
  }
  return 0;
}

int FileCall(const std::string& dir, const std::string& method, const std::string& params) {
  absl::StatusOr<ipckit::FileChannel> channel = ipckit::FileChannel::Backend(dir);
  if (!channel.ok()) return Fail(channel.status());
  absl::StatusOr<std::string> id = channel->SendRequest(method, params, kPatience);
  if (!id.ok()) return Fail(id.status());
  absl::StatusOr<ipckit::FileMessage> response = channel->WaitResponse(*id, kPatience);
  if (!response.ok()) return Fail(response.status());
  PrintLine(response->error ? absl::StrCat("error: ", *response->error) : response->payload_json);
  return 0;
}

int PipeWrite(int fd, const std::string& text) {
  absl::StatusOr<ipckit::AnonymousPipe> pipe = ipckit::AnonymousPipe::FromFds(-1, fd);
  if (!pipe.ok()) return Fail(pipe.status());
  absl::Status s = pipe->WriteAll(text, kPatience);
  return s.ok() ? 0 : Fail(s);
}

int JsonCanon() {
  std::string line;
  while (std::getline(std::cin, line)) {
    absl::StatusOr<rapidjson::Document> doc = ipckit::json::Loads(line);
    absl::StatusOr<std::string> text =
        doc.ok() ? ipckit::json::Dumps(*doc) : absl::StatusOr<std::string>(doc.status());
    PrintLine(text.ok() ? *text : absl::StrCat("error: ", ipckit::ErrorClassOf(text.status())));
  }
  return 0;
}

int JsonPretty() {
  const std::string input{std::istreambuf_iterator<char>(std::cin),
                          std::istreambuf_iterator<char>()};
  absl::StatusOr<rapidjson::Document> doc = ipckit::json::Loads(input);
  if (!doc.ok()) return Fail(doc.status());
  absl::StatusOr<std::string> text = ipckit::json::DumpsPretty(*doc);
  if (!text.ok()) return Fail(text.status());
  std::cout << *text << std::flush;
  return 0;
}

int Run(int argc, char** argv) {
  if (argc < 2) return 2;
  const std::string mode = argv[1];
  size_t a = 0;
  size_t b = 0;
  if (mode == "named-pipe-server" && argc == 3) return NamedPipeServer(argv[2]);
  if (mode == "named-pipe-client" && argc == 4) return NamedPipeClient(argv[2], argv[3]);
  if (mode == "channel-server" && argc == 3) return ChannelServer(argv[2]);
  if (mode == "channel-client" && argc >= 3) {
    return ChannelClient(argv[2], absl::MakeConstSpan(argv + 3, argc - 3));
  }
  if (mode == "shm-create" && argc == 5 && ToSize(argv[3], &a)) return ShmCreate(argv[2], a, argv[4]);
  if (mode == "shm-read" && argc == 5 && ToSize(argv[3], &a) && ToSize(argv[4], &b)) {
    return ShmRead(argv[2], a, b);
  }
  if (mode == "shm-write" && argc == 5 && ToSize(argv[3], &a)) return ShmWrite(argv[2], a, argv[4]);
  if (mode == "file-serve" && argc == 4 && ToSize(argv[3], &a)) return FileServe(argv[2], a);
  if (mode == "file-call" && argc == 5) return FileCall(argv[2], argv[3], argv[4]);
  if (mode == "pipe-write" && argc == 4 && ToSize(argv[2], &a)) {
    return PipeWrite(static_cast<int>(a), argv[3]);
  }
  if (mode == "json-canon" && argc == 2) return JsonCanon();
  if (mode == "json-pretty" && argc == 2) return JsonPretty();
  return 2;
}

}  // namespace

int main(int argc, char** argv) {
  const int code = Run(argc, argv);
  if (code == 2) std::fprintf(stderr, "cpp_peer: bad usage (see the comment at the top of cpp_peer.cc)\n");
  return code;
}
