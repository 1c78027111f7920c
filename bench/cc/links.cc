#include "bench/cc/links.h"

#include <fcntl.h>
#include <poll.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>
#include <zmq.h>

#include <boost/interprocess/ipc/message_queue.hpp>
#include <cerrno>
#include <cstring>
#include <optional>

#include "absl/strings/str_cat.h"
#include "absl/time/time.h"
#include "cc/channel/ipc_channel.h"

namespace ipckit {
namespace bench {
namespace {

namespace bip = boost::interprocess;

absl::Status Errno(absl::string_view what) {
  return absl::InternalError(absl::StrCat(what, ": ", std::strerror(errno)));
}

// --- Raw byte streams (pipes, Unix-domain sockets), blocking fds. ---------

absl::Status WriteAll(int fd, absl::string_view data) {
  while (!data.empty()) {
    ssize_t n = ::write(fd, data.data(), data.size());
    if (n < 0) {
      if (errno == EINTR) continue;
      return Errno("write");
    }
    data.remove_prefix(static_cast<size_t>(n));
  }
  return absl::OkStatus();
}

absl::Status ReadExact(int fd, char* buf, size_t size) {
  size_t got = 0;
  while (got < size) {
    ssize_t n = ::read(fd, buf + got, size - got);
    if (n < 0) {
      if (errno == EINTR) continue;
      return Errno("read");
    }
    if (n == 0) return absl::InternalError("read: the other end closed");
    got += static_cast<size_t>(n);
  }
  return absl::OkStatus();
}

class FdLink final : public Link {
 public:
  // Owns both fds (which may be the same socket).
  FdLink(int read_fd, int write_fd, size_t max_size)
      : read_fd_(read_fd), write_fd_(write_fd), buf_(max_size, '\0') {}
  ~FdLink() override {
    ::close(read_fd_);
    if (write_fd_ != read_fd_) ::close(write_fd_);
  }

  absl::Status Send(absl::string_view message) override { return WriteAll(write_fd_, message); }

  absl::StatusOr<absl::string_view> Recv(size_t size) override {
    if (size > buf_.size()) buf_.resize(size);
    absl::Status s = ReadExact(read_fd_, buf_.data(), size);
    if (!s.ok()) return s;
    return absl::string_view(buf_.data(), size);
  }

 private:
  int read_fd_;
  int write_fd_;
  std::string buf_;
};

// The syscall pattern of a non-blocking reader (ipckit's fd_io::ReadSome):
// read, and on EAGAIN poll() then read again. A diagnostic row: the same
// socket as raw UDS, so the difference is that pattern alone.
class NonBlockingFdLink final : public Link {
 public:
  NonBlockingFdLink(int fd, size_t max_size) : fd_(fd), buf_(max_size, '\0') {
    ::fcntl(fd_, F_SETFL, ::fcntl(fd_, F_GETFL) | O_NONBLOCK);
  }
  ~NonBlockingFdLink() override { ::close(fd_); }

  absl::Status Send(absl::string_view message) override {
    while (!message.empty()) {
      ssize_t n = ::write(fd_, message.data(), message.size());
      if (n > 0) {
        message.remove_prefix(static_cast<size_t>(n));
      } else if (n < 0 && errno == EAGAIN) {
        absl::Status s = PollFor(POLLOUT);
        if (!s.ok()) return s;
      } else if (errno != EINTR) {
        return Errno("write");
      }
    }
    return absl::OkStatus();
  }

  absl::StatusOr<absl::string_view> Recv(size_t size) override {
    if (size > buf_.size()) buf_.resize(size);
    size_t got = 0;
    while (got < size) {
      ssize_t n = ::read(fd_, buf_.data() + got, size - got);
      if (n > 0) {
        got += static_cast<size_t>(n);
      } else if (n == 0) {
        return absl::InternalError("read: the other end closed");
      } else if (errno == EAGAIN) {
        absl::Status s = PollFor(POLLIN);
        if (!s.ok()) return s;
      } else if (errno != EINTR) {
        return Errno("read");
      }
    }
    return absl::string_view(buf_.data(), size);
  }

 private:
  absl::Status PollFor(short events) {
    pollfd p = {fd_, events, 0};
    while (::poll(&p, 1, -1) < 0) {
      if (errno != EINTR) return Errno("poll");
    }
    return absl::OkStatus();
  }

  int fd_;
  std::string buf_;
};

class PipeAcceptor final : public Acceptor {
 public:
  static absl::StatusOr<std::unique_ptr<Acceptor>> Create(const LinkParams& params) {
    auto acceptor = std::unique_ptr<PipeAcceptor>(new PipeAcceptor(params.max_size));
    if (::pipe2(acceptor->to_peer_, O_CLOEXEC) != 0) return Errno("pipe2");
    if (::pipe2(acceptor->from_peer_, O_CLOEXEC) != 0) return Errno("pipe2");
    return acceptor;
  }
  ~PipeAcceptor() override {
    for (int fd : {to_peer_[0], to_peer_[1], from_peer_[0], from_peer_[1]}) {
      if (fd >= 0) ::close(fd);
    }
  }

  std::vector<std::pair<int, int>> FdsForPeer() const override {
    return {{to_peer_[0], 3}, {from_peer_[1], 4}};
  }

  absl::StatusOr<std::unique_ptr<Link>> Accept() override {
    // The peer has its ends now; closing ours lets EOF reach whoever is left.
    ::close(std::exchange(to_peer_[0], -1));
    ::close(std::exchange(from_peer_[1], -1));
    return std::make_unique<FdLink>(std::exchange(from_peer_[0], -1),
                                    std::exchange(to_peer_[1], -1), max_size_);
  }

 private:
  explicit PipeAcceptor(size_t max_size) : max_size_(max_size) {}
  size_t max_size_;
  int to_peer_[2] = {-1, -1};
  int from_peer_[2] = {-1, -1};
};

absl::StatusOr<sockaddr_un> UnixAddress(const std::string& path) {
  sockaddr_un addr = {};
  addr.sun_family = AF_UNIX;
  if (path.size() >= sizeof(addr.sun_path)) {
    return absl::InvalidArgumentError(absl::StrCat("socket path too long: ", path));
  }
  std::memcpy(addr.sun_path, path.data(), path.size());
  return addr;
}

std::string UdsPath(const LinkParams& params) {
  return absl::StrCat("/tmp/", params.name, ".sock");
}

class UdsAcceptor final : public Acceptor {
 public:
  static absl::StatusOr<std::unique_ptr<Acceptor>> Create(const LinkParams& params) {
    auto acceptor = std::unique_ptr<UdsAcceptor>(new UdsAcceptor(params));
    absl::StatusOr<sockaddr_un> addr = UnixAddress(acceptor->path_);
    if (!addr.ok()) return addr.status();
    acceptor->listen_fd_ = ::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (acceptor->listen_fd_ < 0) return Errno("socket");
    if (::bind(acceptor->listen_fd_, reinterpret_cast<sockaddr*>(&*addr), sizeof(*addr)) != 0) {
      return Errno(absl::StrCat("bind ", acceptor->path_));
    }
    acceptor->bound_ = true;
    if (::listen(acceptor->listen_fd_, 1) != 0) return Errno("listen");
    return acceptor;
  }
  ~UdsAcceptor() override {
    if (listen_fd_ >= 0) ::close(listen_fd_);
    if (bound_) ::unlink(path_.c_str());
  }

  absl::StatusOr<std::unique_ptr<Link>> Accept() override {
    int fd;
    do {
      fd = ::accept4(listen_fd_, nullptr, nullptr, SOCK_CLOEXEC);
    } while (fd < 0 && errno == EINTR);
    if (fd < 0) return Errno("accept");
    if (non_blocking_) return std::make_unique<NonBlockingFdLink>(fd, max_size_);
    return std::make_unique<FdLink>(fd, fd, max_size_);
  }

  void set_non_blocking() { non_blocking_ = true; }

 private:
  explicit UdsAcceptor(const LinkParams& params)
      : path_(UdsPath(params)), max_size_(params.max_size) {}
  bool non_blocking_ = false;
  std::string path_;
  size_t max_size_;
  int listen_fd_ = -1;
  bool bound_ = false;
};

absl::StatusOr<std::unique_ptr<Link>> ConnectUds(const LinkParams& params,
                                                  bool non_blocking = false) {
  absl::StatusOr<sockaddr_un> addr = UnixAddress(UdsPath(params));
  if (!addr.ok()) return addr.status();
  int fd = ::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return Errno("socket");
  if (::connect(fd, reinterpret_cast<sockaddr*>(&*addr), sizeof(*addr)) != 0) {
    absl::Status s = Errno("connect");
    ::close(fd);
    return s;
  }
  if (non_blocking) return std::make_unique<NonBlockingFdLink>(fd, params.max_size);
  return std::make_unique<FdLink>(fd, fd, params.max_size);
}

// --- ipckit IpcChannel. -----------------------------------------------------

class ChannelLink final : public Link {
 public:
  explicit ChannelLink(IpcChannel channel) : channel_(std::move(channel)) {}

  absl::Status Send(absl::string_view message) override { return channel_.Send(message); }

  absl::StatusOr<absl::string_view> Recv(size_t size) override {
    absl::Status s = channel_.RecvInto(&buf_);
    if (!s.ok()) return s;
    if (buf_.size() != size) {
      return absl::InternalError(absl::StrCat("expected ", size, " bytes, got ", buf_.size()));
    }
    return absl::string_view(buf_);
  }

 private:
  IpcChannel channel_;
  std::string buf_;
};

ChannelOptions ChannelOptionsFor(const LinkParams& params) {
  ChannelOptions options;
  if (params.max_size > options.max_payload) options.max_payload = params.max_size;
  return options;
}

class ChannelAcceptor final : public Acceptor {
 public:
  static absl::StatusOr<std::unique_ptr<Acceptor>> Create(const LinkParams& params) {
    absl::StatusOr<IpcChannel> server = IpcChannel::Create(params.name, ChannelOptionsFor(params));
    if (!server.ok()) return server.status();
    return std::unique_ptr<Acceptor>(new ChannelAcceptor(*std::move(server)));
  }

  absl::StatusOr<std::unique_ptr<Link>> Accept() override {
    absl::Status s = server_->WaitForClient(absl::Seconds(30));
    if (!s.ok()) return s;
    std::unique_ptr<Link> link = std::make_unique<ChannelLink>(*std::move(server_));
    server_.reset();
    return link;
  }

 private:
  explicit ChannelAcceptor(IpcChannel server) : server_(std::move(server)) {}
  std::optional<IpcChannel> server_;
};

absl::StatusOr<std::unique_ptr<Link>> ConnectChannel(const LinkParams& params) {
  absl::StatusOr<IpcChannel> client =
      IpcChannel::Connect(params.name, absl::Seconds(30), ChannelOptionsFor(params));
  if (!client.ok()) return client.status();
  return std::make_unique<ChannelLink>(*std::move(client));
}

// --- Boost.Interprocess message_queue: one queue per direction. -------------

std::string QueueName(const LinkParams& params, absl::string_view direction) {
  return absl::StrCat(params.name, "-", direction);
}

class QueueLink final : public Link {
 public:
  QueueLink(std::unique_ptr<bip::message_queue> out, std::unique_ptr<bip::message_queue> in,
            size_t max_size)
      : out_(std::move(out)), in_(std::move(in)), buf_(max_size, '\0') {}

  absl::Status Send(absl::string_view message) override {
    try {
      out_->send(message.data(), message.size(), /*priority=*/0);
    } catch (const bip::interprocess_exception& e) {
      return absl::InternalError(absl::StrCat("message_queue::send: ", e.what()));
    }
    return absl::OkStatus();
  }

  absl::StatusOr<absl::string_view> Recv(size_t size) override {
    bip::message_queue::size_type got = 0;
    unsigned int priority = 0;
    try {
      in_->receive(buf_.data(), buf_.size(), got, priority);
    } catch (const bip::interprocess_exception& e) {
      return absl::InternalError(absl::StrCat("message_queue::receive: ", e.what()));
    }
    if (got != size) {
      return absl::InternalError(absl::StrCat("expected ", size, " bytes, got ", got));
    }
    return absl::string_view(buf_.data(), got);
  }

 private:
  std::unique_ptr<bip::message_queue> out_;
  std::unique_ptr<bip::message_queue> in_;
  std::string buf_;
};

class QueueAcceptor final : public Acceptor {
 public:
  static absl::StatusOr<std::unique_ptr<Acceptor>> Create(const LinkParams& params) {
    auto acceptor = std::unique_ptr<QueueAcceptor>(new QueueAcceptor(params));
    try {
      acceptor->requests_ = std::make_unique<bip::message_queue>(
          bip::create_only, acceptor->request_name_.c_str(), params.queue_depth, params.max_size);
      acceptor->replies_ = std::make_unique<bip::message_queue>(
          bip::create_only, acceptor->reply_name_.c_str(), params.queue_depth, params.max_size);
    } catch (const bip::interprocess_exception& e) {
      return absl::InternalError(absl::StrCat("message_queue create: ", e.what()));
    }
    return acceptor;
  }
  // The names go at once; the queues live on while mapped.
  ~QueueAcceptor() override {
    bip::message_queue::remove(request_name_.c_str());
    bip::message_queue::remove(reply_name_.c_str());
  }

  absl::StatusOr<std::unique_ptr<Link>> Accept() override {
    return std::make_unique<QueueLink>(std::move(requests_), std::move(replies_), max_size_);
  }

 private:
  explicit QueueAcceptor(const LinkParams& params)
      : request_name_(QueueName(params, "req")),
        reply_name_(QueueName(params, "rep")),
        max_size_(params.max_size) {}
  std::string request_name_;
  std::string reply_name_;
  size_t max_size_;
  std::unique_ptr<bip::message_queue> requests_;
  std::unique_ptr<bip::message_queue> replies_;
};

absl::StatusOr<std::unique_ptr<Link>> ConnectQueue(const LinkParams& params) {
  try {
    auto requests = std::make_unique<bip::message_queue>(
        bip::open_only, QueueName(params, "req").c_str());
    auto replies = std::make_unique<bip::message_queue>(
        bip::open_only, QueueName(params, "rep").c_str());
    return std::make_unique<QueueLink>(std::move(replies), std::move(requests), params.max_size);
  } catch (const bip::interprocess_exception& e) {
    return absl::InternalError(absl::StrCat("message_queue open: ", e.what()));
  }
}

// --- ZeroMQ PAIR sockets over ipc://. ---------------------------------------

std::string ZmqEndpoint(const LinkParams& params) {
  return absl::StrCat("ipc:///tmp/", params.name, ".zmq");
}

absl::Status ZmqError(absl::string_view what) {
  return absl::InternalError(absl::StrCat(what, ": ", zmq_strerror(zmq_errno())));
}

class ZmqLink final : public Link {
 public:
  // Takes ownership of both; closes the socket before ending the context.
  ZmqLink(void* context, void* socket, size_t max_size)
      : context_(context), socket_(socket), buf_(max_size, '\0') {}
  ~ZmqLink() override {
    zmq_close(socket_);
    zmq_ctx_term(context_);
  }

  absl::Status Send(absl::string_view message) override {
    while (zmq_send(socket_, message.data(), message.size(), 0) < 0) {
      if (zmq_errno() != EINTR) return ZmqError("zmq_send");
    }
    return absl::OkStatus();
  }

  absl::StatusOr<absl::string_view> Recv(size_t size) override {
    int n;
    while ((n = zmq_recv(socket_, buf_.data(), buf_.size(), 0)) < 0) {
      if (zmq_errno() != EINTR) return ZmqError("zmq_recv");
    }
    if (static_cast<size_t>(n) != size) {
      return absl::InternalError(absl::StrCat("expected ", size, " bytes, got ", n));
    }
    return absl::string_view(buf_.data(), size);
  }

 private:
  void* context_;
  void* socket_;
  std::string buf_;
};

// A PAIR socket, bound (the driver) or connected (the peer).
absl::StatusOr<std::unique_ptr<Link>> OpenZmq(const LinkParams& params, bool bind) {
  void* context = zmq_ctx_new();
  if (context == nullptr) return ZmqError("zmq_ctx_new");
  void* socket = zmq_socket(context, ZMQ_PAIR);
  if (socket == nullptr) {
    zmq_ctx_term(context);
    return ZmqError("zmq_socket");
  }
  auto link = std::make_unique<ZmqLink>(context, socket, params.max_size);
  // Long enough for a last reply (the ack) to leave; 0 would drop it.
  int linger = 5000;
  zmq_setsockopt(socket, ZMQ_LINGER, &linger, sizeof(linger));
  std::string endpoint = ZmqEndpoint(params);
  int rc = bind ? zmq_bind(socket, endpoint.c_str()) : zmq_connect(socket, endpoint.c_str());
  if (rc != 0) return ZmqError(absl::StrCat(bind ? "zmq_bind " : "zmq_connect ", endpoint));
  return link;
}

class ZmqAcceptor final : public Acceptor {
 public:
  static absl::StatusOr<std::unique_ptr<Acceptor>> Create(const LinkParams& params) {
    absl::StatusOr<std::unique_ptr<Link>> link = OpenZmq(params, /*bind=*/true);
    if (!link.ok()) return link.status();
    return std::unique_ptr<Acceptor>(new ZmqAcceptor(*std::move(link), params));
  }
  // zmq removes the ipc socket file when the bound socket closes; this is
  // for a driver that failed before that.
  ~ZmqAcceptor() override { ::unlink(path_.c_str()); }

  // PAIR connects in the background; the first message waits for it.
  absl::StatusOr<std::unique_ptr<Link>> Accept() override { return std::move(link_); }

 private:
  ZmqAcceptor(std::unique_ptr<Link> link, const LinkParams& params)
      : link_(std::move(link)), path_(absl::StrCat("/tmp/", params.name, ".zmq")) {}
  std::unique_ptr<Link> link_;
  std::string path_;
};

}  // namespace

const std::vector<std::string>& MethodIds() {
  static const auto* ids =
      new std::vector<std::string>{"ipckit_channel", "uds", "uds_nonblocking", "pipe", "boost_mq",
                                   "zmq"};
  return *ids;
}

std::string MethodLabel(absl::string_view id) {
  if (id == "ipckit_channel") return "ipckit IpcChannel";
  if (id == "uds") return "raw UDS";
  if (id == "uds_nonblocking") return "raw UDS, non-blocking + poll (diagnostic)";
  if (id == "pipe") return "raw pipes";
  if (id == "boost_mq") return "Boost.Interprocess message_queue";
  if (id == "zmq") return "ZeroMQ ipc:// PAIR";
  return std::string(id);
}

absl::StatusOr<std::unique_ptr<Acceptor>> Listen(absl::string_view method,
                                                 const LinkParams& params) {
  if (method == "ipckit_channel") return ChannelAcceptor::Create(params);
  if (method == "uds") return UdsAcceptor::Create(params);
  if (method == "uds_nonblocking") {
    absl::StatusOr<std::unique_ptr<Acceptor>> acceptor = UdsAcceptor::Create(params);
    if (acceptor.ok()) static_cast<UdsAcceptor&>(**acceptor).set_non_blocking();
    return acceptor;
  }
  if (method == "pipe") return PipeAcceptor::Create(params);
  if (method == "boost_mq") return QueueAcceptor::Create(params);
  if (method == "zmq") return ZmqAcceptor::Create(params);
  return absl::InvalidArgumentError(absl::StrCat("unknown method '", method, "'"));
}

absl::StatusOr<std::unique_ptr<Link>> Connect(absl::string_view method, const LinkParams& params) {
  if (method == "ipckit_channel") return ConnectChannel(params);
  if (method == "uds") return ConnectUds(params);
  if (method == "uds_nonblocking") return ConnectUds(params, /*non_blocking=*/true);
  if (method == "pipe") return std::make_unique<FdLink>(3, 4, params.max_size);
  if (method == "boost_mq") return ConnectQueue(params);
  if (method == "zmq") return OpenZmq(params, /*bind=*/false);
  return absl::InvalidArgumentError(absl::StrCat("unknown method '", method, "'"));
}

}  // namespace bench
}  // namespace ipckit
