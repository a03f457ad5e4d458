#include "zfpm/config/validate.hpp"

#include <doctest/doctest.h>

#include "memory_source.hpp"
#include "zfpm/config/fpm_ini.hpp"

using namespace zfpm::config;

namespace {

struct Checked {
  Config config;
  Diagnostics diagnostics;
};

Checked check(std::string_view text) {
  zfpm::config::testing::MemorySource source;
  auto parsed = parse_fpm_ini(text, "t.conf", source);
  REQUIRE_MESSAGE(parsed.ok(), parsed.diagnostics.at(0).message);
  Checked out{std::move(parsed.config), {}};
  out.diagnostics = validate(out.config);
  return out;
}

std::vector<std::string> messages(std::string_view text) {
  std::vector<std::string> out;
  for (const auto& d : check(text).diagnostics) out.push_back(d.message);
  return out;
}

const char* kPool = "[www]\nlisten = 9000\n";

}  // namespace

TEST_CASE("a complete static pool passes with no diagnostic") {
  CHECK(check("[www]\nlisten = 9000\npm = static\npm.max_children = 4\n").diagnostics.empty());
}

TEST_CASE("no pool at all") {
  CHECK(messages("[global]\n") ==
        std::vector<std::string>{
            "No pool defined. at least one pool section must be specified in config file"});
}

TEST_CASE("listen, pm and pm.max_children are required, at ALERT") {
  auto checked = check("[www]\n");
  REQUIRE(checked.diagnostics.size() == 2);
  CHECK(checked.diagnostics[0] ==
        Error{"", 0, "[pool www] no listen address have been defined!", Level::Alert});
  CHECK(checked.diagnostics[1].message ==
        "[pool www] the process manager is missing (static, dynamic or ondemand)");
  CHECK(messages(std::string(kPool) + "pm = static\n") ==
        std::vector<std::string>{"[pool www] pm.max_children must be a positive value"});
}

TEST_CASE("dynamic: spare servers bounds, with php-fpm's numbers in the message") {
  std::string dynamic = std::string(kPool) + "pm = dynamic\npm.max_children = 5\n";
  CHECK(messages(dynamic) ==
        std::vector<std::string>{"[pool www] pm.min_spare_servers(0) must be a positive value"});
  CHECK(messages(dynamic + "pm.min_spare_servers = 1\n") ==
        std::vector<std::string>{"[pool www] pm.max_spare_servers(0) must be a positive value"});
  CHECK(messages(dynamic + "pm.min_spare_servers = 1\npm.max_spare_servers = 6\n") ==
        std::vector<std::string>{"[pool www] pm.min_spare_servers(1) and pm.max_spare_servers(6) "
                                 "cannot be greater than pm.max_children(5)"});
  CHECK(messages(dynamic + "pm.min_spare_servers = 3\npm.max_spare_servers = 2\n") ==
        std::vector<std::string>{"[pool www] pm.max_spare_servers(2) must not be less than "
                                 "pm.min_spare_servers(3)"});
  CHECK(messages(dynamic +
                 "pm.min_spare_servers = 2\npm.max_spare_servers = 3\npm.start_servers = 4\n") ==
        std::vector<std::string>{"[pool www] pm.start_servers(4) must not be less than "
                                 "pm.min_spare_servers(2) and not greater than "
                                 "pm.max_spare_servers(3)"});
  CHECK(messages(dynamic + "pm.min_spare_servers = 1\npm.max_spare_servers = 3\n"
                           "pm.start_servers = 2\npm.max_spawn_rate = 0\n") ==
        std::vector<std::string>{"[pool www] pm.max_spawn_rate must be a positive value"});
}

TEST_CASE("dynamic without pm.start_servers gets min + (max - min) / 2, with a NOTICE") {
  auto checked = check(std::string(kPool) +
                       "pm = dynamic\npm.max_children = 9\npm.min_spare_servers = 2\n"
                       "pm.max_spare_servers = 7\n");
  REQUIRE(checked.diagnostics.size() == 1);
  CHECK(checked.diagnostics[0] ==
        Error{"", 0, "[pool www] pm.start_servers is not set. It's been set to 4.", Level::Notice});
  CHECK(checked.config.pools[0].pm.start_servers == 4);
  CHECK_FALSE(has_errors(checked.diagnostics));
}

TEST_CASE("ondemand: idle timeout must be positive, spare counts are zeroed") {
  auto checked = check(std::string(kPool) +
                       "pm = ondemand\npm.max_children = 3\npm.min_spare_servers = 2\n"
                       "pm.process_idle_timeout = 0\n");
  REQUIRE(checked.diagnostics.size() == 1);
  CHECK(checked.diagnostics[0].message ==
        "[pool www] pm.process_idle_timeout(0s) must be greater than 0s");
  CHECK(checked.config.pools[0].pm.min_spare_servers == 0);
  auto low =
      check(std::string(kPool) + "pm = ondemand\npm.max_children = 3\nlisten.backlog = -5\n");
  REQUIRE(low.diagnostics.size() == 1);
  CHECK(low.diagnostics[0].level == Level::Warning);
  CHECK(low.diagnostics[0].message ==
        "[pool www] listen.backlog(-5) was too low for the ondemand process manager. I updated "
        "it for you to -1.");
  CHECK(low.config.pools[0].listen.backlog == -1);
}

TEST_CASE("status and ping paths") {
  std::string pool = std::string(kPool) + "pm = static\npm.max_children = 1\n";
  CHECK(messages(pool + "pm.status_path = status\n") ==
        std::vector<std::string>{"[pool www] the status path 'status' must start with a '/'"});
  CHECK(messages(pool + "pm.status_path = /\n") ==
        std::vector<std::string>{"[pool www] the status path '/' is not long enough"});
  CHECK(messages(pool + "pm.status_path = /\npm.status_listen = 9001\n").empty());
  CHECK(messages(pool + "ping.path = /p?x\n") ==
        std::vector<std::string>{"[pool www] the ping path '/p?x' must contain only the "
                                 "following characters '[alphanum]/_-.~'"});
  CHECK(messages(pool + "ping.path = /ping\nping.response = \"\"\n") ==
        std::vector<std::string>{"[pool www] the ping response page '' is not long enough"});
}

TEST_CASE("ping.response is pong only with a ping.path, access.format only with access.log") {
  std::string pool = std::string(kPool) + "pm = static\npm.max_children = 1\n";
  auto with = check(pool + "ping.path = /ping\naccess.log = /var/log/a.log\n");
  CHECK(with.config.pools[0].ping.response == "pong");
  CHECK(with.config.pools[0].access.format == "%R - %u %t \"%m %r\" %s");
  auto without = check(pool + "ping.response = hello\n");
  CHECK_FALSE(without.config.pools[0].ping.response);
  CHECK_FALSE(without.config.pools[0].access.format);
}

TEST_CASE("slowlog checks") {
  std::string pool = std::string(kPool) + "pm = static\npm.max_children = 1\n";
  CHECK(messages(pool + "request_slowlog_timeout = 5s\n") ==
        std::vector<std::string>{
            "[pool www] 'slowlog' must be specified for use with 'request_slowlog_timeout'"});
  CHECK(messages(pool + "slowlog = /s.log\nrequest_slowlog_timeout = 1m\n"
                        "request_terminate_timeout = 30\n") ==
        std::vector<std::string>{"[pool www] 'request_slowlog_timeout' (60) can't be greater "
                                 "than 'request_terminate_timeout' (30)"});
  CHECK(messages(pool + "request_slowlog_trace_depth = 5\n") ==
        std::vector<std::string>{
            "[pool www] 'slowlog' must be specified for use with 'request_slowlog_trace_depth'"});
  CHECK(messages(pool + "slowlog = /s.log\nrequest_slowlog_trace_depth = -1\n") ==
        std::vector<std::string>{
            "[pool www] 'request_slowlog_trace_depth' (-1) must be a positive value"});
}

TEST_CASE("global checks") {
  std::string pool = std::string(kPool) + "pm = static\npm.max_children = 1\n";
  CHECK(messages("log_limit = 100\nprocess.max = -1\nprocess.priority = 30\n" + pool) ==
        std::vector<std::string>{"log_limit must be greater than 512",
                                 "process_max can't be negative",
                                 "process.priority must be included into [-19,20]"});
  CHECK(messages(pool + "process.priority = -20\n") ==
        std::vector<std::string>{"[pool www] process.priority must be included into [-19,20]"});
}

TEST_CASE("two pools on one address, php-fpm names the later one") {
  CHECK(messages("[a]\nlisten = 9000\npm = static\npm.max_children = 1\n"
                 "[b]\nlisten = 9000\npm = static\npm.max_children = 1\n") ==
        std::vector<std::string>{"[pool b] unable to set listen address as it's already used in "
                                 "another pool 'a'"});
}

TEST_CASE("validation is idempotent") {
  auto checked = check(std::string(kPool) +
                       "pm = dynamic\npm.max_children = 9\npm.min_spare_servers = 2\n"
                       "pm.max_spare_servers = 7\nping.path = /ping\n");
  auto again = checked.config;
  CHECK(validate(again).empty());
  CHECK(again == checked.config);
}
