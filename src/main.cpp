// zfpm: php-fpm's command line; a master process and one multithreaded child per pool.
#include <spdlog/spdlog.h>

#include <cstdio>
#include <string>
#include <vector>

#include "zfpm/cli/exit_code.hpp"
#include "zfpm/cli/options.hpp"
#include "zfpm/obs/log.hpp"
#include "zfpm/php/runtime.hpp"
#include "zfpm/proc/master.hpp"
#include "zfpm/proc/plan.hpp"

namespace {

zfpm::php::RuntimeSettings php_settings(const zfpm::cli::Options& options) {
  return {.php_ini = options.php_ini,
          .no_php_ini = options.no_php_ini,
          .ini_defines = options.ini_defines,
          .document_root = options.root,
          .pool = {}};
}

}  // namespace

int main(int argc, char** argv) {
  zfpm::obs::init_logging(spdlog::level::info);
  auto parsed = zfpm::cli::parse_options(std::span<const char* const>(argv, argc));
  if (!parsed) {
    // php-fpm prints its usage, and only that, to stdout (bug78323.phpt).
    std::fputs(zfpm::cli::usage(argv[0]).c_str(), stdout);
    return zfpm::cli::to_int(zfpm::cli::ExitCode::Usage);
  }
  const auto& options = *parsed;
  if (options.help) {
    std::fputs(zfpm::cli::usage(argv[0]).c_str(), stdout);
    return 0;
  }
  if (options.version) {
    // php-fpm's three lines, nothing after them (main-version.phpt): zfpm's own version goes at
    // the end of the first line, after "(built: ...)".
    const std::string text = zfpm::php::version_text();
    const auto eol = text.find('\n');
    std::printf("%s (zfpm %s)%s\n", text.substr(0, eol).c_str(), ZFPM_VERSION,
                eol == std::string::npos ? "" : text.substr(eol).c_str());
    return 0;
  }
  if (options.info) return zfpm::php::print_info(php_settings(options));
  if (options.modules) return zfpm::php::print_modules(php_settings(options));
  if (options.log_level) spdlog::set_level(*options.log_level);

  auto plan = zfpm::proc::make_plan(options);
  if (!plan) return zfpm::cli::to_int(plan.error());
  std::vector<std::string> args(argv, argv + argc);
  return zfpm::proc::run_master(*plan, args);
}
