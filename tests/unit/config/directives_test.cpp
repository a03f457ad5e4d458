#include "zfpm/config/directives.hpp"

#include <doctest/doctest.h>

using namespace zfpm::config;

TEST_CASE("directive names are php-fpm's, matched case-insensitively") {
  PoolConfig pool;
  pool.name = "www";
  auto outcome = set_pool_directive(pool, "PM.MAX_CHILDREN", "3");
  CHECK(outcome.kind == DirectiveOutcome::Kind::Ok);
  CHECK(pool.pm.max_children == 3);
  auto invalid = set_pool_directive(pool, "Pm.Max_Requests", "x");
  CHECK(invalid.kind == DirectiveOutcome::Kind::Invalid);
  CHECK(invalid.name == "pm.max_requests");
  CHECK(set_pool_directive(pool, "listen.setfib", "1").kind == DirectiveOutcome::Kind::Unknown);
  GlobalConfig global;
  CHECK(set_global_directive(global, "listen", "9000").kind == DirectiveOutcome::Kind::Unknown);
  CHECK(set_global_directive(global, "log_level", "WARN").kind == DirectiveOutcome::Kind::Ok);
  CHECK(global.log_level == LogLevel::Warning);
}
