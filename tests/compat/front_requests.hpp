// The HTTP requests front_shapes_test.cpp sends through nginx and Caddy to zfpm and php-fpm, each
// written byte for byte: query strings, PATH_INFO, index fallback, methods, bodies, uploads,
// cookies, auth, odd headers, and resp.php's response shapes.
#pragma once

#include <string>
#include <vector>

namespace zfpm::test {

struct Shape {
  std::string name;
  std::string request;  // the whole HTTP request as sent
  bool head = false;
  std::vector<std::string> upload_sha256{};  // hashes the script must report for the uploads
  bool nginx_only = false;
};

// Every shape, in the order they are sent (some depend on an earlier one, e.g. the requests after
// a script changed its worker's state).
std::vector<Shape> request_shapes();

}  // namespace zfpm::test
