#include "php/request_env.hpp"

#include <doctest/doctest.h>

#include <string>
#include <utility>
#include <vector>

namespace zfpm::php {
namespace {

using Pairs = std::vector<std::pair<std::string, std::string>>;

fcgi::Params params_of(const Pairs& pairs) {
  std::string raw;
  for (const auto& [name, value] : pairs) fcgi::append_name_value(raw, name, value);
  std::string error;
  auto params = fcgi::Params::decode(std::move(raw), {}, &error);
  REQUIRE(params.has_value());
  return std::move(*params);
}

Pairs listed(const RequestEnv& env) {
  Pairs out;
  env.for_each([&](const RequestEnv::Entry& e) { out.emplace_back(e.name, e.value); });
  return out;
}

TEST_CASE("the env lists params newest first, FCGI_ROLE last as php-fpm's hash does") {
  auto params = params_of({{"A", "1"}, {"B", "2"}});
  RequestEnv env(params, fcgi::Role::Responder);
  CHECK(listed(env) == Pairs{{"B", "2"}, {"A", "1"}, {"FCGI_ROLE", "RESPONDER"}});
}

TEST_CASE("a repeated param keeps its first place and takes the last value") {
  auto params = params_of({{"A", "1"}, {"B", "2"}, {"A", "3"}});
  RequestEnv env(params, fcgi::Role::Responder);
  CHECK(listed(env) == Pairs{{"B", "2"}, {"A", "3"}, {"FCGI_ROLE", "RESPONDER"}});
  CHECK(std::string(env.get("A")) == "3");
}

TEST_CASE("set replaces in place, a new name goes first, a removed one can come back first") {
  auto params = params_of({{"A", "1"}, {"B", "2"}});
  RequestEnv env(params, fcgi::Role::Responder);
  env.set("A", "one");
  env.set("C", "3");
  env.remove("B");
  CHECK(env.get("B") == nullptr);
  CHECK(listed(env) == Pairs{{"C", "3"}, {"A", "one"}, {"FCGI_ROLE", "RESPONDER"}});
  env.set("B", "again");
  CHECK(listed(env).front() == std::pair<std::string, std::string>{"B", "again"});
}

TEST_CASE("values stay valid C strings after more sets and a move") {
  auto params = params_of({{"A", "1"}});
  RequestEnv env(params, fcgi::Role::Responder);
  const char* first = env.set("X", "first value, longer than any small-string buffer");
  for (int i = 0; i < 100; ++i) env.set("N" + std::to_string(i), std::to_string(i));
  RequestEnv moved = std::move(env);
  CHECK(std::string(first) == "first value, longer than any small-string buffer");
  CHECK(std::string(moved.get("N99")) == "99");
  CHECK(std::string(moved.get("A")) == "1");
}

}  // namespace
}  // namespace zfpm::php
