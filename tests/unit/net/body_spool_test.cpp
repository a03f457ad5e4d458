// The temp-file spool: nothing visible in its directory, bytes read back from any offset.
#include "zfpm/net/body_spool.hpp"

#include <doctest/doctest.h>
#include <stdlib.h>

#include <filesystem>
#include <string>

using zfpm::net::TempFileSpool;

TEST_CASE("a spooled body leaves no file in its directory and reads back from any offset") {
  char pattern[] = "/tmp/zfpm-spool-test.XXXXXX";
  REQUIRE(::mkdtemp(pattern) != nullptr);
  const std::string dir = pattern;
  std::string error;
  {
    auto spool = TempFileSpool::create(dir, &error);
    REQUIRE_MESSAGE(spool, error);
    std::string data(300000, '\0');
    for (std::size_t i = 0; i < data.size(); ++i) data[i] = static_cast<char>(i * 7);
    REQUIRE(spool->append(std::span<const char>(data.data(), 100000), &error));
    REQUIRE(spool->append(std::span<const char>(data.data() + 100000, 200000), &error));
    CHECK(std::filesystem::is_empty(dir));  // unlinked from the start

    std::string back(1000, '\0');
    CHECK(spool->read(123456, back) == 1000);
    CHECK(back == data.substr(123456, 1000));
    CHECK(spool->read(299999, back) == 1);
    CHECK(spool->read(300000, back) == 0);
  }
  std::filesystem::remove_all(dir);
}

TEST_CASE("a spool in a directory that does not exist fails with the path in the reason") {
  std::string error;
  CHECK_FALSE(TempFileSpool::create("/nonexistent/zfpm", &error));
  CHECK(error.find("/nonexistent/zfpm") != std::string::npos);
}

TEST_CASE("the spool directory is the configured one, else TMPDIR, else /tmp") {
  CHECK(zfpm::net::body_spool_directory("/srv/uploads") == "/srv/uploads");
  const char* saved = std::getenv("TMPDIR");
  std::string saved_value = saved ? saved : "";
  ::setenv("TMPDIR", "/var/tmp", 1);
  CHECK(zfpm::net::body_spool_directory("") == "/var/tmp");
  ::unsetenv("TMPDIR");
  CHECK(zfpm::net::body_spool_directory("") == "/tmp");
  if (saved) ::setenv("TMPDIR", saved_value.c_str(), 1);
}
