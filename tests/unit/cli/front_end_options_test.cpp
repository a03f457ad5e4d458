// The front end's interim options: php-fpm's listen.* names, sizes and times with units.
#include "zfpm/cli/front_end_options.hpp"

#include <doctest/doctest.h>

#include <vector>

#include "zfpm/cli/options.hpp"

using namespace zfpm::cli;

namespace {

zfpm::Expected<Options, UsageError> parse(std::vector<const char*> args) {
  args.insert(args.begin(), "zfpm");
  return parse_options(args);
}

}  // namespace

TEST_CASE("front-end defaults: php-fpm's listen.* defaults, 1 GiB bodies, 1 MiB in memory") {
  auto options = *parse({});
  const auto& s = options.server;
  CHECK(s.listen.backlog == -1);
  CHECK(s.listen.mode == 0660);
  CHECK_FALSE(s.listen.allowed_clients.has_value());
  CHECK(s.connection.limits.max_body_bytes == (1ull << 30));
  CHECK(s.connection.limits.body_memory_bytes == (1u << 20));
  CHECK(s.connection.client_timeout == std::chrono::seconds(60));
  CHECK(s.connection.idle_timeout == std::chrono::seconds(120));
  CHECK(s.max_connections == 1024);
}

TEST_CASE("listen options take php-fpm's forms: octal mode, a list of clients, an empty list") {
  auto options =
      *parse({"--listen", "9000", "--listen-backlog", "128", "--listen-mode=0600", "--listen-owner",
              "www-data", "--listen-group=www", "--listen-allowed-clients", "127.0.0.1,::1"});
  const auto& l = options.server.listen;
  CHECK(l.backlog == 128);
  CHECK(l.mode == 0600);
  CHECK(l.owner == "www-data");
  CHECK(l.group == "www");
  CHECK(l.allowed_clients == "127.0.0.1,::1");
  auto empty = *parse({"--listen", "9000", "--listen-allowed-clients="});
  CHECK(empty.server.listen.allowed_clients == "");
}

TEST_CASE("sizes take K/M/G and times s/m/h") {
  auto options = *parse({"--max-body-size",
                         "2G",
                         "--body-memory-size",
                         "512k",
                         "--client-timeout",
                         "2m",
                         "--idle-timeout",
                         "30",
                         "--max-params-size",
                         "64K",
                         "--max-params",
                         "50",
                         "--max-param-name-length",
                         "100",
                         "--max-param-value-length",
                         "1M",
                         "--max-connections",
                         "10",
                         "--request-queue",
                         "3"});
  const auto& s = options.server;
  CHECK(s.connection.limits.max_body_bytes == 2ull << 30);
  CHECK(s.connection.limits.body_memory_bytes == 512u << 10);
  CHECK(s.connection.client_timeout == std::chrono::seconds(120));
  CHECK(s.connection.idle_timeout == std::chrono::seconds(30));
  CHECK(s.connection.limits.max_params_bytes == 64u << 10);
  CHECK(s.connection.limits.params.max_count == 50);
  CHECK(s.connection.limits.params.max_name_length == 100);
  CHECK(s.connection.limits.params.max_value_length == 1u << 20);
  CHECK(s.max_connections == 10);
  CHECK(s.queue == 3);
}

TEST_CASE("a bad value names the option and what it takes") {
  auto error = parse({"--listen-mode", "rw"}).error();
  CHECK(error.message == "--listen-mode takes an octal mode such as 0660, not 'rw'");
  CHECK(!parse({"--client-timeout", "0"}).has_value());
  CHECK(!parse({"--max-body-size", "12X"}).has_value());
  CHECK(!parse({"--max-connections", "0"}).has_value());
  CHECK(!parse({"--body-spool-dir", "relative"}).has_value());
  CHECK(!parse({"--listen-backlog"}).has_value());
}

TEST_CASE("--help lists the front-end options") {
  CHECK(usage("zfpm").find("--listen-allowed-clients") != std::string::npos);
}
