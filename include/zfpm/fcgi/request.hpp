#pragma once
// A decoded FastCGI request, ready to run: what the parser hands to the worker pool.
#include <cstdint>
#include <string>

#include "zfpm/fcgi/body.hpp"
#include "zfpm/fcgi/params.hpp"
#include "zfpm/fcgi/protocol.hpp"

namespace zfpm::fcgi {

struct Request {
  std::uint16_t id = 1;
  Role role = Role::Responder;
  bool keep_conn = false;
  Params params;
  Body body;  // the whole STDIN stream
  // The socket peer's IP as php-fpm's access log prints it (%R): IPv4-mapped addresses as IPv4,
  // "" for a Unix socket. Set by net/, not by the parser.
  std::string client_ip;
};

}  // namespace zfpm::fcgi
