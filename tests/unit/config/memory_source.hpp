#pragma once
// Files, globs and environment from memory, for the parsers' unit tests.
#include <fnmatch.h>

#include <map>
#include <string>

#include "zfpm/config/source.hpp"

namespace zfpm::config::testing {

class MemorySource : public ConfigSource {
 public:
  std::map<std::string, std::string> files;  // path -> text; a path ending in '/' is a directory
  std::map<std::string, std::string> environment;

  ReadResult read(const std::string& path) override {
    auto found = files.find(path);
    if (found == files.end()) return {std::nullopt, "No such file or directory (2)"};
    return {found->second, {}};
  }

  // Like glob(3) with GLOB_ERR | GLOB_MARK: sorted; a missing directory is GLOB_ABORTED (2).
  GlobResult glob(const std::string& pattern) override {
    GlobResult result;
    auto slash = pattern.rfind('/');
    auto directory = pattern.substr(0, slash + 1);
    bool directory_exists = false;
    for (const auto& [path, text] : files) {
      if (path.compare(0, directory.size(), directory) == 0) directory_exists = true;
      auto name = path.back() == '/' ? path.substr(0, path.size() - 1) : path;
      if (fnmatch(pattern.c_str(), name.c_str(), FNM_PATHNAME) == 0) result.paths.push_back(path);
    }
    if (!directory_exists) result.error = 2;
    return result;  // std::map iterates sorted, as glob(3) sorts
  }

  std::optional<std::string> env(const std::string& name) override {
    auto found = environment.find(name);
    if (found == environment.end()) return std::nullopt;
    return found->second;
  }
};

}  // namespace zfpm::config::testing
