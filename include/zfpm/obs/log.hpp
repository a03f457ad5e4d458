#pragma once
// The error log: spdlog on stderr, in php-fpm's grammar so that what users and tests grep for
// keeps working: "[21-Nov-2026 10:00:00] NOTICE: ready to handle connections".
#include <spdlog/spdlog.h>

#include <optional>
#include <string_view>

namespace zfpm::obs {

// php-fpm's log_level names: debug, notice, warning, error, alert.
std::optional<spdlog::level::level_enum> parse_log_level(std::string_view name);

// Installs the stderr logger with php-fpm's line format as spdlog's default.
void init_logging(spdlog::level::level_enum level);

}  // namespace zfpm::obs
