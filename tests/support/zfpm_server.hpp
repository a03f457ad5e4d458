// One zfpm under test: a docroot of its own, a free loopback port (or a Unix socket in the
// docroot), started with -n and waited for (connectable, then "ready to handle connections");
// stopped by pid when the test ends.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "fcgi_client.hpp"
#include "process.hpp"

namespace zfpm::test {

// ZFPM_BINARY from the build, or $ZFPM_TEST_BINARY to test another build.
std::string zfpm_binary();

struct ZfpmOptions {
  int workers = 4;
  // Each entry is a --listen; "tcp" means 127.0.0.1:<free port>, "unix" means <docroot>/zfpm.sock.
  std::vector<std::string> listen = {"tcp"};
  std::vector<std::string> extra_args{};  // e.g. {"-d", "memory_limit=77M"}
  // When either is set, zfpm runs as php-fpm does: `zfpm -F -O -R -n -y <docroot>/php-fpm.conf`,
  // from a file with a [global] section (daemonize = no, error_log = /proc/self/fd/2, then
  // these lines) and one pool [www] (listen = the first address, pm = static, pm.max_children =
  // workers, chdir = the docroot, then these lines), extra_args after. One listen address only.
  std::string global_config{};  // php-fpm.conf lines for [global], e.g. "log_level = debug\n"
  std::string pool_config{};    // php-fpm.conf lines for [www], e.g. "pm.status_path = /status\n"
  // After connect() works, also wait for "ready to handle connections" in the log. Off only for
  // tests about the moment between the two.
  bool wait_until_ready = true;
};

class ZfpmServer {
 public:
  explicit ZfpmServer(ZfpmOptions options = {});
  ZfpmServer(const ZfpmServer&) = delete;
  ZfpmServer& operator=(const ZfpmServer&) = delete;

  // The pool's child process (zfpm's master forks one per pool; this server has one pool): the
  // process whose threads run PHP, whose descriptors and memory the tests measure. Waits up to
  // 5 s for it to exist; throws TestError otherwise.
  pid_t pool_pid() const;

  // Writes a script into the docroot; returns its absolute path (the SCRIPT_FILENAME).
  std::string script(std::string_view name, std::string_view php) const {
    return docroot.write(name, php);
  }

  // The first --listen address, and all of them.
  const std::string& address() const { return addresses.front(); }

  FcgiConnection connect(std::chrono::milliseconds timeout = 15s) const {
    return FcgiConnection::open(address(), timeout);
  }
  // One request on a fresh connection, with the params nginx would send.
  Response get(std::string_view script_filename, std::string_view query = {}) const;

  // A kept connection whose worker is in the middle of a large write: a first request that
  // answers "first", then one whose response is large_write_body() (4 MiB) and fills the socket
  // (start the server with .listen = {"unix"}: loopback TCP takes 4 MiB at once). Being the
  // connection's second request, it runs through the I/O thread, which reads what the client
  // sends next; its request id is 2. Returns 300 ms after sending it.
  FcgiConnection start_large_write() const;
  static std::string large_write_body();

  // The php-fpm.conf written for global_config/pool_config ("" when started with --listen).
  std::string config_file;
  TempDir docroot;  // declared before process: the server stops before its files go
  std::vector<std::string> addresses;
  ServerProcess process;
};

}  // namespace zfpm::test
