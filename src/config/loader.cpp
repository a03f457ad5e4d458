#include "zfpm/config/loader.hpp"

#include <glob.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <sstream>

#include "zfpm/config/toml.hpp"
#include "zfpm/config/validate.hpp"

namespace zfpm::config {

ReadResult FileSystemSource::read(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    int error = errno;
    return {std::nullopt, std::string(std::strerror(error)) + " (" + std::to_string(error) + ")"};
  }
  std::ostringstream text;
  text << in.rdbuf();
  return {text.str(), {}};
}

// glob(3) as php-fpm calls it: GLOB_ERR | GLOB_MARK, sorted.
GlobResult FileSystemSource::glob(const std::string& pattern) {
  glob_t found{};
  int rc = ::glob(pattern.c_str(), GLOB_ERR | GLOB_MARK, nullptr, &found);
  GlobResult result;
  if (rc == 0) {
    result.paths.assign(found.gl_pathv, found.gl_pathv + found.gl_pathc);
  } else if (rc != GLOB_NOMATCH) {
    result.error = rc;
  }
  globfree(&found);
  return result;
}

std::optional<std::string> FileSystemSource::env(const std::string& name) {
  if (const char* value = std::getenv(name.c_str())) return std::string(value);
  return std::nullopt;
}

ParseResult load_config(const std::string& file, const Prefixes& prefixes) {
  FileSystemSource source;
  ParseResult result;
  if (file.size() >= 5 && file.compare(file.size() - 5, 5, ".toml") == 0) {
    auto read = source.read(file);
    if (!read.text) {
      result.diagnostics.push_back(
          {file, 0, "failed to open configuration file '" + file + "': " + read.error});
      return result;
    }
    result = parse_toml(*read.text, file);
  } else {
    result = load_fpm_ini(file, source, {.prefix = prefixes.include_prefix()});
  }
  if (!result.ok()) return result;
  // Paths first, as php-fpm: two pools' listen sockets are compared once prefixed.
  auto paths = resolve_paths(result.config, prefixes);
  result.diagnostics.insert(result.diagnostics.end(), paths.begin(), paths.end());
  auto checks = validate(result.config);
  result.diagnostics.insert(result.diagnostics.end(), checks.begin(), checks.end());
  return result;
}

}  // namespace zfpm::config
