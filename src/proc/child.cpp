#include "child.hpp"

#include <spdlog/spdlog.h>
#include <sys/prctl.h>
#include <unistd.h>

#include <algorithm>
#include <asio.hpp>
#include <chrono>
#include <csignal>
#include <cstdio>
#include <functional>
#include <future>
#include <initializer_list>
#include <optional>
#include <thread>
#include <vector>

#include "credentials.hpp"
#include "signals.hpp"
#include "worker_output.hpp"
#include "zfpm/cli/exit_code.hpp"
#include "zfpm/net/server.hpp"
#include "zfpm/obs/access_log.hpp"
#include "zfpm/obs/log.hpp"
#include "zfpm/php/runtime.hpp"
#include "zfpm/pool/worker_pool.hpp"

namespace zfpm::proc {
namespace {

using cli::ExitCode;
using cli::to_int;

// How long the scripts still running as the child stops (SIGTERM, SIGINT; SIGQUIT past
// process_control_timeout) get to leave PHP once told to end, which takes milliseconds unless one
// sits in code that never returns to PHP; then the child exits without PHP's shutdown.
constexpr auto kStopGrace = std::chrono::milliseconds(800);
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
  settings.mode = pm.style.value_or(config::PmStyle::Static);
  settings.start_servers = count(pm.start_servers);
  settings.min_spare_servers = count(pm.min_spare_servers);
  settings.max_spare_servers = count(pm.max_spare_servers);
  settings.max_spawn_rate = std::max(1u, count(pm.max_spawn_rate));
  settings.idle_timeout = pm.process_idle_timeout;
  settings.batch_scheduling = batch;
  return settings;
}

// pm.status_listen: php-fpm's "<pool>_status" shadow pool, ondemand with two workers, numbered
// past the pool's own (the status page lists the pool's workers only).
pool::WorkerPool::Settings status_pool_settings(const PoolPlan& plan) {
  pool::WorkerPool::Settings settings;
  settings.workers = 2;
  settings.mode = pool::PmMode::Ondemand;
  settings.id_offset = kStatusWorkerIds;
  settings.batch_scheduling = plan.server.batch_workers;
  return settings;
}

// For the paths where threads may still run PHP: no destructors, no atexit.
[[noreturn]] void leave(int code) {
  std::fflush(nullptr);
  ::_exit(code);
}

// Undoes what run_child has set up: the steps run in reverse order of add(), on every way out of
// run_child, as php-fpm's fpm_cleanup_add / fpm_cleanups_run. leave() skips them on purpose.
class Teardown {
 public:
  Teardown() = default;
  Teardown(const Teardown&) = delete;
  Teardown& operator=(const Teardown&) = delete;
  ~Teardown() {
    while (!steps_.empty()) {
      auto step = std::move(steps_.back());
      steps_.pop_back();
      step();
    }
  }
  void add(std::function<void()> step) { steps_.push_back(std::move(step)); }

 private:
  std::vector<std::function<void()>> steps_;
};

// The master's signals, taken on the I/O thread: SIGTERM and SIGINT stop now, SIGQUIT stops
// gracefully (the first of them counts), SIGUSR1 reopens the logs.
class StopSignals {
 public:
  explicit StopSignals(asio::io_context& io) : signals_(io, SIGTERM, SIGINT, SIGQUIT) {
    signals_.add(SIGUSR1);
    wait();
  }
  // Blocks the calling thread until a stop signal came.
  Stop wait_for_stop() { return stopped_.get_future().get(); }

 private:
  void wait() {
    signals_.async_wait([this](const asio::error_code& ec, int signal) { on_signal(ec, signal); });
  }
  void on_signal(const asio::error_code& ec, int signal) {
    if (ec) return;
    if (signal == SIGUSR1) {
      // Log rotation: the master reopened its error log; this process holds its own descriptors
      // for it and for the pool's access log.
      std::string error;
      if (!obs::reopen_log(&error)) spdlog::error("unable to re-opened error log file: {}", error);
      obs::reopen_access_log();
    } else if (!stop_set_) {
      stop_set_ = true;
      stopped_.set_value(signal == SIGQUIT ? Stop::Graceful : Stop::Now);
    }
    wait();
  }

  asio::signal_set signals_;
  std::promise<Stop> stopped_;
  bool stop_set_ = false;
};

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

// Stops accepting on every server; with `drain_bound` (SIGQUIT: process_control_timeout, 0 for
// none) first lets the pool's requests finish; then closes what connections are left.
void stop_front_end(asio::io_context& io, std::initializer_list<net::Server*> servers,
                    std::optional<std::chrono::seconds> drain_bound) {
  asio::post(io, [servers = std::vector(servers)] {
    for (auto* server : servers) server->stop_accepting();
  });
  if (drain_bound) drain(io, **servers.begin(), *drain_bound);
  asio::post(io, [servers = std::vector(servers)] {
    for (auto* server : servers) server->close_connections();
  });
}

}  // namespace

int run_child(ChildSetup& setup) {
  const PoolPlan& plan = *setup.pool;
  const auto& options = *setup.plan->options;
  // What the child sets up, in the order it does. Declared before the teardown, which therefore
  // runs while they all exist; each comes to life in its step below.
  WorkerOutput output;  // catch_workers_output: stdout/stderr to the log, or to /dev/null
  std::optional<asio::io_context> io;
  std::optional<StopSignals> signals;
  std::optional<pool::WorkerPool> workers;
  std::optional<net::Server> server;
  std::optional<pool::WorkerPool> status_workers;
  std::optional<net::Server> status_server;
  std::thread io_thread;
  Stop how = Stop::Now;
  Teardown teardown;

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
  if (!php::startup(runtime)) return to_int(ExitCode::Software);
  teardown.add([] { php::shutdown(); });  // last of all: no thread runs PHP any more by then
  // Only now are stdout and stderr caught (catch_workers_output), as php-fpm's master opens the
  // access log before any child redirects them: an access.log of /proc/self/fd/2 (the official
  // image's) is this process's own stderr, not a second writer on the pipe, whose reader would
  // then never see the pipe's end and hold the child's graceful stop to process_control_timeout.
  output.start(plan.config);
  if (!apply_process_settings(plan)) return to_int(ExitCode::Config);
  // When the master dies, so does its child (set after the uid change, which clears it).
  const pid_t master = ::getppid();
  ::prctl(PR_SET_PDEATHSIG, SIGTERM);
  if (::getppid() != master) return 0;

  io.emplace(1);
  signals.emplace(*io);
  unblock_signals();
  workers.emplace(pool_settings(plan.config, plan.server.batch_workers),
                  [&workers](unsigned id) { php::serve(*workers, id); });
  server.emplace(*io, *workers, plan.server);
  // "max children reached" counts what a process manager could not start: never for static
  // (php-fpm counts it in its dynamic/ondemand maintenance only).
  if (plan.config.pm.style != config::PmStyle::Static) {
    server->set_on_busy(php::note_max_children_reached);
  }
  status_workers.emplace(status_pool_settings(plan),
                         [&status_workers](unsigned id) { php::serve(*status_workers, id); });
  net::ServerSettings status_server_settings = plan.server;
  status_server_settings.connection.max_workers = status_workers->size();
  status_server.emplace(*io, *status_workers, status_server_settings);
  for (const auto& [list, target] :
       {std::pair{&setup.sockets, &*server}, std::pair{&setup.status_sockets, &*status_server}}) {
    for (const auto& [fd, name] : *list) {
      if (!target->adopt(fd, name)) {
        spdlog::error("[pool {}] cannot accept on inherited socket {} (fd {})", plan.config.name,
                      name, fd);
        return to_int(ExitCode::Software);
      }
    }
  }
  // Whatever still runs PHP (SIGTERM, SIGINT; SIGQUIT past process_control_timeout) is told to
  // end; a thread still inside PHP after the grace period would have module shutdown free what it
  // uses, so the child then leaves without it.
  auto stop_workers = [&] {
    php::end_running_requests();
    if (!workers->stop(kStopGrace) || !status_workers->stop(kStopGrace)) {
      spdlog::error("[pool {}] worker threads still busy after {} ms; exiting without PHP shutdown",
                    plan.config.name, kStopGrace.count());
      leave(to_int(ExitCode::Software));
    }
  };
  // Workers only now: each copies the engine's tables as module startup left them.
  if (!workers->start() || !status_workers->start()) {
    stop_workers();
    return to_int(ExitCode::Software);
  }
  server->start();
  status_server->start();
  io_thread = std::thread([&io] { io->run(); });
  // The way out, read bottom-up: stop accepting and (SIGQUIT) let the requests finish, then the
  // workers leave PHP, then the I/O thread stops, then PHP's module shutdown (added above).
  teardown.add([&] {
    io->stop();
    io_thread.join();
  });
  teardown.add(stop_workers);
  teardown.add([&] {
    stop_front_end(*io, {&*server, &*status_server},
                   how == Stop::Graceful
                       ? std::optional(setup.plan->config.global.process_control_timeout)
                       : std::nullopt);
  });
  if (setup.ready_fd) {
    char ready = 1;
    (void)!::write(setup.ready_fd.get(), &ready, 1);
    setup.ready_fd.reset();
  }
  how = signals->wait_for_stop();
  return 0;
}

}  // namespace zfpm::proc
