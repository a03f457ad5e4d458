#include "proc/master_state.hpp"

#include <doctest/doctest.h>

#include <chrono>
#include <csignal>
#include <string>
#include <utility>
#include <vector>

namespace zfpm::proc {
namespace {

using namespace std::chrono_literals;
using Clock = Master::Clock;
using State = Master::State;

// waitpid's status words (Linux): a normal exit, and a death by a signal.
int exited(int code) { return code << 8; }
int killed(int signal) { return signal; }

// The processes the master would start and signal, written down instead.
struct RecordingSystem final : Master::System {
  pid_t next_pid = 1000;
  bool fork_fails = false;
  std::vector<std::pair<std::size_t, pid_t>> forks;  // pool, pid
  std::vector<std::pair<pid_t, int>> kills;
  int reloads = 0;
  std::vector<bool> starts;
  int stopped_listening = 0;
  std::size_t kills_before_stop_listening = 0;

  pid_t fork_child(std::size_t pool, UniqueFd&) override {
    if (fork_fails) return -1;
    forks.emplace_back(pool, next_pid);
    return next_pid++;
  }
  void kill(pid_t pid, int signal) override { kills.emplace_back(pid, signal); }
  void reload() override { ++reloads; }
  void started(bool ok) override { starts.push_back(ok); }
  void stop_listening() override {
    ++stopped_listening;
    kills_before_stop_listening = kills.size();
  }

  // The signals sent since the last look, in order.
  std::vector<std::pair<pid_t, int>> take_kills() { return std::exchange(kills, {}); }
};

Plan plan_of(const std::vector<std::string>& pools, std::chrono::seconds control_timeout = 5s) {
  Plan plan;
  plan.config.global.process_control_timeout = control_timeout;
  for (const auto& name : pools) {
    PoolPlan pool;
    pool.config.name = name;
    plan.config.pools.push_back(pool.config);
    plan.pools.push_back(std::move(pool));
  }
  return plan;
}

// A master whose every pool's first child has said it is ready.
struct Running {
  explicit Running(Plan p) : plan(std::move(p)), master(plan, system) {
    REQUIRE(master.start(t0));
    for (const auto& [pool, pid] : system.forks) master.on_child_ready(pid, true);
    REQUIRE(system.starts == std::vector<bool>{true});
    system.forks.clear();
  }
  pid_t pid_of(std::size_t pool) const {
    for (const auto& child : master.children()) {
      if (child.pool == pool) return child.pid;
    }
    return -1;
  }

  Plan plan;
  RecordingSystem system;
  Master master;
  Clock::time_point t0 = Clock::now();
};

TEST_CASE("a master starts one child per pool and is ready once each has said so") {
  Plan plan = plan_of({"www", "api"});
  RecordingSystem system;
  Master master(plan, system);
  const auto t0 = Clock::now();
  REQUIRE(master.start(t0));
  REQUIRE(system.forks.size() == 2);
  CHECK(system.forks[0].first == 0);
  CHECK(system.forks[1].first == 1);
  master.on_child_ready(system.forks[1].second, true);
  CHECK(system.starts.empty());
  master.on_child_ready(system.forks[0].second, true);
  CHECK(system.starts == std::vector<bool>{true});
  CHECK(master.state() == State::Running);
  CHECK_FALSE(master.exit_code().has_value());
  CHECK_FALSE(master.next_deadline().has_value());
}

TEST_CASE("after SIGQUIT the ladder sends SIGTERM, then SIGKILL, each when its time is up") {
  Running run(plan_of({"www"}, 5s));
  const pid_t child = run.pid_of(0);
  run.master.on_signal(SIGQUIT, run.t0);
  CHECK(run.master.state() == State::Finishing);
  CHECK(run.system.take_kills() == std::vector<std::pair<pid_t, int>>{{child, SIGQUIT}});
  REQUIRE(run.master.next_deadline() == run.t0 + 6s);

  run.master.on_timers(run.t0 + 5900ms);
  CHECK(run.system.take_kills().empty());
  run.master.on_timers(run.t0 + 6s);
  CHECK(run.master.state() == State::Terminating);
  CHECK(run.system.take_kills() == std::vector<std::pair<pid_t, int>>{{child, SIGTERM}});
  REQUIRE(run.master.next_deadline() == run.t0 + 7s);

  run.master.on_timers(run.t0 + 7s);
  CHECK(run.system.take_kills() == std::vector<std::pair<pid_t, int>>{{child, SIGKILL}});
  CHECK_FALSE(run.master.next_deadline().has_value());
  run.master.on_timers(run.t0 + 60s);
  CHECK(run.system.take_kills().empty());
}

TEST_CASE("without process_control_timeout the ladder waits 10 seconds") {
  Running run(plan_of({"www"}, 0s));
  run.master.on_signal(SIGTERM, run.t0);
  CHECK(run.system.take_kills() == std::vector<std::pair<pid_t, int>>{{run.pid_of(0), SIGTERM}});
  CHECK(run.master.next_deadline() == run.t0 + 10s);
  run.master.on_timers(run.t0 + 10s);
  CHECK(run.system.take_kills() == std::vector<std::pair<pid_t, int>>{{run.pid_of(0), SIGKILL}});
}

// Its copies closed first, the listening sockets close with the children's: a client that comes
// during a graceful stop is refused at once rather than queued for nobody.
TEST_CASE("a stop closes the master's listening sockets once, before any child is signalled") {
  Running run(plan_of({"www", "api"}));
  CHECK(run.system.stopped_listening == 0);
  run.master.on_signal(SIGQUIT, run.t0);
  CHECK(run.system.stopped_listening == 1);
  CHECK(run.system.kills_before_stop_listening == 0);
  CHECK(run.system.take_kills().size() == 2);
  run.master.on_signal(SIGTERM, run.t0 + 1s);
  CHECK(run.system.stopped_listening == 1);

  Running other(plan_of({"www"}));
  other.master.on_signal(SIGTERM, other.t0);
  CHECK(other.system.stopped_listening == 1);
  CHECK(other.system.kills_before_stop_listening == 0);
}

TEST_CASE("SIGTERM overrides a SIGQUIT under way, and a repeated or weaker stop changes nothing") {
  Running run(plan_of({"www", "api"}));
  run.master.on_signal(SIGQUIT, run.t0);
  CHECK(run.system.take_kills().size() == 2);
  run.master.on_signal(SIGQUIT, run.t0 + 1s);
  CHECK(run.system.take_kills().empty());

  run.master.on_signal(SIGINT, run.t0 + 2s);
  CHECK(run.master.state() == State::Terminating);
  const auto kills = run.system.take_kills();
  REQUIRE(kills.size() == 2);
  CHECK(kills[0].second == SIGTERM);
  CHECK(kills[1].second == SIGTERM);
  CHECK(run.master.next_deadline() == run.t0 + 2s + 5s);

  run.master.on_signal(SIGTERM, run.t0 + 3s);
  run.master.on_signal(SIGQUIT, run.t0 + 3s);
  CHECK(run.system.take_kills().empty());
  CHECK(run.master.next_deadline() == run.t0 + 7s);
}

TEST_CASE("a stop is over once every child has gone, and the master exits with 0") {
  Running run(plan_of({"www", "api"}));
  run.master.on_signal(SIGTERM, run.t0);
  run.master.on_child_exit(run.pid_of(0), exited(0), run.t0 + 1s);
  CHECK_FALSE(run.master.exit_code().has_value());
  run.master.on_child_exit(4242, exited(0), run.t0 + 1s);  // not one of ours
  CHECK_FALSE(run.master.exit_code().has_value());
  run.master.on_child_exit(run.pid_of(1), killed(SIGTERM), run.t0 + 1s);
  CHECK(run.master.exit_code() == cli::ExitCode::Ok);
  CHECK(run.system.forks.empty());  // nothing restarted while stopping
}

TEST_CASE("a dead child is started again at once, or after a growing pause if it died young") {
  Running run(plan_of({"www"}));
  auto t = run.t0 + 60s;
  run.master.on_child_exit(run.pid_of(0), killed(SIGKILL), t);
  REQUIRE(run.master.next_deadline() == t);  // it had lived long: no pause
  run.master.on_timers(t);
  REQUIRE(run.system.forks.size() == 1);

  // Dying within 2 s of each start: the second death in a row waits 100 ms, then 200, 400 ms.
  for (const auto pause : {0ms, 100ms, 200ms, 400ms}) {
    CAPTURE(pause.count());
    const pid_t child = run.pid_of(0);
    t += 500ms;
    run.master.on_child_exit(child, exited(255), t);
    REQUIRE(run.master.next_deadline() == t + pause);
    run.system.forks.clear();
    if (pause > 0ms) {
      run.master.on_timers(t + pause - 1ms);
      CHECK(run.system.forks.empty());
    }
    t += pause;
    run.master.on_timers(t);
    REQUIRE(run.system.forks.size() == 1);
  }
  CHECK(run.master.state() == State::Running);
}

TEST_CASE("a restart that cannot fork is tried again 5 seconds later") {
  Running run(plan_of({"www"}));
  const auto t = run.t0 + 60s;
  run.master.on_child_exit(run.pid_of(0), killed(SIGKILL), t);
  run.system.fork_fails = true;
  run.master.on_timers(t);
  CHECK(run.master.children().empty());
  REQUIRE(run.master.next_deadline() == t + 5s);
  run.system.fork_fails = false;
  run.master.on_timers(t + 5s);
  CHECK(run.system.forks.size() == 1);
  CHECK(run.master.children().size() == 1);
}

TEST_CASE(
    "a pool whose first child fails stops the others, and the master exits with that "
    "failure: 78 for the configuration, else 70") {
  for (const auto& [status, code] : {std::pair{exited(78), cli::ExitCode::Config},
                                     std::pair{exited(70), cli::ExitCode::Software},
                                     std::pair{killed(SIGSEGV), cli::ExitCode::Software}}) {
    CAPTURE(status);
    Plan plan = plan_of({"www", "api"});
    RecordingSystem system;
    Master master(plan, system);
    const auto t0 = Clock::now();
    REQUIRE(master.start(t0));
    const pid_t www = system.forks[0].second;
    const pid_t api = system.forks[1].second;
    master.on_child_ready(www, true);
    master.on_child_ready(api, false);  // its ready pipe closed without the word
    master.on_child_exit(api, status, t0 + 1s);
    CHECK(master.state() == State::Terminating);
    CHECK(system.kills == std::vector<std::pair<pid_t, int>>{{www, SIGTERM}});
    CHECK(system.starts.empty());
    CHECK_FALSE(master.exit_code().has_value());
    master.on_child_exit(www, exited(0), t0 + 2s);
    CHECK(master.exit_code() == code);
    CHECK(system.starts == std::vector<bool>{false});
    CHECK(system.forks.size() == 2);  // nothing restarted
  }
}

TEST_CASE("emergency_restart_threshold crashes within the interval ask for a reload") {
  Plan plan = plan_of({"www"});
  plan.config.global.emergency_restart_threshold = 3;
  plan.config.global.emergency_restart_interval = 10s;
  Running run(std::move(plan));
  auto t = run.t0 + 60s;
  auto crash = [&](int signal, std::chrono::milliseconds after) {
    t += after;
    run.master.on_child_exit(run.pid_of(0), killed(signal), t);
    run.master.on_timers(t + 1s);  // restarted (the pause stays under a second here)
    t += 1s;
  };
  crash(SIGSEGV, 0ms);  // at 60 s
  crash(SIGKILL, 0ms);  // not a fault
  crash(SIGBUS, 0ms);   // at 62 s
  CHECK(run.system.reloads == 0);
  crash(SIGSEGV, 8s);  // at 71 s: the first fault is out of the 10 s by now
  CHECK(run.system.reloads == 0);
  crash(SIGSEGV, 0ms);  // at 72 s: three within 10 s
  CHECK(run.system.reloads == 1);
}

TEST_CASE("SIGUSR2 reloads while running, not once a stop is under way") {
  Running run(plan_of({"www"}));
  run.master.on_signal(SIGUSR2, run.t0);
  CHECK(run.system.reloads == 1);
  run.master.on_signal(SIGQUIT, run.t0);
  run.master.on_signal(SIGUSR2, run.t0);
  CHECK(run.system.reloads == 1);
}

TEST_CASE(
    "after a reload, the old image's children are asked to finish once the new ones are "
    "ready, and their exits are expected") {
  Plan plan = plan_of({"www"});
  RecordingSystem system;
  Master master(plan, system);
  const auto t0 = Clock::now();
  master.adopt({{77, "www", t0 - 1h}, {78, "gone", t0 - 1h}});
  REQUIRE(master.start(t0));
  REQUIRE(system.forks.size() == 1);
  CHECK(system.kills.empty());
  master.on_child_ready(system.forks[0].second, true);
  CHECK(system.kills == std::vector<std::pair<pid_t, int>>{{77, SIGQUIT}, {78, SIGQUIT}});
  CHECK(system.starts == std::vector<bool>{true});
  master.on_child_exit(77, exited(0), t0 + 1s);
  master.on_child_exit(78, exited(0), t0 + 1s);
  CHECK_FALSE(master.next_deadline().has_value());  // neither is restarted
  CHECK(master.children().size() == 1);
}

}  // namespace
}  // namespace zfpm::proc
