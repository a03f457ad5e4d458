#pragma once
// zfpm.toml: the same model, keys spelled as php-fpm spells them (docs/configuration.md).
#include <string>
#include <string_view>

#include "zfpm/config/config.hpp"

namespace zfpm::config {

// `file` names the text in messages. No validation: see validate.hpp.
ParseResult parse_toml(std::string_view text, const std::string& file);

}  // namespace zfpm::config
