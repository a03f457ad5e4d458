// The master process: its setup, its loop over signals, ready pipes and timers, and the system
// calls behind Master::System. What it decides is master_state.cpp's.
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
#include <cstdlib>
#include <cstring>

#include "child.hpp"
#include "daemon.hpp"
#include "inherited_children.hpp"
#include "master_state.hpp"
#include "signals.hpp"
#include "sockets.hpp"
#include "system.hpp"
#include "zfpm/expected.hpp"
#include "zfpm/obs/log.hpp"
#include "zfpm/unique_fd.hpp"

namespace zfpm::proc {
namespace {

using cli::ExitCode;
using Clock = Master::Clock;

// The longest poll() between two looks at the timers.
constexpr int kLongestWaitMs = 60'000;

class MasterProcess final : public Master::System {
 public:
  MasterProcess(Plan& plan, const std::vector<std::string>& argv)
      : plan_(plan), argv_(argv), master_(plan, *this) {}

  ExitCode run() {
    auto log_fd = setup_logging();
    if (!log_fd) return fail(log_fd.error());
    auto adopted = take_inherited_children();
    if (plan_.daemonize && adopted.empty()) {
      daemon_fd_ = daemonize();
      if (!daemon_fd_) return fail(ExitCode::Software);
      detach_stdio(log_fd->get());
    }
    if (!apply_global_limits()) return fail(ExitCode::Config);
    if (!open_sockets(plan_, sockets_)) return fail(ExitCode::Config);
    const auto& pid_file = plan_.config.global.pid;
    if (pid_file && !write_pid_file(*pid_file)) return fail(ExitCode::Config);
    block_master_signals();
    sigset_t signals = master_signals();
    signal_fd_.reset(::signalfd(-1, &signals, SFD_CLOEXEC | SFD_NONBLOCK));
    if (!signal_fd_) {
      spdlog::error("failed to create a signalfd{}", syserror());
      return shutdown(fail(ExitCode::Software));
    }
    spdlog::info("fpm is running, pid {}", ::getpid());
    master_.adopt(adopted);
    if (!master_.start(Clock::now())) return shutdown(ExitCode::Software);
    return shutdown(loop());
  }

  // Master::System.
  pid_t fork_child(std::size_t pool, UniqueFd& ready) override {
    UniqueFd ready_write;
    if (!make_pipe(ready, ready_write)) {
      spdlog::error("failed to create pipe: {}", std::strerror(errno));
      return -1;
    }
    pid_t pid = ::fork();
    if (pid < 0) {
      spdlog::error("fork() failed: {}", std::strerror(errno));
      ready.reset();
      return -1;
    }
    if (pid == 0) std::exit(become_child(pool, std::move(ready), std::move(ready_write)));
    return pid;
  }

  void kill(pid_t pid, int signal) override { ::kill(pid, signal); }

  void stop_listening() override {
    for (auto& pool : sockets_) {
      for (auto& socket : pool) socket.fd.reset();  // the Unix file goes in shutdown()
    }
  }

  void reload() override {
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
    for (const auto& child : master_.children()) {
      running.push_back({child.pid, child.pool_name, child.started});
    }
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

  void started(bool ok) override {
    if (ok) {
      notify_systemd("READY=1\nSTATUS=Ready to handle connections\nMAINPID=" +
                     std::to_string(::getpid()));
    }
    daemon_ready(daemon_fd_, ok);
  }

 private:
  // Where the log goes (fpm_stdio.c): stderr in the foreground with -O or a TTY, else the
  // error_log file or syslog; the file is created either way. Its descriptor, for a daemon's
  // stderr (none without a file).
  Expected<UniqueFd, ExitCode> setup_logging() {
    const auto& global = plan_.config.global;
    auto level = plan_.options->log_level;
    if (!level && global.log_level) {
      level = obs::parse_log_level(config::to_string(*global.log_level));
    }
    spdlog::set_level(level.value_or(spdlog::level::info));
    if (plan_.config_file.empty()) return UniqueFd();  // the quick start logs to stderr only
    obs::set_json_lines(global.log_json);
    std::string error;
    if (global.error_log == "syslog") {
      if (!plan_.log_to_stderr &&
          !obs::log_to_syslog(global.syslog.ident, global.syslog.facility, &error)) {
        spdlog::error("{}", error);
        return Unexpected(ExitCode::Config);
      }
      return UniqueFd();
    }
    UniqueFd fd(obs::open_log_file(global.error_log, &error));
    if (!fd) {
      spdlog::error("failed to open error_log ({}): {}", global.error_log, error);
      return Unexpected(ExitCode::Config);
    }
    if (!plan_.log_to_stderr && !obs::log_to_file(global.error_log, &error)) {
      spdlog::error("failed to open error_log ({}): {}", global.error_log, error);
      return Unexpected(ExitCode::Config);
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

  ExitCode fail(ExitCode code) {
    spdlog::error("FPM initialization failed");
    daemon_ready(daemon_fd_, false);
    return code;
  }

  // In the forked child: the master's descriptors go, the pool's sockets go to the child.
  int become_child(std::size_t pool, UniqueFd ready_read, UniqueFd ready_write) {
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
    // The other children's ready pipes: the master's copies, never read here.
    for (const auto& child : master_.children()) {
      if (child.ready_fd) ::close(child.ready_fd.get());
    }
    return run_child(setup);
  }

  ExitCode loop() {
    while (true) {
      if (auto code = master_.exit_code()) return *code;
      std::vector<pollfd> fds{{signal_fd_.get(), POLLIN, 0}};
      for (const auto& child : master_.children()) {
        if (child.ready_fd) fds.push_back({child.ready_fd.get(), POLLIN, 0});
      }
      int n = ::poll(fds.data(), fds.size(), timeout_ms());
      if (n < 0 && errno != EINTR) {
        spdlog::error("poll() failed: {}", std::strerror(errno));
        return ExitCode::Software;
      }
      for (std::size_t i = 1; i < fds.size(); ++i) {
        if (fds[i].revents) read_ready_word(fds[i].fd);
      }
      if (fds[0].revents & POLLIN) {
        signalfd_siginfo info{};
        while (::read(signal_fd_.get(), &info, sizeof info) == sizeof info) {
          const int signal = static_cast<int>(info.ssi_signo);
          if (signal == SIGCHLD) {
            reap();
          } else {
            master_.on_signal(signal, Clock::now());
          }
          if (auto code = master_.exit_code(); code && *code != ExitCode::Ok) return *code;
        }
      }
      master_.on_timers(Clock::now());
    }
  }

  int timeout_ms() const {
    const auto next = master_.next_deadline();
    if (!next) return -1;
    auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(*next - Clock::now()).count();
    return static_cast<int>(std::clamp<long long>(ms + 1, 0, kLongestWaitMs));
  }

  void read_ready_word(int fd) {
    const auto& children = master_.children();
    const auto child = std::find_if(children.begin(), children.end(), [fd](const Master::Child& c) {
      return c.ready_fd.get() == fd;
    });
    if (child == children.end()) return;
    char word = 0;
    const bool ready = ::read(fd, &word, 1) == 1;
    master_.on_child_ready(child->pid, ready);
  }

  void reap() {
    int status = 0;
    pid_t pid;
    while ((pid = ::waitpid(-1, &status, WNOHANG)) > 0) {
      master_.on_child_exit(pid, status, Clock::now());
    }
  }

  ExitCode shutdown(ExitCode code) {
    close_sockets(sockets_);
    if (plan_.config.global.pid) remove_pid_file(*plan_.config.global.pid);
    signal_fd_.reset();
    if (code == ExitCode::Ok) spdlog::info("exiting, bye-bye!");
    return code;
  }

  Plan& plan_;
  const std::vector<std::string>& argv_;
  std::vector<std::vector<BoundSocket>> sockets_;
  UniqueFd signal_fd_;
  UniqueFd daemon_fd_;
  Master master_;
};

}  // namespace

int run_master(Plan& plan, const std::vector<std::string>& argv) {
  MasterProcess master(plan, argv);
  return cli::to_int(master.run());
}

}  // namespace zfpm::proc
