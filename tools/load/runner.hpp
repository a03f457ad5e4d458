#pragma once
// The benchmark loop: -c closed-loop clients spread over -t threads, each with its own io_context
// and Stats (merged at the end), until the duration passes, -n requests are done, or SIGINT.
#include <string>

#include "options.hpp"
#include "stats.hpp"

namespace zfpm::load {

struct RunResult {
  Stats stats;
  double elapsed_seconds = 0;
  bool interrupted = false;
};

RunResult run_load(const Options& options, const std::string& wire);

}  // namespace zfpm::load
