#pragma once
// A configuration diagnostic: php-fpm's exact wording in `message`, and where it comes from.
#include <string>
#include <vector>

namespace zfpm::config {

// php-fpm's zlog levels for the same events (fpm_conf.c logs ALERT for a pool that cannot run,
// ERROR for a bad entry, WARNING for an include that matches nothing, NOTICE for a fix-up).
enum class Level { Notice, Warning, Error, Alert };

struct Error {
  std::string file;     // "" when php-fpm names the pool instead ("[pool www] ...")
  int line = 0;         // 1-based; 0 with file "" (a whole-config check)
  std::string message;  // complete text as php-fpm logs it, e.g. "[a.conf:12] unknown entry 'foo'"
  Level level = Level::Error;

  bool operator==(const Error&) const = default;
};

using Diagnostics = std::vector<Error>;

// True when a diagnostic at Error or Alert is present: the configuration must not be used.
bool has_errors(const Diagnostics& diagnostics);

// "ERROR", "WARNING", ... as zlog prints them.
const char* level_name(Level level);

}  // namespace zfpm::config
