#include "http_client.hpp"

#include <charconv>

namespace zfpm::test {

std::optional<std::string> HttpResponse::header(std::string_view name) const {
  auto it = headers.find(std::string(name));
  if (it == headers.end()) return std::nullopt;
  return it->second;
}

HttpResponse http_request(std::string_view address, const HttpMessage& request,
                          std::chrono::milliseconds timeout) {
  Address where = Address::parse(address);
  Fd fd = connect_to(where);
  set_io_timeout(fd.get(), timeout);
  std::string head =
      request.method + " " + request.target + " HTTP/1.0\r\nHost: " + where.to_string() + "\r\n";
  for (const auto& [name, value] : request.headers) head += name + ": " + value + "\r\n";
  if (!request.body.empty() || request.method == "POST") {
    head += "Content-Length: " + std::to_string(request.body.size()) + "\r\n";
  }
  send_all(fd.get(), head + "\r\n" + request.body);
  const std::string target = request.method + " " + request.target;

  std::string raw = recv_until_close(fd.get(), target + " from " + where.to_string());
  auto eol = raw.find("\r\n");
  if (raw.compare(0, 5, "HTTP/") != 0 || eol == std::string::npos) {
    throw TestError("no HTTP status line in the answer to " + target + ": '" + raw + "'");
  }
  HttpResponse r;
  r.status_line = raw.substr(0, eol);
  auto space = r.status_line.find(' ');
  if (space != std::string::npos) {
    std::from_chars(r.status_line.data() + space + 1, r.status_line.data() + r.status_line.size(),
                    r.status);
  }
  // After the status line an HTTP head has the same shape as a CGI header block.
  CgiResponse rest = parse_cgi_response(std::string_view(raw).substr(eol + 2));
  r.headers = std::move(rest.headers);
  r.body = std::move(rest.body);
  return r;
}

HttpResponse http_get(std::string_view address, std::string_view target,
                      std::chrono::milliseconds timeout) {
  return http_request(address, {.target = std::string(target)}, timeout);
}

}  // namespace zfpm::test
