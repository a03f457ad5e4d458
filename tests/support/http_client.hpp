// A minimal HTTP/1.0 client for tests that put a web server (nginx) in front of zfpm.
#pragma once

#include <chrono>
#include <string>
#include <string_view>

#include "fcgi_client.hpp"

namespace zfpm::test {

struct HttpResponse {
  std::string status_line;
  int status = 0;
  Headers headers;
  std::string body;
  std::optional<std::string> header(std::string_view name) const;
};

struct HttpMessage {
  std::string method = "GET";
  std::string target;
  Headers headers{};  // sent as given; Host and, with a body, Content-Length are added
  std::string body{};
};

// One request over HTTP/1.0 (the server closes after the response), read until EOF. Throws
// TestError on a connection failure, a timeout or a response without a status line.
HttpResponse http_request(std::string_view address, const HttpMessage& request,
                          std::chrono::milliseconds timeout = 10s);

// GET over HTTP/1.0 (the server closes after the response), read until EOF. Throws TestError on a
// connection failure, a timeout or a response without a status line.
HttpResponse http_get(std::string_view address, std::string_view target,
                      std::chrono::milliseconds timeout = 10s);

}  // namespace zfpm::test
