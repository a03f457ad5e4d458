#include "master_state.hpp"

#include <spdlog/spdlog.h>
#include <sys/wait.h>

#include <algorithm>
#include <csignal>
#include <cstdio>

#include "daemon.hpp"
#include "signals.hpp"
#include "zfpm/obs/log.hpp"

namespace zfpm::proc {
namespace {

using Clock = Master::Clock;

// How long a stop waits for children before the next step of php-fpm's ladder
// (SIGQUIT → SIGTERM → SIGKILL): process_control_timeout, or this when it is 0.
constexpr auto kStopBound = std::chrono::seconds(10);
// Finishing's deadline is a second longer than the children's own (process_control_timeout
// bounds their drain): they get to exit on their own first.
constexpr auto kFinishingGrace = std::chrono::seconds(1);
// From SIGTERM after Finishing to SIGKILL.
constexpr auto kKillAfter = std::chrono::seconds(1);
// A child that lived less than this before dying counts as a crash loop: its restarts back off.
constexpr auto kShortLife = std::chrono::seconds(2);
constexpr auto kFirstBackoff = std::chrono::milliseconds(100);
constexpr auto kMaxBackoff = std::chrono::seconds(5);

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

std::string seconds_between(Clock::time_point start, Clock::time_point now) {
  auto us = std::chrono::duration_cast<std::chrono::microseconds>(now - start).count();
  char text[32];
  std::snprintf(text, sizeof text, "%lld.%06lld", static_cast<long long>(us / 1'000'000),
                static_cast<long long>(us % 1'000'000));
  return text;
}

}  // namespace

Master::Master(const Plan& plan, System& system)
    : plan_(plan), system_(system), pools_(plan.pools.size()) {}

void Master::adopt(const std::vector<InheritedChild>& children) {
  for (const auto& child : children) {
    children_.push_back(
        {child.pid, pool_index(child.pool_name), child.pool_name, child.started, {}, true, true});
  }
}

bool Master::start(Clock::time_point now) {
  for (std::size_t i = 0; i < plan_.pools.size(); ++i) {
    if (!spawn(i, now)) return false;
  }
  return true;
}

std::size_t Master::pool_index(const std::string& name) const {
  for (std::size_t i = 0; i < plan_.pools.size(); ++i) {
    if (plan_.pools[i].config.name == name) return i;
  }
  return plan_.pools.size();  // a pool gone from the new configuration
}

bool Master::spawn(std::size_t pool, Clock::time_point now) {
  UniqueFd ready;
  const pid_t pid = system_.fork_child(pool, ready);
  if (pid < 0) return false;
  const auto& name = plan_.pools[pool].config.name;
  children_.push_back({pid, pool, name, now, std::move(ready), false, false});
  // php-fpm logs the first children at DEBUG and restarts at NOTICE.
  spdlog::log(started_ ? spdlog::level::info : spdlog::level::debug, "[pool {}] child {} started",
              name, pid);
  return true;
}

bool Master::enter(State next, Clock::time_point now, std::string_view announce) {
  if (next <= state_) return false;
  if (!announce.empty()) {
    spdlog::info("{}", announce);
    notify_systemd("STOPPING=1");
  }
  if (state_ == State::Running) system_.stop_listening();
  state_ = next;
  if (next == State::Finishing) {
    signal_children(SIGQUIT);
    escalate_at_ = now + stop_bound() + kFinishingGrace;
  } else {
    signal_children(SIGTERM);
    escalate_at_ = now + stop_bound();
  }
  return true;
}

void Master::escalate(Clock::time_point now) {
  if (state_ == State::Finishing) {
    state_ = State::Terminating;
    signal_children(SIGTERM);
    escalate_at_ = now + kKillAfter;
  } else {
    signal_children(SIGKILL);
    escalate_at_.reset();
  }
}

void Master::on_signal(int signal, Clock::time_point now) {
  switch (signal) {
    case SIGTERM:
    case SIGINT:
      enter(State::Terminating, now, "Terminating ...");
      break;
    case SIGQUIT:
      enter(State::Finishing, now, "Finishing ...");
      break;
    case SIGUSR1:
      reopen_logs();
      break;
    case SIGUSR2:
      if (state_ == State::Running) system_.reload();
      break;
    default:
      break;
  }
}

void Master::on_child_ready(pid_t pid, bool ready) {
  for (auto& child : children_) {
    if (child.pid != pid) continue;
    child.ready_fd.reset();
    // The pipe's end without the word: the child died starting; on_child_exit says how.
    child.ready = ready;
  }
  if (!started_ && all_new_children_ready()) on_all_ready();
}

bool Master::all_new_children_ready() const {
  std::size_t running = 0;
  for (const auto& child : children_) {
    if (child.old) continue;
    if (!child.ready) return false;
    ++running;
  }
  return running == plan_.pools.size();
}

void Master::on_all_ready() {
  started_ = true;
  // After a reload: the new children accept now; the old ones finish what they hold.
  for (const auto& child : children_) {
    if (child.old) system_.kill(child.pid, SIGQUIT);
  }
  spdlog::info("ready to handle connections");
  system_.started(true);
}

void Master::signal_children(int signal) {
  for (const auto& child : children_) system_.kill(child.pid, signal);
}

std::chrono::seconds Master::stop_bound() const {
  auto timeout = plan_.config.global.process_control_timeout;
  return timeout.count() > 0 ? timeout : kStopBound;
}

void Master::on_timers(Clock::time_point now) {
  if (escalate_at_ && now >= *escalate_at_) escalate(now);
  if (state_ != State::Running) return;
  for (std::size_t i = 0; i < pools_.size(); ++i) {
    if (pools_[i].restart_at && now >= *pools_[i].restart_at) {
      pools_[i].restart_at.reset();
      if (!spawn(i, now)) pools_[i].restart_at = now + kMaxBackoff;
    }
  }
}

std::optional<Clock::time_point> Master::next_deadline() const {
  std::optional<Clock::time_point> next = escalate_at_;
  for (const auto& pool : pools_) {
    if (pool.restart_at && (!next || *pool.restart_at < *next)) next = pool.restart_at;
  }
  return next;
}

std::optional<cli::ExitCode> Master::exit_code() const {
  if (state_ == State::Running || !children_.empty()) return std::nullopt;
  return failed_start_.value_or(cli::ExitCode::Ok);
}

void Master::on_child_exit(pid_t pid, int status, Clock::time_point now) {
  auto found = std::find_if(children_.begin(), children_.end(),
                            [pid](const Child& c) { return c.pid == pid; });
  if (found == children_.end()) return;
  Child child = std::move(*found);
  children_.erase(found);
  child.ready_fd.reset();
  bool warn = false;
  std::string how = describe_exit(status, warn);
  const bool expected = child.old || state_ != State::Running;
  spdlog::log(warn && !expected ? spdlog::level::warn : spdlog::level::info,
              "[pool {}] child {} exited {} after {} seconds from start", child.pool_name, pid, how,
              seconds_between(child.started, now));
  if (!expected) {
    if (!started_) {
      // A pool that cannot start is a configuration or startup failure, not a crash to retry.
      const bool config =
          WIFEXITED(status) && WEXITSTATUS(status) == cli::to_int(cli::ExitCode::Config);
      failed_start_ = config ? cli::ExitCode::Config : cli::ExitCode::Software;
      enter(State::Terminating, now);
    } else {
      schedule_restart(child, status, now);
    }
  }
  if (failed_start_ && children_.empty()) {
    spdlog::error("FPM initialization failed");
    system_.started(false);
  }
}

void Master::schedule_restart(const Child& child, int status, Clock::time_point now) {
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
void Master::note_fault(Clock::time_point now) {
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
    system_.reload();
  }
}

void Master::reopen_logs() {
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

}  // namespace zfpm::proc
