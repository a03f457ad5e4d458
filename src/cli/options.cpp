#include "zfpm/cli/options.hpp"

#include <charconv>
#include <string_view>

#include "zfpm/cli/front_end_options.hpp"
#include "zfpm/obs/log.hpp"

namespace zfpm::cli {
namespace {

constexpr unsigned kMaxWorkers = 4096;

using Result = std::optional<UsageError>;

// php-fpm's short flags: the letter, its long forms, and whether it takes a value.
struct Flag {
  char letter;
  std::string_view long_names[2];
  bool takes_value;
};

constexpr Flag kFlags[] = {
    {'c', {"php-ini", ""}, true},
    {'n', {"no-php-ini", ""}, false},
    {'d', {"define", ""}, true},
    {'e', {"profile-info", ""}, false},
    {'h', {"help", "usage"}, false},
    {'?', {"", ""}, false},
    {'i', {"info", ""}, false},
    {'m', {"modules", ""}, false},
    {'v', {"version", ""}, false},
    {'y', {"fpm-config", "config"}, true},
    {'p', {"prefix", ""}, true},
    {'g', {"pid", ""}, true},
    {'t', {"test", ""}, false},
    {'D', {"daemonize", ""}, false},
    {'F', {"nodaemonize", ""}, false},
    {'O', {"force-stderr", ""}, false},
    {'R', {"allow-to-run-as-root", ""}, false},
};

const Flag* short_flag(char letter) {
  for (const auto& flag : kFlags) {
    if (flag.letter == letter) return &flag;
  }
  return nullptr;
}

const Flag* long_flag(std::string_view name) {
  for (const auto& flag : kFlags) {
    for (auto long_name : flag.long_names) {
      if (!long_name.empty() && long_name == name) return &flag;
    }
  }
  return nullptr;
}

Result set_flag(Options& options, char letter, std::string_view value) {
  switch (letter) {
    case 'c':
      options.php_ini = value;
      break;
    case 'n':
      options.no_php_ini = true;
      break;
    case 'd':
      // php-fpm (like php-cli) takes "-d foo" as "foo=1".
      options.ini_defines.emplace_back(value.find('=') == std::string_view::npos
                                           ? std::string(value) + "=1"
                                           : std::string(value));
      break;
    case 'e':
      options.profile_info = true;
      break;
    case 'h':
    case '?':
      options.help = true;
      break;
    case 'i':
      options.info = true;
      break;
    case 'm':
      options.modules = true;
      break;
    case 'v':
      options.version = true;
      break;
    case 'y':
      options.fpm_config = value;
      break;
    case 'p':
      options.prefix = std::string(value);
      break;
    case 'g':
      options.pid = std::string(value);
      break;
    case 't':
      ++options.test;
      break;
    case 'D':
      options.daemonize = true;
      break;
    case 'F':
      options.daemonize = false;
      break;
    case 'O':
      options.force_stderr = true;
      break;
    case 'R':
      options.allow_root = true;
      break;
    default:
      return UsageError{std::string("unknown option '-") + letter + "'"};
  }
  return std::nullopt;
}

Result parse_workers(Options& options, std::string_view text) {
  unsigned value = 0;
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (ec != std::errc{} || end != text.data() + text.size() || value == 0 ||
      value > kMaxWorkers) {
    return UsageError{"--workers takes a whole number from 1 to " + std::to_string(kMaxWorkers)};
  }
  options.workers = value;
  return std::nullopt;
}

// zfpm's own long options (name with its leading "--"); nullopt when `name` is none of them.
std::optional<Result> set_zfpm_option(Options& options, std::string_view name,
                                      std::string_view value) {
  if (name == "--listen") {
    options.listen.emplace_back(value);
    return Result{};
  }
  if (name == "--workers") return parse_workers(options, value);
  if (name == "--root") {
    options.root = value;
    return Result{};
  }
  if (name == "--security-limit-extensions") {
    options.security_limit_extensions = value;
    return Result{};
  }
  if (name == "--log-level") {
    auto level = obs::parse_log_level(value);
    if (!level) return UsageError{"--log-level takes debug, notice, warning, error or alert"};
    options.log_level = *level;
    return Result{};
  }
  if (is_front_end_option(name)) {
    if (name.starts_with("--listen-")) options.server_listen_given = true;
    return set_front_end_option(options.server, name, value);
  }
  return std::nullopt;
}

}  // namespace

Expected<Options, UsageError> parse_options(std::span<const char* const> args) {
  Options options;
  for (std::size_t i = 1; i < args.size(); ++i) {
    std::string_view arg = args[i];
    if (arg.starts_with("--")) {
      std::string_view name = arg;
      std::optional<std::string_view> inline_value;
      if (auto eq = arg.find('='); eq != std::string_view::npos) {
        name = arg.substr(0, eq);
        inline_value = arg.substr(eq + 1);
      }
      auto next_value = [&]() -> std::optional<std::string_view> {
        if (inline_value) return inline_value;
        if (i + 1 >= args.size()) return std::nullopt;
        return std::string_view(args[++i]);
      };
      if (const Flag* flag = long_flag(name.substr(2))) {
        std::string_view value;
        if (flag->takes_value) {
          auto v = next_value();
          if (!v) return Unexpected(UsageError{std::string(name) + " needs a value"});
          value = *v;
        } else if (inline_value) {
          return Unexpected(UsageError{std::string(name) + " takes no value"});
        }
        if (auto error = set_flag(options, flag->letter, value)) return Unexpected(*error);
        continue;
      }
      // Every zfpm option takes a value.
      auto v = next_value();
      auto handled = set_zfpm_option(options, name, v.value_or(""));
      if (!handled) return Unexpected(UsageError{"unknown option '" + std::string(arg) + "'"});
      if (!v) return Unexpected(UsageError{std::string(name) + " needs a value"});
      if (*handled) return Unexpected(**handled);
      continue;
    }
    if (arg.size() < 2 || arg[0] != '-') {
      return Unexpected(UsageError{"unexpected argument '" + std::string(arg) + "'"});
    }
    // Grouped short flags, as php_getopt reads them: "-tt", "-FOR", "-dfoo=bar", "-c /etc".
    for (std::size_t at = 1; at < arg.size(); ++at) {
      const Flag* flag = short_flag(arg[at]);
      if (!flag) return Unexpected(UsageError{"unknown option '-" + std::string(1, arg[at]) + "'"});
      std::string_view value;
      if (flag->takes_value) {
        if (at + 1 < arg.size()) {
          value = arg.substr(at + 1);
        } else if (i + 1 < args.size()) {
          value = args[++i];
        } else {
          return Unexpected(UsageError{"-" + std::string(1, flag->letter) + " needs a value"});
        }
        at = arg.size();
      }
      if (auto error = set_flag(options, flag->letter, value)) return Unexpected(*error);
    }
  }
  if (!options.fpm_config.empty() && !options.listen.empty()) {
    return Unexpected(
        UsageError{"--listen describes a pool of its own; with -y, listen is in the pool"});
  }
  if (options.server_listen_given && options.listen.empty()) {
    return Unexpected(
        UsageError{"--listen-* options go with --listen; with -y, use the pool's listen.*"});
  }
  return options;
}

std::string usage(std::string_view argv0) {
  auto slash = argv0.rfind('/');
  std::string prog(slash == std::string_view::npos ? argv0 : argv0.substr(slash + 1));
  // php-fpm's own text (fpm_main.c php_cgi_usage), then zfpm's additions.
  std::string text = "Usage: " + prog +
                     " [-n] [-e] [-h] [-i] [-m] [-v] [-t] [-p <prefix>] [-g <pid>] [-c <file>] "
                     "[-d foo[=bar]] [-y <file>] [-D] [-F [-O]]\n";
  text += R"(  -c <path>|<file> Look for php.ini file in this directory
  -n               No php.ini file will be used
  -d foo[=bar]     Define INI entry foo with value 'bar'
  -e               Generate extended information for debugger/profiler
  -h               This help
  -i               PHP information
  -m               Show compiled in modules
  -v               Version number
  -p, --prefix <dir>
                   Specify alternative prefix path to FastCGI process manager (default: /usr).
  -g, --pid <file>
                   Specify the PID file location.
  -y, --fpm-config <file>
                   Specify alternative path to FastCGI process manager config file.
  -t, --test       Test FPM configuration and exit
  -D, --daemonize  force to run in background, and ignore daemonize option from config file
  -F, --nodaemonize
                   force to stay in foreground, and ignore daemonize option from config file
  -O, --force-stderr
                   force output to stderr in nodaemonize even if stderr is not a TTY
  -R, --allow-to-run-as-root
                   Allow pool to run as root (disabled by default)

zfpm's own options (docs/running.md):
  --config <file>  the same as -y; a file ending in .toml is zfpm's native format
  --listen ADDR    without -y: serve one pool "www" on ADDR (ip:port, [ipv6]:port, port or
                   /path.sock; repeatable), in the foreground, logging to stderr
  --workers N      its PHP worker threads, pm.max_children (default 4)
  --root DIR       its chdir, and where SCRIPT_NAME is looked up when the web server sends
                   no SCRIPT_FILENAME
  --security-limit-extensions "EXT ..."
                   its security.limit_extensions (default ".php .phar"; "" allows all)
  --log-level LEVEL  debug, notice, warning, error or alert (overrides log_level)
)";
  text += front_end_usage();
  return text;
}

}  // namespace zfpm::cli
