#pragma once
// A pool's child process: one per pool, forked by the master. It takes the pool's identity,
// starts PHP with the pool's settings and its worker threads, accepts on the sockets the master
// bound, and stops on the master's signals (docs/internals.md, "Processes", gives the order of
// its steps and why):
//   SIGTERM, SIGINT  stop now: stop accepting, close the connections, end running scripts, exit;
//   SIGQUIT          stop accepting, finish every request already accepted, exit;
//   SIGUSR1          reopen the pool's access log.
// Private to proc/.
#include <string>
#include <utility>
#include <vector>

#include "zfpm/proc/plan.hpp"
#include "zfpm/unique_fd.hpp"

namespace zfpm::proc {

struct ChildSetup {
  const Plan* plan = nullptr;
  const PoolPlan* pool = nullptr;
  std::vector<std::pair<int, std::string>> sockets;  // this pool's listen fds and their names
  std::vector<std::pair<int, std::string>> status_sockets;  // pm.status_listen
  UniqueFd ready_fd;  // one byte is written here once the child accepts, then it is closed
};

// Runs in the forked child; its result is the child's exit code: 0 after a stop, 70 when PHP or
// the pool cannot start, 78 when the process settings cannot be applied. (Where a worker thread
// is stuck in PHP, the child _exits(70) at once instead.)
int run_child(ChildSetup& setup);

}  // namespace zfpm::proc
