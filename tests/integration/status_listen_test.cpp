// pm.status_listen: the status page on a socket of its own, answered by workers of its own, so
// that it answers while every worker of the pool is busy (docs/observability.md).
#include <doctest/doctest.h>

#include <future>
#include <regex>

#include "fcgi_client.hpp"
#include "zfpm_server.hpp"

using namespace zfpm::test;

TEST_CASE("pm.status_listen answers while the pool's only worker is busy") {
  const std::string status_address = "127.0.0.1:" + std::to_string(free_tcp_port());
  ZfpmServer server({.workers = 1,
                     .pool_config = "pm.status_listen = " + status_address +
                                    "\npm.status_path = /status\n"});
  INFO("zfpm log:\n", server.process.log());
  auto slow = server.script("slow.php", "<?php usleep(1500000); echo 'slept';");
  auto busy = std::async(std::launch::async, [&] { return server.get(slow).body; });
  std::this_thread::sleep_for(300ms);

  auto connection = FcgiConnection::open(status_address, 5s);
  auto response = connection.request(params_for("/status", {.query = "json"}));
  CHECK(response.status == 200);
  CHECK(response.header("Content-Type").value_or("").starts_with("application/json"));
  std::smatch match;
  REQUIRE(std::regex_search(response.body, match, std::regex(R"re("active processes":(\d+))re")));
  CHECK(match[1] == "1");  // the sleeping script; the status workers are not the pool's
  REQUIRE(std::regex_search(response.body, match, std::regex(R"re("total processes":(\d+))re")));
  CHECK(match[1] == "1");
  CHECK(busy.get() == "slept");
}
