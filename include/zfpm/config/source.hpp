#pragma once
// What the parsers need from the outside world, behind an interface so that they stay pure:
// unit tests feed files, globs and environment from memory, loader.hpp from the real system.
#include <optional>
#include <string>
#include <vector>

namespace zfpm::config {

struct ReadResult {
  std::optional<std::string> text;  // unset: could not be read
  std::string error;                // then why, as zlog's syserror suffix: "No such file ... (2)"
};

struct GlobResult {
  std::vector<std::string> paths;  // glob(3) order (sorted); directories end with '/' (GLOB_MARK)
  int error = 0;                   // glob(3)'s return code other than GLOB_NOMATCH; 0 otherwise
};

class ConfigSource {
 public:
  virtual ~ConfigSource() = default;
  virtual ReadResult read(const std::string& path) = 0;
  virtual GlobResult glob(const std::string& pattern) = 0;
  // ${NAME} in php-fpm.conf: php-fpm asks php.ini's directives first, then the environment.
  virtual std::optional<std::string> env(const std::string& name) = 0;
};

}  // namespace zfpm::config
