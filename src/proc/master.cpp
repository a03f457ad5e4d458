#include "zfpm/proc/master.hpp"

#include <fcntl.h>
#include <poll.h>
#include <spdlog/spdlog.h>
#include <sys/resource.h>
#include <sys/signalfd.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <deque>
#include <optional>

#include "child.hpp"
#include "daemon.hpp"
#include "inherited_children.hpp"
#include "signals.hpp"
#include "sockets.hpp"
#include "system.hpp"
#include "zfpm/obs/log.hpp"

namespace zfpm::proc {
namespace {

using Clock = std::chrono::steady_clock;

using cli::ExitCode;
constexpr int kExitSoftware = cli::to_int(ExitCode::Software);
constexpr int kExitConfig = cli::to_int(ExitCode::Config);

// How long a stop waits for children before the next step of php-fpm's ladder
// (SIGQUIT → SIGTERM → SIGKILL): process_control_timeout, or this when it is 0.
constexpr auto kStopBound = std::chrono::seconds(10);
// A child that lived less than this before dying counts as a crash loop: its restarts back off.
constexpr auto kShortLife = std::chrono::seconds(2);
constexpr auto kFirstBackoff = std::chrono::milliseconds(100);
constexpr auto kMaxBackoff = std::chrono::seconds(5);

enum class State { Running, Finishing, Terminating };

struct Child {
  pid_t pid = -1;
  std::size_t pool = 0;
  std::string pool_name;
  Clock::time_point started;
  UniqueFd ready_fd;       // read end of the child's ready pipe, until it said so
  bool old = false;        // from before a reload: asked to finish once the new ones are ready
  bool ready = false;      // it accepts connections
};

struct PoolState {
  std::optional<Clock::time_point> restart_at;  // a restart is due then
  int short_lives = 0;                          // consecutive crash-loop deaths
};

std::string describe_exit(int status, bool& warn) {
  if (WIFEXITED(status)) {
    warn = WEXITSTATUS(status) != 0;
    return "with code " + std::to_string(WEXITSTATUS(status));
  }
  int signal = WTERMSIG(status);
  warn = signal != SIGQUIT;
  return "on signal " + std::to_string(signal) + " (" + signal_name(signal) +
         (WCOREDUMP(status) ? " - core dumped" : "") + ")";
}

std::string seconds_since(Clock::time_point start) {
  auto us = std::chrono::duration_cast<std::chrono::microseconds>(Clock::now() - start).count();
  char text[32];
  std::snprintf(text, sizeof text, "%lld.%06lld", static_cast<long long>(us / 1'000'000),
                static_cast<long long>(us % 1'000'000));
  return text;
}

class Master {
 public:
  Master(Plan& plan, const std::vector<std::string>& argv) : plan_(plan), argv_(argv) {}

  int run() {
    auto log_fd = setup_logging();
    if (!log_fd) return fail(kExitConfig);
    auto adopted = take_inherited_children();
    if (plan_.daemonize && adopted.empty()) {
      daemon_fd_ = daemonize();
      if (!daemon_fd_) return fail(kExitSoftware);
      detach_stdio(*log_fd);
    }
    if (!apply_global_limits()) return fail(kExitConfig);
    if (!open_sockets(plan_, sockets_)) return fail(kExitConfig);
    const auto& pid_file = plan_.config.global.pid;
    if (pid_file && !write_pid_file(*pid_file)) return fail(kExitConfig);
    block_master_signals();
    sigset_t signals = master_signals();
    signal_fd_.reset(::signalfd(-1, &signals, SFD_CLOEXEC | SFD_NONBLOCK));
    spdlog::info("fpm is running, pid {}", ::getpid());
    for (const auto& child : adopted) {
      children_.push_back({child.pid, pool_index(child.pool_name), child.pool_name, child.started,
                           UniqueFd(), true, true});
    }
    pools_.assign(plan_.pools.size(), {});
    for (std::size_t i = 0; i < plan_.pools.size(); ++i) {
      if (!spawn(i)) return shutdown(kExitSoftware);
    }
    int code = loop();
    return shutdown(code);
  }

 private:
  // Where the log goes (fpm_stdio.c): stderr in the foreground with -O or a TTY, else the
  // error_log file or syslog; the file is created either way.
  std::optional<int> setup_logging() {
    const auto& global = plan_.config.global;
    auto level = plan_.options->log_level;
    if (!level && global.log_level) {
      level = obs::parse_log_level(config::to_string(*global.log_level));
    }
    spdlog::set_level(level.value_or(spdlog::level::info));
    if (plan_.config_file.empty()) return -1;  // the quick start logs to stderr only
    obs::set_json_lines(global.log_json);
    std::string error;
    if (global.error_log == "syslog") {
      if (!plan_.log_to_stderr &&
          !obs::log_to_syslog(global.syslog.ident, global.syslog.facility, &error)) {
        spdlog::error("{}", error);
        return std::nullopt;
      }
      return -1;
    }
    int fd = obs::open_log_file(global.error_log, &error);
    if (fd < 0) {
      spdlog::error("failed to open error_log ({}): {}", global.error_log, error);
      return std::nullopt;
    }
    if (!plan_.log_to_stderr && !obs::log_to_file(global.error_log, &error)) {
      spdlog::error("failed to open error_log ({}): {}", global.error_log, error);
      return std::nullopt;
    }
    return fd;
  }

  // [global] rlimit_files, rlimit_core and process.priority, on the master: its children inherit
  // them, and a pool's own settings apply on top (fpm_unix_init_main).
  bool apply_global_limits() {
    const auto& global = plan_.config.global;
    if (global.rlimit_files > 0 && !set_rlimit(RLIMIT_NOFILE, global.rlimit_files)) {
      spdlog::error("failed to set rlimit_files for this pool. Please check your system limits or "
                    "decrease rlimit_files. setrlimit(RLIMIT_NOFILE, {}){}",
                    global.rlimit_files, syserror());
      return false;
    }
    if (global.rlimit_core != 0 && !set_rlimit(RLIMIT_CORE, global.rlimit_core)) {
      spdlog::error("failed to set rlimit_core for this pool. Please check your system limits or "
                    "decrease rlimit_core. setrlimit(RLIMIT_CORE, {}){}",
                    global.rlimit_core, syserror());
      return false;
    }
    if (global.process.priority) {
      if (::geteuid() != 0) {
        spdlog::info("'process.priority' directive is ignored when FPM is not running as root");
      } else if (::setpriority(PRIO_PROCESS, 0, *global.process.priority) != 0) {
        spdlog::error("Unable to set priority for the master process{}", syserror());
        return false;
      }
    }
    return true;
  }

  int fail(int code) {
    spdlog::error("FPM initialization failed");
    daemon_ready(daemon_fd_, false);
    return code;
  }

  std::size_t pool_index(const std::string& name) const {
    for (std::size_t i = 0; i < plan_.pools.size(); ++i) {
      if (plan_.pools[i].config.name == name) return i;
    }
    return plan_.pools.size();  // a pool gone from the new configuration
  }

  bool spawn(std::size_t pool) {
    UniqueFd ready_read, ready_write;
    if (!make_pipe(ready_read, ready_write)) {
      spdlog::error("failed to create pipe: {}", std::strerror(errno));
      return false;
    }
    pid_t pid = ::fork();
    if (pid < 0) {
      spdlog::error("fork() failed: {}", std::strerror(errno));
      return false;
    }
    if (pid == 0) {
      ready_read.reset();
      signal_fd_.reset();
      ChildSetup setup{&plan_, &plan_.pools[pool], {}, {}, std::move(ready_write)};
      for (std::size_t i = 0; i < sockets_.size(); ++i) {
        for (auto& socket : sockets_[i]) {
          if (i == pool) {  // the child's net::Server adopts them
            (socket.status ? setup.status_sockets : setup.sockets)
                .emplace_back(socket.fd.release(), socket.name);
          } else {
            socket.fd.reset();
          }
        }
      }
      for (auto& child : children_) child.ready_fd.reset();
      std::exit(run_child(setup));
    }
    ready_write.reset();
    const auto& name = plan_.pools[pool].config.name;
    children_.push_back({pid, pool, name, Clock::now(), std::move(ready_read), false, false});
    // php-fpm logs the first children at DEBUG and restarts at NOTICE.
    spdlog::log(started_ ? spdlog::level::info : spdlog::level::debug, "[pool {}] child {} started",
                name, pid);
    return true;
  }

  int loop() {
    while (true) {
      if (state_ != State::Running && children_.empty()) return 0;
      std::vector<pollfd> fds{{signal_fd_.get(), POLLIN, 0}};
      for (const auto& child : children_) {
        if (child.ready_fd) fds.push_back({child.ready_fd.get(), POLLIN, 0});
      }
      int timeout = next_timeout_ms();
      int n = ::poll(fds.data(), fds.size(), timeout);
      if (n < 0 && errno != EINTR) {
        spdlog::error("poll() failed: {}", std::strerror(errno));
        return kExitSoftware;
      }
      for (std::size_t i = 1; i < fds.size(); ++i) {
        if (fds[i].revents) child_ready(fds[i].fd);
      }
      if (fds[0].revents & POLLIN) {
        signalfd_siginfo info{};
        while (::read(signal_fd_.get(), &info, sizeof info) == sizeof info) {
          if (auto code = on_signal(static_cast<int>(info.ssi_signo))) return *code;
        }
      }
      if (auto code = on_timers()) return *code;
    }
  }

  int next_timeout_ms() const {
    std::optional<Clock::time_point> next;
    auto consider = [&next](Clock::time_point at) {
      if (!next || at < *next) next = at;
    };
    for (const auto& pool : pools_) {
      if (pool.restart_at) consider(*pool.restart_at);
    }
    if (escalate_at_) consider(*escalate_at_);
    if (!next) return -1;
    auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(*next - Clock::now()).count();
    return static_cast<int>(std::clamp<long long>(ms + 1, 0, 60'000));
  }

  void child_ready(int fd) {
    char word = 0;
    ssize_t n = ::read(fd, &word, 1);
    for (auto& child : children_) {
      if (child.ready_fd.get() != fd) continue;
      child.ready_fd.reset();
      // EOF without the word: the child died starting; reap() says how.
      child.ready = n == 1;
    }
    if (!started_ && all_new_children_ready()) on_all_ready();
  }

  bool all_new_children_ready() const {
    std::size_t running = 0;
    for (const auto& child : children_) {
      if (child.old) continue;
      if (!child.ready) return false;
      ++running;
    }
    return running == plan_.pools.size();
  }

  void on_all_ready() {
    started_ = true;
    // After a reload: the new children accept now; the old ones finish what they hold.
    for (auto& child : children_) {
      if (child.old) ::kill(child.pid, SIGQUIT);
    }
    spdlog::info("ready to handle connections");
    notify_systemd("READY=1\nSTATUS=Ready to handle connections\nMAINPID=" +
                   std::to_string(::getpid()));
    daemon_ready(daemon_fd_, true);
  }

  std::optional<int> on_signal(int signal) {
    switch (signal) {
      case SIGCHLD:
        return reap();
      case SIGTERM:
      case SIGINT:
        if (state_ == State::Terminating) return std::nullopt;
        spdlog::info("Terminating ...");
        notify_systemd("STOPPING=1");
        state_ = State::Terminating;
        signal_children(SIGTERM);
        escalate_at_ = Clock::now() + stop_bound();
        return std::nullopt;
      case SIGQUIT:
        if (state_ != State::Running) return std::nullopt;
        spdlog::info("Finishing ...");
        notify_systemd("STOPPING=1");
        state_ = State::Finishing;
        signal_children(SIGQUIT);
        escalate_at_ = Clock::now() + stop_bound() + std::chrono::seconds(1);
        return std::nullopt;
      case SIGUSR1:
        reopen_logs();
        return std::nullopt;
      case SIGUSR2:
        if (state_ == State::Running) reload();
        return std::nullopt;
      default:
        return std::nullopt;
    }
  }

  std::chrono::seconds stop_bound() const {
    auto timeout = plan_.config.global.process_control_timeout;
    return timeout.count() > 0 ? timeout : kStopBound;
  }

  void signal_children(int signal) {
    for (const auto& child : children_) ::kill(child.pid, signal);
  }

  std::optional<int> on_timers() {
    auto now = Clock::now();
    if (escalate_at_ && now >= *escalate_at_) {
      // php-fpm's ladder: what did not finish gets SIGTERM, then SIGKILL.
      int signal = state_ == State::Finishing ? SIGTERM : SIGKILL;
      if (signal == SIGTERM) state_ = State::Terminating;
      signal_children(signal);
      escalate_at_ = signal == SIGKILL ? std::nullopt
                                       : std::optional(now + std::chrono::seconds(1));
    }
    if (state_ != State::Running) return std::nullopt;
    for (std::size_t i = 0; i < pools_.size(); ++i) {
      if (pools_[i].restart_at && now >= *pools_[i].restart_at) {
        pools_[i].restart_at.reset();
        if (!spawn(i)) pools_[i].restart_at = now + kMaxBackoff;
      }
    }
    return std::nullopt;
  }

  std::optional<int> reap() {
    int status = 0;
    pid_t pid;
    while ((pid = ::waitpid(-1, &status, WNOHANG)) > 0) {
      auto found = std::find_if(children_.begin(), children_.end(),
                                [pid](const Child& c) { return c.pid == pid; });
      if (found == children_.end()) continue;
      Child child = std::move(*found);
      children_.erase(found);
      child.ready_fd.reset();
      bool warn = false;
      std::string how = describe_exit(status, warn);
      const bool expected = child.old || state_ != State::Running;
      spdlog::log(warn && !expected ? spdlog::level::warn : spdlog::level::info,
                  "[pool {}] child {} exited {} after {} seconds from start", child.pool_name, pid,
                  how, seconds_since(child.started));
      if (expected) continue;
      if (!started_) {
        // A pool that cannot start is a configuration or startup failure, not a crash to retry.
        const bool config = WIFEXITED(status) && WEXITSTATUS(status) == kExitConfig;
        state_ = State::Terminating;
        signal_children(SIGTERM);
        escalate_at_ = Clock::now() + stop_bound();
        failed_start_ = config ? kExitConfig : kExitSoftware;
        continue;
      }
      schedule_restart(child, status);
    }
    if (failed_start_ && children_.empty()) {
      spdlog::error("FPM initialization failed");
      daemon_ready(daemon_fd_, false);
      return failed_start_;
    }
    return std::nullopt;
  }

  void schedule_restart(const Child& child, int status) {
    auto now = Clock::now();
    if (child.pool >= pools_.size()) return;
    auto& pool = pools_[child.pool];
    if (now - child.started < kShortLife) {
      ++pool.short_lives;
    } else {
      pool.short_lives = 0;
    }
    auto delay = Clock::duration::zero();
    if (pool.short_lives > 1) {
      delay = std::min<Clock::duration>(kFirstBackoff * (1 << std::min(pool.short_lives - 2, 6)),
                                        kMaxBackoff);
    }
    pool.restart_at = now + delay;
    if (WIFSIGNALED(status) && (WTERMSIG(status) == SIGSEGV || WTERMSIG(status) == SIGBUS)) {
      note_fault(now);
    }
  }

  // emergency_restart_threshold crashes within emergency_restart_interval: reload everything.
  void note_fault(Clock::time_point now) {
    const auto& global = plan_.config.global;
    if (global.emergency_restart_threshold <= 0 || global.emergency_restart_interval.count() <= 0) {
      return;
    }
    faults_.push_back(now);
    while (!faults_.empty() && now - faults_.front() > global.emergency_restart_interval) {
      faults_.pop_front();
    }
    if (static_cast<int>(faults_.size()) >= global.emergency_restart_threshold) {
      spdlog::warn("failed processes threshold ({} in {} sec) is reached, initiating reload",
                   global.emergency_restart_threshold, global.emergency_restart_interval.count());
      faults_.clear();
      reload();
    }
  }

  void reopen_logs() {
    std::string error;
    if (obs::reopen_log(&error)) {
      spdlog::info("error log file re-opened");
    } else {
      spdlog::error("unable to re-opened error log file: {}", error);
    }
    // Each child reopens its own descriptors: the error log's, and its pool's access log (with
    // php-fpm's "access log file re-opened").
    signal_children(SIGUSR1);
  }

  void reload() {
    spdlog::info("Reloading in progress ...");
    notify_systemd("RELOADING=1");
    // A configuration that does not load leaves the running one in place (php-fpm would exit).
    auto checked = make_plan(*plan_.options);
    if (!checked) {
      spdlog::error("the configuration does not load; reload cancelled, still serving the old one");
      notify_systemd("READY=1");
      return;
    }
    ::setenv("FPM_SOCKETS", export_sockets(sockets_).c_str(), 1);
    std::vector<InheritedChild> running;
    for (const auto& child : children_) running.push_back({child.pid, child.pool_name, child.started});
    export_children(running);
    std::string call = "reloading: execvp(\"" + argv_[0] + "\", {";
    std::vector<char*> args;
    for (std::size_t i = 0; i < argv_.size(); ++i) {
      call += (i ? ", \"" : "\"") + argv_[i] + "\"";
      args.push_back(const_cast<char*>(argv_[i].c_str()));
    }
    args.push_back(nullptr);
    spdlog::info("{}}})", call);
    ::execvp(args[0], args.data());
    spdlog::error("execvp() failed: {}; still serving the old configuration", std::strerror(errno));
    ::unsetenv("FPM_SOCKETS");
    export_children({});
  }

  int shutdown(int code) {
    for (auto& child : children_) child.ready_fd.reset();
    close_sockets(sockets_);
    if (plan_.config.global.pid) remove_pid_file(*plan_.config.global.pid);
    signal_fd_.reset();
    if (code == 0) spdlog::info("exiting, bye-bye!");
    return code;
  }

  Plan& plan_;
  const std::vector<std::string>& argv_;
  std::vector<std::vector<BoundSocket>> sockets_;
  std::vector<Child> children_;
  std::vector<PoolState> pools_;
  std::deque<Clock::time_point> faults_;
  State state_ = State::Running;
  std::optional<Clock::time_point> escalate_at_;
  UniqueFd signal_fd_;
  UniqueFd daemon_fd_;
  bool started_ = false;  // every pool's first child said it is ready
  int failed_start_ = 0;
};

}  // namespace

int run_master(Plan& plan, const std::vector<std::string>& argv) {
  Master master(plan, argv);
  return master.run();
}

}  // namespace zfpm::proc
