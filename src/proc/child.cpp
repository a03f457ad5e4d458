#include "child.hpp"

#include <spdlog/spdlog.h>
#include <sys/prctl.h>
#include <unistd.h>

#include <asio.hpp>
#include <algorithm>
#include <chrono>
#include <csignal>
#include <cstdio>
#include <functional>
#include <future>
#include <thread>

#include "credentials.hpp"
#include "signals.hpp"
#include "worker_output.hpp"
#include "zfpm/net/server.hpp"
#include "zfpm/obs/access_log.hpp"
#include "zfpm/obs/log.hpp"
#include "zfpm/php/runtime.hpp"
#include "zfpm/pool/worker_pool.hpp"

namespace zfpm::proc {
namespace {

constexpr int kExitSoftware = 70;
constexpr int kExitConfig = 78;

// SIGTERM: how long running scripts get before the child exits without PHP's shutdown.
constexpr auto kStopGrace = std::chrono::seconds(10);
// The first worker id of the pm.status_listen workers.
constexpr unsigned kStatusWorkerIds = 100'000;
// SIGQUIT: how often the child looks whether its last request has been answered.
constexpr auto kDrainPoll = std::chrono::milliseconds(20);

enum class Stop { Now, Graceful };

// pm.* as worker threads (docs/process-model.md).
pool::WorkerPool::Settings pool_settings(const config::PoolConfig& config, bool batch) {
  auto count = [](int n) { return static_cast<unsigned>(std::max(n, 0)); };
  const auto& pm = config.pm;
  pool::WorkerPool::Settings settings;
  settings.name = config.name;
  settings.workers = count(pm.max_children);
  settings.stack_bytes = 8u << 20;
  settings.mode = pm.style == config::PmStyle::Dynamic    ? pool::PmMode::Dynamic
                  : pm.style == config::PmStyle::Ondemand ? pool::PmMode::Ondemand
                                                          : pool::PmMode::Static;
  settings.start_servers = count(pm.start_servers);
  settings.min_spare_servers = count(pm.min_spare_servers);
  settings.max_spare_servers = count(pm.max_spare_servers);
  settings.max_spawn_rate = std::max(1u, count(pm.max_spawn_rate));
  settings.idle_timeout = pm.process_idle_timeout;
  settings.batch_scheduling = batch;
  return settings;
}

// For the paths where threads may still run PHP: no destructors, no atexit.
[[noreturn]] void leave(int code) {
  std::fflush(nullptr);
  ::_exit(code);
}

// Waits on the I/O thread until no connection has a request in flight, or the deadline.
void drain(asio::io_context& io, net::Server& server, std::chrono::seconds bound) {
  const auto deadline = bound.count() > 0 ? std::chrono::steady_clock::now() + bound
                                          : std::chrono::steady_clock::time_point::max();
  while (std::chrono::steady_clock::now() < deadline) {
    std::promise<bool> quiet;
    asio::post(io, [&] { quiet.set_value(server.quiet()); });
    if (quiet.get_future().get()) return;
    std::this_thread::sleep_for(kDrainPoll);
  }
  spdlog::warn("requests still running after process_control_timeout ({}s); stopping anyway",
               bound.count());
}

}  // namespace

int run_child(const ChildSetup& setup) {
  const PoolPlan& plan = *setup.pool;
  const auto& options = *setup.plan->options;
  // The master's handlers and mask are not ours; signals stay blocked until we listen for them.
  reset_signal_dispositions();
  // PHP starts before the pool's chroot, chdir and user apply, as it starts in php-fpm's master
  // (fpm_main.c: module startup comes before fpm_init): php.ini, its scan folders and every
  // extension are read with zfpm's own rights and paths, so what php-fpm can load, zfpm can.
  php::RuntimeSettings runtime{.php_ini = options.php_ini,
                               .no_php_ini = options.no_php_ini,
                               .ini_defines = options.ini_defines,
                               .document_root = plan.document_root,
                               .pool = plan.config};
  php::prepare_process(plan.config);  // clear_env, env[]: applied by startup, after php.ini
  if (!php::startup(runtime)) return kExitSoftware;
  // Only now are stdout and stderr caught (catch_workers_output), as php-fpm's master opens the
  // access log before any child redirects them: an access.log of /proc/self/fd/2 (the official
  // image's) is this process's own stderr, not a second writer on the pipe, whose reader would
  // then never see the pipe's end and hold the child's graceful stop to process_control_timeout.
  WorkerOutput output;  // catch_workers_output: stdout/stderr to the log, or to /dev/null
  output.start(plan.config);
  if (!apply_process_settings(plan)) {
    php::shutdown();
    return kExitConfig;
  }
  // When the master dies, so does its child (set after the uid change, which clears it).
  const pid_t master = ::getppid();
  ::prctl(PR_SET_PDEATHSIG, SIGTERM);
  if (::getppid() != master) return 0;

  asio::io_context io(1);
  std::promise<Stop> stop;
  bool stop_set = false;
  asio::signal_set signals(io, SIGTERM, SIGINT, SIGQUIT);
  signals.add(SIGUSR1);
  std::function<void(const asio::error_code&, int)> on_signal =
      [&](const asio::error_code& ec, int signal) {
        if (ec) return;
        if (signal == SIGUSR1) {
          // Log rotation: the master reopened its error log; this process holds its own
          // descriptors for it and for the pool's access log.
          std::string error;
          if (!obs::reopen_log(&error)) spdlog::error("unable to re-opened error log file: {}", error);
          obs::reopen_access_log();
        } else if (!stop_set) {
          stop_set = true;
          stop.set_value(signal == SIGQUIT ? Stop::Graceful : Stop::Now);
        }
        signals.async_wait(on_signal);
      };
  signals.async_wait(on_signal);
  unblock_signals();

  pool::WorkerPool workers(pool_settings(plan.config, plan.server.batch_workers),
                           [&workers](unsigned id) { php::serve(workers, id); });
  net::Server server(io, workers, plan.server);
  // "max children reached" counts what a process manager could not start: never for static
  // (php-fpm counts it in its dynamic/ondemand maintenance only).
  if (plan.config.pm.style != config::PmStyle::Static) {
    server.set_on_busy(php::note_max_children_reached);
  }
  // pm.status_listen: php-fpm's "<pool>_status" shadow pool, ondemand with two workers, numbered
  // past the pool's own (the status page lists the pool's workers only).
  pool::WorkerPool::Settings status_settings;
  status_settings.workers = 2;
  status_settings.mode = pool::PmMode::Ondemand;
  status_settings.id_offset = kStatusWorkerIds;
  status_settings.batch_scheduling = plan.server.batch_workers;
  pool::WorkerPool status_workers(status_settings,
                                  [&status_workers](unsigned id) { php::serve(status_workers, id); });
  net::ServerSettings status_server_settings = plan.server;
  status_server_settings.connection.max_workers = status_settings.workers;
  net::Server status_server(io, status_workers, status_server_settings);
  for (const auto& [list, target] : {std::pair{&setup.sockets, &server},
                                     std::pair{&setup.status_sockets, &status_server}}) {
    for (const auto& [fd, name] : *list) {
      if (!target->adopt(fd, name)) {
        spdlog::error("[pool {}] cannot accept on inherited socket {} (fd {})", plan.config.name,
                      name, fd);
        return kExitSoftware;
      }
    }
  }
  // Workers only now: each copies the engine's tables as module startup left them.
  if (!workers.start() || !status_workers.start()) {
    workers.stop(kStopGrace);
    status_workers.stop(kStopGrace);
    php::shutdown();
    return kExitSoftware;
  }
  server.start();
  status_server.start();
  std::thread io_thread([&io] { io.run(); });
  if (setup.ready_fd >= 0) {
    char ready = 1;
    (void)!::write(setup.ready_fd, &ready, 1);
    ::close(setup.ready_fd);
  }

  const Stop how = stop.get_future().get();
  asio::post(io, [&] {
    server.stop_accepting();
    status_server.stop_accepting();
  });
  if (how == Stop::Graceful) {
    drain(io, server, setup.plan->config.global.process_control_timeout);
  }
  asio::post(io, [&] {
    server.close_connections();
    status_server.close_connections();
  });
  if (!workers.stop(kStopGrace) || !status_workers.stop(kStopGrace)) {
    // A thread still inside PHP: module shutdown would free what it uses.
    spdlog::error("[pool {}] worker threads still busy after {} seconds; exiting without PHP shutdown",
                  plan.config.name, kStopGrace.count());
    leave(kExitSoftware);
  }
  io.stop();
  io_thread.join();
  php::shutdown();
  return 0;
}

}  // namespace zfpm::proc
