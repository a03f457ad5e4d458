#include "zfpm/obs/access_log.hpp"

#include <doctest/doctest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstdio>
#include <fstream>
#include <sstream>
#include <thread>
#include <vector>

using zfpm::obs::AccessLog;

namespace {

std::string temp_path(const char* name) {
  return "/tmp/zfpm-unit-" + std::to_string(::getpid()) + "-" + name;
}

std::string slurp(const std::string& path) {
  std::ifstream in(path);
  std::stringstream text;
  text << in.rdbuf();
  return text.str();
}

}  // namespace

TEST_CASE("the access log appends whole lines from many threads, never interleaved") {
  const std::string path = temp_path("access.log");
  std::remove(path.c_str());
  {
    AccessLog log;
    std::string error;
    REQUIRE(log.open(path, &error));
    struct stat info{};
    REQUIRE(::stat(path.c_str(), &info) == 0);
    CHECK((info.st_mode & 0777) == 0600);
    std::vector<std::thread> threads;
    for (int t = 0; t < 4; ++t) {
      threads.emplace_back([&log, t] {
        const std::string line = std::string(3000, static_cast<char>('a' + t)) + "\n";
        for (int i = 0; i < 200; ++i) log.write(line);
      });
    }
    for (auto& thread : threads) thread.join();
  }
  std::istringstream lines(slurp(path));
  std::string line;
  int count = 0;
  while (std::getline(lines, line)) {
    REQUIRE(line.size() == 3000);
    CHECK(line.find_first_not_of(line[0]) == std::string::npos);
    ++count;
  }
  CHECK(count == 800);
  std::remove(path.c_str());
}

TEST_CASE("reopen() writes on to a new file after the old one was moved away") {
  const std::string path = temp_path("rotate.log");
  const std::string moved = path + ".1";
  std::remove(path.c_str());
  std::remove(moved.c_str());
  AccessLog log;
  std::string error;
  REQUIRE(log.open(path, &error));
  log.write("before\n");
  REQUIRE(std::rename(path.c_str(), moved.c_str()) == 0);
  log.write("still old\n");
  REQUIRE(log.reopen(&error));
  log.write("after\n");
  CHECK(slurp(moved) == "before\nstill old\n");
  CHECK(slurp(path) == "after\n");
  std::remove(path.c_str());
  std::remove(moved.c_str());
}

TEST_CASE("a log that cannot be opened says why") {
  AccessLog log;
  std::string error;
  CHECK_FALSE(log.open("/nonexistent-dir/access.log", &error));
  CHECK(error.starts_with("failed to open access log (/nonexistent-dir/access.log)"));
}
