#pragma once
// php-fpm.conf: php-fpm's INI dialect (fpm_conf.c fpm_conf_load_ini_file, each physical line
// through the Zend INI scanner in normal mode), include= globs, $pool and ${ENV}.
#include <string>
#include <string_view>

#include "zfpm/config/config.hpp"
#include "zfpm/config/source.hpp"

namespace zfpm::config {

struct FpmIniOptions {
  // A relative include= glob is taken relative to -p, else php-fpm's install prefix (Debian's
  // is /usr): never relative to the including file (fpm_conf.c fpm_evaluate_full_path).
  std::string prefix = "/usr";
};

// Parses `text` as the file `file` (used in messages); include= files are read via `source`.
// No validation: see validate.hpp.
ParseResult parse_fpm_ini(std::string_view text, const std::string& file, ConfigSource& source,
                          const FpmIniOptions& options = {});

// Reads `file` through `source` first ("failed to open configuration file '...'").
ParseResult load_fpm_ini(const std::string& file, ConfigSource& source,
                         const FpmIniOptions& options = {});

}  // namespace zfpm::config
