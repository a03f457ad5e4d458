// zfpm: one process, PHP worker threads, FastCGI in front.
#include <spdlog/spdlog.h>
#include <unistd.h>

#include <asio.hpp>
#include <cerrno>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <future>
#include <thread>

#include "zfpm/cli/options.hpp"
#include "zfpm/net/listen_address.hpp"
#include "zfpm/net/server.hpp"
#include "zfpm/obs/log.hpp"
#include "zfpm/php/runtime.hpp"
#include "zfpm/pool/worker_pool.hpp"

namespace {

// sysexits, as php-fpm uses them (fpm_main.c).
constexpr int kExitUsage = 64;
constexpr int kExitSoftware = 70;
constexpr int kExitConfig = 78;

constexpr auto kStopGrace = std::chrono::seconds(10);

int fail_init(int code) {
  spdlog::error("FPM initialization failed");
  return code;
}

}  // namespace

int main(int argc, char** argv) {
  auto parsed = zfpm::cli::parse_options(std::span<const char* const>(argv, argc));
  if (auto* error = std::get_if<zfpm::cli::UsageError>(&parsed)) {
    std::fprintf(stderr, "%s: %s\n%s", argv[0], error->message.c_str(),
                 zfpm::cli::usage(argv[0]).c_str());
    return kExitUsage;
  }
  const auto& options = std::get<zfpm::cli::Options>(parsed);
  if (options.help) {
    std::fputs(zfpm::cli::usage(argv[0]).c_str(), stdout);
    return 0;
  }
  if (options.version) {
    std::printf("%s\nzfpm %s\n", zfpm::php::version_text().c_str(), ZFPM_VERSION);
    return 0;
  }
  zfpm::obs::init_logging(options.log_level);

  std::vector<zfpm::net::ListenAddress> addresses;
  for (const auto& text : options.listen) {
    auto address = zfpm::net::parse_listen_address(text);
    if (auto* error = std::get_if<zfpm::net::AddressError>(&address)) {
      spdlog::error("{}", error->message);
      return fail_init(kExitConfig);
    }
    addresses.push_back(std::get<zfpm::net::ListenAddress>(address));
  }
  // The document root is also the process directory: PHP snapshots it at startup as every
  // thread's initial virtual cwd.
  if (!options.root.empty() && ::chdir(options.root.c_str()) != 0) {
    spdlog::error("failed to chdir() to '{}': {}", options.root, std::strerror(errno));
    return fail_init(kExitConfig);
  }

  asio::io_context io(1);
  // Signals are caught before any socket is bound: a client may connect (and a supervisor may
  // signal) from the moment the listen socket exists.
  std::promise<int> stop_signal;
  asio::signal_set signals(io, SIGINT, SIGTERM);
  signals.async_wait([&](const asio::error_code& ec, int signal) {
    if (!ec) stop_signal.set_value(signal);
  });
  zfpm::pool::WorkerPool pool({.workers = options.workers, .stack_bytes = 8u << 20},
                              [&pool](unsigned id) { zfpm::php::serve(pool, id); });
  zfpm::net::ServerSettings server_settings = options.server;
  server_settings.connection.max_workers = options.workers;
  zfpm::net::Server server(io, pool, std::move(server_settings));
  for (const auto& address : addresses) {
    if (!server.listen(address)) return fail_init(kExitConfig);
  }

  zfpm::php::RuntimeSettings runtime{.php_ini = options.php_ini,
                                     .no_php_ini = options.no_php_ini,
                                     .ini_defines = options.ini_defines,
                                     .document_root = options.root,
                                     .pool = {}};
  runtime.pool.security_limit_extensions = options.security_limit_extensions;
  if (!zfpm::php::startup(runtime)) {
    return fail_init(kExitSoftware);
  }
  // Workers only now: each copies the engine's tables as module startup left them.
  if (!pool.start()) {
    pool.stop(kStopGrace);
    zfpm::php::shutdown();
    return fail_init(kExitSoftware);
  }

  server.start();
  std::thread io_thread([&io] { io.run(); });
  spdlog::info("fpm is running, pid {}", ::getpid());
  spdlog::info("ready to handle connections");

  int signal = stop_signal.get_future().get();
  spdlog::info("Terminating ... (signal {})", signal == SIGINT ? "SIGINT" : "SIGTERM");
  asio::post(io, [&server] { server.stop_accepting(); });
  if (!pool.stop(kStopGrace)) {
    // A thread still inside PHP: module shutdown would free what it uses.
    spdlog::error("worker threads still busy after {} seconds; exiting without PHP shutdown",
                  kStopGrace.count());
    std::fflush(nullptr);
    ::_exit(kExitSoftware);
  }
  io.stop();
  io_thread.join();
  zfpm::php::shutdown();
  spdlog::info("exiting, bye-bye!");
  return 0;
}
