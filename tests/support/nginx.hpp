// nginx in front of a FastCGI server, configured the way its docs and Debian's fastcgi_params
// suggest: one foreground process, every path it writes to inside its own temporary prefix,
// stopped by pid when the object goes.
#pragma once

#include <string>

#include "process.hpp"

namespace zfpm::test {

inline constexpr const char* nginx_binary = "/usr/sbin/nginx";

struct NginxOptions {
  std::string root;          // the server's document root
  std::string fastcgi_pass;  // the FastCGI server's address (host:port, or unix:/path)
  bool keep_conn = false;    // through an upstream with keepalive and fastcgi_keep_conn on
  std::string php_match = R"(\.php$)";  // the regex of the location that passes to FastCGI
  std::string php_location{};  // more directives in that location, after Debian's fastcgi_params
  std::string server{};        // more directives in the server block (index, other locations)
};

class Nginx {
 public:
  explicit Nginx(const NginxOptions& options);

  std::string address() const { return "127.0.0.1:" + std::to_string(port_); }
  // Its error log and whatever it wrote to stdout and stderr.
  std::string error_log() const;
  // Where client_body_temp_path points: request bodies nginx spooled (client_body_in_file_only).
  std::string client_body_dir() const { return prefix_.file("client_body"); }

 private:
  TempDir prefix_;
  int port_;
  ServerProcess process_;
};

}  // namespace zfpm::test
