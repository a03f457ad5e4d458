#include "raw_http.hpp"

#include <cctype>

#include "socket.hpp"

namespace zfpm::test {

namespace {

bool iequals(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (std::size_t i = 0; i < a.size(); ++i) {
    if (std::tolower(static_cast<unsigned char>(a[i])) !=
        std::tolower(static_cast<unsigned char>(b[i])))
      return false;
  }
  return true;
}

// RFC 9112 §7.1: hex size, optional extensions, CRLF, data, CRLF; a zero size ends it (trailers
// are dropped).
std::string dechunk(std::string_view raw) {
  std::string body;
  std::size_t at = 0;
  while (at < raw.size()) {
    auto eol = raw.find("\r\n", at);
    if (eol == std::string_view::npos) throw TestError("a chunk size line without CRLF");
    std::size_t size = std::stoul(std::string(raw.substr(at, eol - at)), nullptr, 16);
    if (size == 0) return body;
    if (eol + 2 + size > raw.size()) throw TestError("a chunk longer than the response");
    body.append(raw.substr(eol + 2, size));
    at = eol + 2 + size + 2;
  }
  throw TestError("a chunked body without its last chunk");
}

}  // namespace

RawHttpResponse raw_http_exchange(std::string_view address, std::string_view request, bool head,
                                  std::chrono::milliseconds timeout) {
  Address where = Address::parse(address);
  Fd fd = connect_to(where);
  set_io_timeout(fd.get(), timeout);
  send_all(fd.get(), request);

  std::string raw = recv_until_close(fd.get(), "HTTP exchange with " + where.to_string());
  RawHttpResponse r;
  // Interim 1xx responses (100 Continue) come before the final one.
  while (raw.size() > 12 && raw.compare(0, 5, "HTTP/") == 0 && raw[9] == '1') {
    auto end = raw.find("\r\n\r\n");
    if (end == std::string::npos) break;
    r.interim.push_back(raw.substr(0, raw.find("\r\n")));
    raw.erase(0, end + 4);
  }
  auto head_end = raw.find("\r\n\r\n");
  if (raw.compare(0, 5, "HTTP/") != 0 || head_end == std::string::npos) {
    throw TestError("no HTTP response head from " + where.to_string() + ": '" + raw.substr(0, 200) +
                    "'");
  }
  std::string_view lines(raw.data(), head_end + 2);
  auto eol = lines.find("\r\n");
  r.status_line = std::string(lines.substr(0, eol));
  bool chunked = false;
  for (auto at = eol + 2; at < lines.size();) {
    auto end = lines.find("\r\n", at);
    std::string_view line = lines.substr(at, end - at);
    at = end + 2;
    auto colon = line.find(':');
    if (colon == std::string_view::npos) throw TestError("a header line without ':'");
    std::string_view value = line.substr(colon + 1);
    while (!value.empty() && value.front() == ' ') value.remove_prefix(1);
    r.headers.emplace_back(std::string(line.substr(0, colon)), std::string(value));
    if (iequals(line.substr(0, colon), "Transfer-Encoding") && iequals(value, "chunked")) {
      chunked = true;
    }
  }
  if (!head) {
    std::string_view body = std::string_view(raw).substr(head_end + 4);
    r.body = chunked ? dechunk(body) : std::string(body);
  }
  return r;
}

}  // namespace zfpm::test
