#pragma once
// `-tt`: the parsed configuration as php-fpm prints it (fpm_conf.c fpm_conf_dump), one string per
// NOTICE line: "[global]", "\tpid = ...", ..., " " between sections.
#include <string>
#include <vector>

#include "zfpm/config/config.hpp"

namespace zfpm::config {

std::vector<std::string> dump(const Config& config);

}  // namespace zfpm::config
