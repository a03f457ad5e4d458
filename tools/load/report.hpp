#pragma once
// The run's summary, for people (aligned text) or scripts (one JSON object on one line).
#include <iosfwd>

#include "options.hpp"
#include "stats.hpp"

namespace zfpm::load {

struct RunSummary {
  const Options& options;
  const Stats& stats;
  double elapsed_seconds;
  bool interrupted;  // SIGINT/SIGTERM ended the run early
};

void print_text(std::ostream& out, const RunSummary& summary);
void print_json(std::ostream& out, const RunSummary& summary);

}  // namespace zfpm::load
