#pragma once
// The master (docs/internals.md, "Processes"): single-threaded, never runs PHP. It binds every
// pool's sockets, forks one child per pool, restarts a child that dies (with backoff and
// emergency_restart_threshold), and acts on php-fpm's signals with php-fpm's log lines:
//   SIGTERM, SIGINT  "Terminating ...": children stopped now, then "exiting, bye-bye!";
//   SIGQUIT          "Finishing ...": children finish what they accepted, then exit;
//   SIGUSR1          "error log file re-opened" (+ the children reopen their access logs);
//   SIGUSR2          "Reloading in progress ...": the configuration is checked, the binary
//                    re-executes itself with the same pid and the listen sockets inherited
//                    (FPM_SOCKETS); the new image starts new children and only once they are
//                    ready asks the old ones to finish — no request is refused or lost.
// docs/process-model.md tells the whole story.
#include <string>
#include <vector>

#include "zfpm/proc/plan.hpp"

namespace zfpm::proc {

// Runs until stopped; the process's exit code. `argv` is re-executed on reload.
int run_master(Plan& plan, const std::vector<std::string>& argv);

}  // namespace zfpm::proc
