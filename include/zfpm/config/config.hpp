#pragma once
// The whole configuration, as read from zfpm.toml or php-fpm.conf (+ include=): one global
// section and the pools in the order their sections first appear.
#include <string_view>
#include <vector>

#include "zfpm/config/error.hpp"
#include "zfpm/config/global.hpp"
#include "zfpm/config/pool.hpp"

namespace zfpm::config {

struct Config {
  GlobalConfig global;
  std::vector<PoolConfig> pools;

  bool operator==(const Config&) const = default;

  // The pool named `name` (case-insensitively, as php-fpm re-opens sections), or nullptr.
  PoolConfig* find_pool(std::string_view name);
};

// What a front door (fpm_ini.hpp, toml.hpp) hands back: the model, and every diagnostic.
struct ParseResult {
  Config config;
  Diagnostics diagnostics;

  bool ok() const { return !has_errors(diagnostics); }
};

}  // namespace zfpm::config
