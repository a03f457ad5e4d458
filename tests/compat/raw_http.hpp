// HTTP/1.1 over a plain socket for the compat tests that put a web server in front of zfpm and
// php-fpm: the test writes every byte of the request, and the response keeps its header lines in
// the order they came, so two fronts' answers compare line by line.
#pragma once

#include <chrono>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace zfpm::test {

struct RawHttpResponse {
  std::vector<std::string> interim;  // status lines of 1xx answers before it ("HTTP/1.1 100 …")
  std::string status_line;           // "HTTP/1.1 200 OK"
  std::vector<std::pair<std::string, std::string>> headers;  // as received, in order
  std::string body;                                          // chunked transfer coding removed
};

// Sends `request` as is (it should say `Connection: close`), reads until the server closes and
// parses the answer. `head` says the request was HEAD: whatever headers say, there is no body.
// Throws TestError on a connection failure, a timeout or an answer that is not HTTP.
RawHttpResponse raw_http_exchange(std::string_view address, std::string_view request,
                                  bool head = false,
                                  std::chrono::milliseconds timeout = std::chrono::seconds(30));

}  // namespace zfpm::test
