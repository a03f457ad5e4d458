#pragma once
// The exit codes of the zfpm command, defined once: sysexits(3), as php-fpm's FPM_EXIT_* (fpm.h).
// They cross process boundaries: the master reads a child's to tell a configuration it cannot
// apply (Config) from a PHP or pool that cannot start (Software), and a daemon's waiting parent
// exits with the daemon's verdict (docs/process-model.md).
namespace zfpm::cli {

enum class ExitCode : int {
  Ok = 0,
  Usage = 64,     // EX_USAGE: the command line is wrong
  Software = 70,  // EX_SOFTWARE: PHP or a pool cannot start; the daemon did not say it is ready
  Config = 78,    // EX_CONFIG: the configuration does not load, or its settings cannot apply
};

constexpr int to_int(ExitCode code) { return static_cast<int>(code); }

}  // namespace zfpm::cli
