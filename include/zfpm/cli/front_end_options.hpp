#pragma once
// The front end's interim command-line options: listen.* semantics, limits and timeouts, named
// after php-fpm's directives where php-fpm has one (--listen-backlog is listen.backlog). They
// move into the configuration file when it arrives; docs/running.md lists them.
#include <optional>
#include <string>
#include <string_view>

#include "zfpm/cli/options.hpp"
#include "zfpm/net/settings.hpp"

namespace zfpm::cli {

bool is_front_end_option(std::string_view name);

// Sets the option from its value. Sizes take php.ini's K/M/G suffixes, times php-fpm's s/m/h.
std::optional<UsageError> set_front_end_option(net::ServerSettings& settings, std::string_view name,
                                               std::string_view value);

// Their lines for --help.
std::string front_end_usage();

}  // namespace zfpm::cli
