#include "zfpm_server.hpp"

#include <cstdlib>
#include <fstream>
#include <thread>

namespace zfpm::test {

std::string zfpm_binary() {
  if (const char* override_path = std::getenv("ZFPM_TEST_BINARY")) return override_path;
#ifdef ZFPM_BINARY
  return ZFPM_BINARY;
#else
  return "zfpm";
#endif
}

ZfpmServer::ZfpmServer(ZfpmOptions options) {
  std::string binary = zfpm_binary();
  if (!is_executable(binary)) throw TestError("zfpm binary not found or not executable: " + binary);
  std::vector<std::string> argv{binary};
  for (const auto& listen : options.listen) {
    std::string address = listen == "tcp"    ? "127.0.0.1:" + std::to_string(free_tcp_port())
                          : listen == "unix" ? docroot.file("zfpm.sock")
                                             : listen;
    addresses.push_back(address);
    argv.insert(argv.end(), {"--listen", address});
  }
  if (!options.global_config.empty() || !options.pool_config.empty()) {
    if (addresses.size() != 1) throw TestError("a config-file zfpm listens on one address");
    config_file = docroot.write("php-fpm.conf", "[global]\n"
                                                "daemonize = no\n"
                                                "error_log = /proc/self/fd/2\n" +
                                                    options.global_config +
                                                    "\n[www]\n"
                                                    "listen = " + addresses.front() + "\n"
                                                    "pm = static\n"
                                                    "pm.max_children = " +
                                                    std::to_string(options.workers) + "\n" +
                                                    "chdir = " + docroot.path() + "\n" +
                                                    options.pool_config + "\n");
    // -R: the tests run as root, and a pool without user = runs as its master.
    argv = {binary, "-F", "-O", "-R", "-n", "-y", config_file};
    argv.insert(argv.end(), options.extra_args.begin(), options.extra_args.end());
  } else {
    argv.insert(argv.end(),
                {"--workers", std::to_string(options.workers), "--root", docroot.path(), "-n"});
  }
  argv.insert(argv.end(), options.extra_args.begin(), options.extra_args.end());
  process.start(argv);
  for (const auto& address : addresses) process.wait_until_connectable(address);
  if (options.wait_until_ready && !process.wait_for_log("ready to handle connections", 10s)) {
    throw TestError(
        "zfpm accepts connections but never logged 'ready to handle connections'; its log:\n" +
        process.log());
  }
}

pid_t ZfpmServer::pool_pid() const {
  const std::string children = "/proc/" + std::to_string(process.pid()) + "/task/" +
                               std::to_string(process.pid()) + "/children";
  for (int attempt = 0; attempt < 250; ++attempt) {
    std::ifstream in(children);
    pid_t pid = 0;
    if (in >> pid && pid > 0) return pid;
    std::this_thread::sleep_for(20ms);
  }
  throw TestError("zfpm's master has no child process; its log:\n" + process.log());
}

Response ZfpmServer::get(std::string_view script_filename, std::string_view query) const {
  auto connection = connect();
  return connection.request(params_for(script_filename, {.query = std::string(query)}));
}

FcgiConnection ZfpmServer::start_large_write() const {
  const auto small = script("small.php", "<?php echo 'first';");
  const auto big = script("big.php", "<?php echo str_repeat('0123456789abcdef', 4 << 16);");
  auto connection = connect();
  // The first request of a connection may be run by the worker that accepted it.
  const auto first = connection.request(params_for(small), {}, true);
  if (first.body != "first") throw TestError("the first request answered '" + first.body + "'");
  connection.send_request(params_for(big), {}, true);
  std::this_thread::sleep_for(300ms);  // the worker is in the middle of its write by now
  return connection;
}

std::string ZfpmServer::large_write_body() {
  std::string body;
  for (int i = 0; i < 4 << 16; ++i) body += "0123456789abcdef";
  return body;
}

}  // namespace zfpm::test
