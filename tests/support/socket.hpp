// Plain POSIX sockets for the integration tests: an owned fd, the listen-address forms zfpm
// accepts, and a bounded connect. Independent of the server's net/ code on purpose.
#pragma once

#include <chrono>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>

namespace zfpm::test {

// A failure of the test's own plumbing or of the server under test; doctest reports the message.
struct TestError : std::runtime_error {
  using std::runtime_error::runtime_error;
};

// Owns one file descriptor; closes it once.
class Fd {
 public:
  Fd() = default;
  explicit Fd(int fd) : fd_(fd) {}
  Fd(Fd&& other) noexcept : fd_(other.release()) {}
  Fd& operator=(Fd&& other) noexcept;
  Fd(const Fd&) = delete;
  Fd& operator=(const Fd&) = delete;
  ~Fd() { reset(); }

  int get() const { return fd_; }
  explicit operator bool() const { return fd_ >= 0; }
  int release();
  void reset(int fd = -1);

 private:
  int fd_ = -1;
};

// The forms of zfpm's --listen: "127.0.0.1:9000", "[::1]:9000", "9000", "/path/to.sock".
struct Address {
  enum class Kind { tcp4, tcp6, unix_path };
  Kind kind = Kind::tcp4;
  std::string host;  // numeric, without brackets; empty for unix_path
  int port = 0;
  std::string path;  // unix_path only

  static Address parse(std::string_view text);  // throws TestError on a form zfpm wouldn't take
  std::string to_string() const;
};

// One connect() attempt. Returns the connected socket, or nullopt with errno_out set.
std::optional<Fd> try_connect(const Address& address, int* errno_out = nullptr);

// connect() that throws TestError naming the address and the errno.
Fd connect_to(const Address& address);

// Send and receive timeouts, so a hung server fails a test instead of hanging it.
void set_io_timeout(int fd, std::chrono::milliseconds timeout);

// Writes all of bytes or throws TestError (EPIPE and timeouts included).
void send_all(int fd, std::string_view bytes);

// Everything the peer sends until it closes. Throws TestError, beginning with `what`, on an error
// or a timeout (set_io_timeout), naming how many bytes had come.
std::string recv_until_close(int fd, std::string_view what);

// The local port of a connected TCP socket (to find our connection in the server's log).
int local_port(int fd);

// A TCP port on 127.0.0.1 that was free a moment ago (bind :0, read it, close).
int free_tcp_port();

// Whether this host can bind [::1] at all (containers without IPv6 cannot).
bool ipv6_loopback_available();

}  // namespace zfpm::test
