#include "zfpm/config/dump.hpp"

#include <doctest/doctest.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "zfpm/config/loader.hpp"
#include "zfpm/config/validate.hpp"

using namespace zfpm::config;

namespace {

std::filesystem::path data_dir() { return std::filesystem::path(__FILE__).parent_path() / "data"; }

std::string slurp(const std::filesystem::path& path) {
  std::ifstream in(path);
  std::ostringstream text;
  text << in.rdbuf();
  return text.str();
}

}  // namespace

// dump.expected is Debian php-fpm8.2 -tt's output for dump.conf, timestamps and "NOTICE: " cut.
TEST_CASE("the -tt dump matches php-fpm's, line for line") {
  auto result = load_config((data_dir() / "fpm/dump.conf").string());
  REQUIRE(result.ok());
  std::string text;
  for (const auto& line : dump(result.config)) text += line + "\n";
  CHECK(text == slurp(data_dir() / "fpm/dump.expected"));
}

TEST_CASE("the dump prints unset values as php-fpm does") {
  Config config;
  config.global.log_level = LogLevel::Warning;
  config.global.process.priority = -5;
  config.pools.emplace_back();
  config.pools[0].name = "p";
  auto lines = dump(config);
  CHECK(std::find(lines.begin(), lines.end(), "\tlog_level = warning") != lines.end());
  CHECK(std::find(lines.begin(), lines.end(), "\tprocess.priority = -5") != lines.end());
  CHECK(std::find(lines.begin(), lines.end(), "\tpm = undefined") != lines.end());
  CHECK(lines.back() == " ");
}
