#include "zfpm/cli/options.hpp"

#include <charconv>
#include <string_view>

#include "zfpm/cli/front_end_options.hpp"
#include "zfpm/obs/log.hpp"

namespace zfpm::cli {
namespace {

constexpr unsigned kMaxWorkers = 4096;

std::variant<unsigned, UsageError> parse_workers(std::string_view text) {
  unsigned value = 0;
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (ec != std::errc{} || end != text.data() + text.size() || value == 0 ||
      value > kMaxWorkers) {
    return UsageError{"--workers takes a whole number from 1 to " + std::to_string(kMaxWorkers)};
  }
  return value;
}

}  // namespace

std::variant<Options, UsageError> parse_options(std::span<const char* const> args) {
  Options options;
  // Accepts "--name value", "--name=value" and, for short flags, "-dvalue".
  for (std::size_t i = 1; i < args.size(); ++i) {
    std::string_view arg = args[i];
    std::string_view name = arg;
    std::string_view inline_value;
    bool has_inline = false;
    if (arg.starts_with("--")) {
      if (auto eq = arg.find('='); eq != std::string_view::npos) {
        name = arg.substr(0, eq);
        inline_value = arg.substr(eq + 1);
        has_inline = true;
      }
    } else if (arg.size() > 2 && arg[0] == '-') {
      name = arg.substr(0, 2);
      inline_value = arg.substr(2);
      has_inline = true;
    }
    auto value = [&]() -> std::variant<std::string_view, UsageError> {
      if (has_inline) return inline_value;
      if (i + 1 >= args.size()) return UsageError{std::string(name) + " needs a value"};
      return std::string_view(args[++i]);
    };
    auto take = [&](auto&& store) -> std::optional<UsageError> {
      auto v = value();
      if (auto* error = std::get_if<UsageError>(&v)) return *error;
      return store(std::get<std::string_view>(v));
    };
    std::optional<UsageError> error;
    if (name == "--listen" || name == "-l") {
      error = take([&](std::string_view v) -> std::optional<UsageError> {
        options.listen.emplace_back(v);
        return std::nullopt;
      });
    } else if (name == "--workers") {
      error = take([&](std::string_view v) -> std::optional<UsageError> {
        auto parsed = parse_workers(v);
        if (auto* e = std::get_if<UsageError>(&parsed)) return *e;
        options.workers = std::get<unsigned>(parsed);
        return std::nullopt;
      });
    } else if (name == "--root") {
      error = take([&](std::string_view v) -> std::optional<UsageError> {
        options.root = v;
        return std::nullopt;
      });
    } else if (name == "-c" || name == "--php-ini") {
      error = take([&](std::string_view v) -> std::optional<UsageError> {
        options.php_ini = v;
        return std::nullopt;
      });
    } else if (name == "-d" || name == "--define") {
      error = take([&](std::string_view v) -> std::optional<UsageError> {
        // php-fpm (like php-cli) takes "-d foo" as "foo=1".
        options.ini_defines.emplace_back(v.find('=') == std::string_view::npos
                                             ? std::string(v) + "=1"
                                             : std::string(v));
        return std::nullopt;
      });
    } else if (name == "--security-limit-extensions") {
      error = take([&](std::string_view v) -> std::optional<UsageError> {
        options.security_limit_extensions = v;
        return std::nullopt;
      });
    } else if (name == "--log-level") {
      error = take([&](std::string_view v) -> std::optional<UsageError> {
        auto level = obs::parse_log_level(v);
        if (!level) return UsageError{"--log-level takes debug, notice, warning, error or alert"};
        options.log_level = *level;
        return std::nullopt;
      });
    } else if (is_front_end_option(name)) {
      error = take([&](std::string_view v) {
        return set_front_end_option(options.server, name, v);
      });
    } else if (arg == "-n" || arg == "--no-php-ini") {
      options.no_php_ini = true;
    } else if (arg == "-h" || arg == "--help") {
      options.help = true;
    } else if (arg == "-v" || arg == "--version") {
      options.version = true;
    } else {
      error = UsageError{"unknown option '" + std::string(arg) + "'"};
    }
    if (error) return *error;
  }
  if (options.listen.empty()) options.listen.emplace_back("127.0.0.1:9000");
  return options;
}

std::string usage(std::string_view program) {
  std::string text = "Usage: ";
  text += program;
  text += R"( [options]
  --listen ADDR      FastCGI address: ip:port, [ipv6]:port, port or /path/to.sock
                     (repeatable; default 127.0.0.1:9000)
  --workers N        PHP worker threads (default 4)
  --root DIR         document root: the process directory, and where SCRIPT_NAME is
                     looked up when the web server sends no SCRIPT_FILENAME
  -c FILE|DIR        look for php.ini in this file or directory
  -n                 no php.ini file will be used
  -d foo[=bar]       define INI entry foo with value 'bar'
  --security-limit-extensions "EXT ..."
                     scripts must end with one of these (default ".php .phar";
                     "" allows every script), as php-fpm's security.limit_extensions
  --log-level LEVEL  debug, notice (default), warning, error or alert
  -v, --version      version number
  -h, --help         this help
)";
  text += front_end_usage();
  return text;
}

}  // namespace zfpm::cli
