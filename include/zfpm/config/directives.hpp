#pragma once
// The directive table shared by both front doors: a directive's text value (as php-fpm's INI
// scanner leaves it, or a TOML value rendered to text) applied to the model with php-fpm's
// value parsers (fpm_conf.c fpm_conf_set_*) and their error texts.
#include <string>
#include <string_view>
#include <vector>

#include "zfpm/config/global.hpp"
#include "zfpm/config/pool.hpp"
#include "zfpm/config/values.hpp"

namespace zfpm::config {

struct DirectiveOutcome {
  enum class Kind { Ok, Unknown, Invalid } kind = Kind::Ok;
  std::string name;    // php-fpm's spelling of the directive (names match case-insensitively)
  std::string reason;  // Invalid: php-fpm's text, e.g. "invalid boolean value"
};

DirectiveOutcome set_global_directive(GlobalConfig& global, std::string_view name,
                                      std::string_view value);
DirectiveOutcome set_pool_directive(PoolConfig& pool, std::string_view name,
                                    std::string_view value);

// php_value[key] = value and the other arrays (env, php_flag, php_admin_value, php_admin_flag,
// access.suppress_path). Returns php-fpm's error texts; empty when the entry was stored.
std::vector<std::string> add_pool_array(PoolConfig& pool, std::string_view name,
                                        std::string_view key, std::string_view value);

bool is_pool_array(std::string_view name);

}  // namespace zfpm::config
