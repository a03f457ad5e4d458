#pragma once
// The front doors on the real filesystem: files, glob(3) and the process environment.
#include <string>

#include "zfpm/config/config.hpp"
#include "zfpm/config/fpm_ini.hpp"
#include "zfpm/config/paths.hpp"
#include "zfpm/config/source.hpp"

namespace zfpm::config {

class FileSystemSource : public ConfigSource {
 public:
  ReadResult read(const std::string& path) override;
  GlobResult glob(const std::string& pattern) override;
  std::optional<std::string> env(const std::string& name) override;
};

// Reads `file` (TOML when it ends in ".toml", else php-fpm.conf); when that succeeds, resolves
// its relative paths and validates it. The caller logs the diagnostics in order and, when
// has_errors(), php-fpm's closing lines ("failed to load configuration file '...'" or "failed to
// post process the configuration", then "FPM initialization failed") and exits 78.
ParseResult load_config(const std::string& file, const Prefixes& prefixes = {});

}  // namespace zfpm::config
