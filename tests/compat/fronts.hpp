// Web servers in front of zfpm and php-fpm for the compat tests: Debian's nginx and Caddy, each
// one process with one HTTP port per backend, serving the same docroot, configured the way their
// packages and docs configure PHP. Started in the foreground from a temporary directory, stopped
// by pid when the test ends.
#pragma once

#include <string>

#include "process.hpp"

namespace zfpm::test {

constexpr const char* nginx_binary = "/usr/sbin/nginx";
constexpr const char* caddy_binary = "/usr/bin/caddy";

// The FastCGI addresses of the two backends and the docroot both serve.
struct Backends {
  std::string docroot;
  std::string zfpm;
  std::string php_fpm;
};

class Front {
 public:
  enum class Kind { nginx, caddy };
  Front(Kind kind, const Backends& backends);
  Front(const Front&) = delete;
  Front& operator=(const Front&) = delete;

  std::string name() const { return kind_ == Kind::nginx ? "nginx" : "caddy"; }
  // 127.0.0.1:<port> of the HTTP server that passes to zfpm, or to php-fpm.
  std::string zfpm_address() const { return "127.0.0.1:" + std::to_string(zfpm_port_); }
  std::string php_fpm_address() const { return "127.0.0.1:" + std::to_string(php_fpm_port_); }
  int zfpm_port() const { return zfpm_port_; }
  int php_fpm_port() const { return php_fpm_port_; }
  // The front's own output and (nginx) error log, for failure messages.
  std::string log() const;

 private:
  Kind kind_;
  int zfpm_port_;
  int php_fpm_port_;
  TempDir dir_;  // configuration, logs, temp files; declared before process_, which stops first
  ServerProcess process_;
};

// Whether the front's binary is installed.
bool front_available(Front::Kind kind);

}  // namespace zfpm::test
