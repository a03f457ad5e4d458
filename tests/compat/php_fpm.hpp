// Debian's php-fpm 8.2 as the reference for zfpm: one static pool on a free loopback port, run in
// the foreground from a temporary directory and stopped by pid when the test ends.
#pragma once

#include <string>
#include <vector>

#include "fcgi_client.hpp"
#include "process.hpp"

namespace zfpm::test {

constexpr const char* php_fpm_binary = "/usr/sbin/php-fpm8.2";

class PhpFpm {
 public:
  // extra_args go on php-fpm's command line (e.g. {"-d", "upload_max_filesize=1M"}).
  explicit PhpFpm(const std::vector<std::string>& extra_args = {});
  PhpFpm(const PhpFpm&) = delete;
  PhpFpm& operator=(const PhpFpm&) = delete;

  const std::string& address() const { return address_; }
  FcgiConnection connect(std::chrono::milliseconds timeout = 15s) const {
    return FcgiConnection::open(address_, timeout);
  }

  TempDir dir;  // the pool's configuration and log
  ServerProcess process;

 private:
  std::string address_;
};

}  // namespace zfpm::test
