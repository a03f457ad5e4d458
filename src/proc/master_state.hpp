#pragma once
// The master's decisions, apart from the system calls that carry them out: which children run,
// when a dead one is started again, and the stop ladder (php-fpm's fpm_process_ctl.c: fpm_pctl
// and fpm_pctl_action_next). Every change of state goes through enter() and escalate(). The
// master process (master.cpp) feeds it signals, child exits, ready words and the clock, and
// carries out its forks, signals and reloads through Master::System, which the unit tests
// replace (tests/unit/proc/master_state_test.cpp). Single-threaded. Private to proc/.
#include <sys/types.h>

#include <chrono>
#include <cstddef>
#include <deque>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "inherited_children.hpp"
#include "zfpm/cli/exit_code.hpp"
#include "zfpm/proc/plan.hpp"
#include "zfpm/unique_fd.hpp"

namespace zfpm::proc {

class Master {
 public:
  using Clock = std::chrono::steady_clock;

  // fpm_pctl's states: a stop only moves forward, and Terminating overrides Finishing.
  enum class State {
    Running,
    Finishing,    // SIGQUIT: children finish what they accepted
    Terminating,  // SIGTERM, SIGINT, a pool that cannot start, or Finishing's deadline
  };

  // What the master does to processes.
  class System {
   public:
    virtual ~System() = default;
    // Forks pool `pool`'s child; its pid, with `ready` set to the read end of its ready pipe.
    // -1 when it cannot (logged).
    virtual pid_t fork_child(std::size_t pool, UniqueFd& ready) = 0;
    virtual void kill(pid_t pid, int signal) = 0;
    // SIGUSR2, emergency_restart_threshold: re-executes the master in place. Returns only when
    // it could not (logged); the master then goes on as it was.
    virtual void reload() = 0;
    // Every pool's first child accepts (`ok`), or the start failed: systemd and a daemon's
    // waiting parent hear it.
    virtual void started(bool ok) = 0;
    // A stop (not a reload): the master closes its copies of the listening sockets before it
    // signals the children, so that the socket closes with the children's copies and a new client
    // is refused instead of queued for nobody. The Unix socket files go when the master exits.
    virtual void stop_listening() = 0;
  };

  struct Child {
    pid_t pid = -1;
    std::size_t pool = 0;  // plan.pools.size() for a pool gone from the configuration
    std::string pool_name;
    Clock::time_point started;
    UniqueFd ready_fd;   // read end of the child's ready pipe, until it said so
    bool old = false;    // from before a reload: asked to finish once the new ones are ready
    bool ready = false;  // it accepts connections
  };

  Master(const Plan& plan, System& system);

  // The children of the image before a reload (inherited_children.hpp): they serve until the new
  // children are ready, then are asked to finish.
  void adopt(const std::vector<InheritedChild>& children);
  // Forks every pool's first child; false when one cannot be forked.
  bool start(Clock::time_point now);

  // SIGTERM, SIGINT, SIGQUIT, SIGUSR1, SIGUSR2 (the caller reaps on SIGCHLD: on_child_exit).
  void on_signal(int signal, Clock::time_point now);
  // A child's ready pipe: its word (`ready`), or the end of the pipe without it (it died).
  void on_child_ready(pid_t pid, bool ready);
  // A child reaped with waitpid's `status`; other pids are ignored.
  void on_child_exit(pid_t pid, int status, Clock::time_point now);
  // The ladder's next step and the restarts that are due.
  void on_timers(Clock::time_point now);

  // When on_timers has something to do next.
  std::optional<Clock::time_point> next_deadline() const;
  // Set once the master is done: every child gone after a stop (Ok), or after a pool could not
  // start (Config when its child exited with Config, else Software).
  std::optional<cli::ExitCode> exit_code() const;

  State state() const { return state_; }
  const std::vector<Child>& children() const { return children_; }

 private:
  // The only ways the state changes. enter() refuses a state that is not further along (a
  // repeated or weaker stop, returning false); with `announce`, it logs php-fpm's line and tells
  // systemd first. It signals the children (SIGQUIT or SIGTERM) and arms the next step.
  bool enter(State next, Clock::time_point now, std::string_view announce = {});
  // What did not finish in time gets SIGTERM (from Finishing, which becomes Terminating), then,
  // a second later, SIGKILL.
  void escalate(Clock::time_point now);

  bool spawn(std::size_t pool, Clock::time_point now);
  std::size_t pool_index(const std::string& name) const;
  bool all_new_children_ready() const;
  void on_all_ready();
  void signal_children(int signal);
  std::chrono::seconds stop_bound() const;
  void schedule_restart(const Child& child, int status, Clock::time_point now);
  void note_fault(Clock::time_point now);
  void reopen_logs();

  struct PoolState {
    std::optional<Clock::time_point> restart_at;  // a restart is due then
    int short_lives = 0;                          // consecutive crash-loop deaths
  };

  const Plan& plan_;
  System& system_;
  std::vector<Child> children_;
  std::vector<PoolState> pools_;
  std::deque<Clock::time_point> faults_;
  State state_ = State::Running;
  std::optional<Clock::time_point> escalate_at_;
  bool started_ = false;  // every pool's first child said it is ready
  std::optional<cli::ExitCode> failed_start_;
};

}  // namespace zfpm::proc
