#include "zfpm/cli/options.hpp"

#include <doctest/doctest.h>

#include <vector>

using namespace zfpm::cli;

namespace {

std::variant<Options, UsageError> parse(std::vector<const char*> args) {
  args.insert(args.begin(), "zfpm");
  return parse_options(args);
}

}  // namespace

TEST_CASE("without options zfpm listens on 127.0.0.1:9000 with 4 workers") {
  auto options = std::get<Options>(parse({}));
  CHECK(options.listen == std::vector<std::string>{"127.0.0.1:9000"});
  CHECK(options.workers == 4);
  CHECK_FALSE(options.no_php_ini);
}

TEST_CASE("--listen repeats and takes --name=value") {
  auto options = std::get<Options>(parse({"--listen", "9000", "--listen=/tmp/a.sock"}));
  CHECK(options.listen == std::vector<std::string>{"9000", "/tmp/a.sock"});
}

TEST_CASE("-d takes key=value joined or apart, and a bare key means 1 as in php-fpm") {
  auto options = std::get<Options>(parse({"-d", "memory_limit=64M", "-ddisplay_errors=0", "-d",
                                          "short_open_tag"}));
  CHECK(options.ini_defines ==
        std::vector<std::string>{"memory_limit=64M", "display_errors=0", "short_open_tag=1"});
}

TEST_CASE("-c and -n set the php.ini lookup") {
  auto options = std::get<Options>(parse({"-c", "/etc/php.ini", "-n"}));
  CHECK(options.php_ini == "/etc/php.ini");
  CHECK(options.no_php_ini);
}

TEST_CASE("--workers must be a positive whole number") {
  CHECK(std::get<Options>(parse({"--workers", "16"})).workers == 16);
  CHECK(std::holds_alternative<UsageError>(parse({"--workers", "0"})));
  CHECK(std::holds_alternative<UsageError>(parse({"--workers", "many"})));
  CHECK(std::holds_alternative<UsageError>(parse({"--workers"})));
}

TEST_CASE("an unknown option is a usage error naming it") {
  auto result = parse({"--frobnicate"});
  REQUIRE(std::holds_alternative<UsageError>(result));
  CHECK(std::get<UsageError>(result).message.find("--frobnicate") != std::string::npos);
}

TEST_CASE("--log-level takes php-fpm's level names") {
  CHECK(std::get<Options>(parse({"--log-level", "debug"})).log_level == spdlog::level::debug);
  CHECK(std::holds_alternative<UsageError>(parse({"--log-level", "loud"})));
}

TEST_CASE("--security-limit-extensions defaults to php-fpm's list and may be emptied") {
  CHECK(std::get<Options>(parse({})).security_limit_extensions == ".php .phar");
  CHECK(std::get<Options>(parse({"--security-limit-extensions", ".php .inc"}))
            .security_limit_extensions == ".php .inc");
  CHECK(std::get<Options>(parse({"--security-limit-extensions="})).security_limit_extensions
            .empty());
}
