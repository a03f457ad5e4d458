#include "fcgi_client.hpp"

#include <poll.h>
#include <sys/socket.h>

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <charconv>
#include <cstring>

namespace zfpm::test {

namespace fcgi {

std::string record(std::uint8_t type, std::uint16_t request_id, std::string_view content,
                   std::uint8_t padding) {
  if (content.size() > max_content) throw TestError("record content over 65535 bytes");
  std::string r;
  r.reserve(8 + content.size() + padding);
  r += static_cast<char>(1);  // FCGI_VERSION_1
  r += static_cast<char>(type);
  r += static_cast<char>(request_id >> 8);
  r += static_cast<char>(request_id & 0xff);
  r += static_cast<char>(content.size() >> 8);
  r += static_cast<char>(content.size() & 0xff);
  r += static_cast<char>(padding);
  r += static_cast<char>(0);  // reserved
  r += content;
  r.append(padding, '\0');
  return r;
}

std::string begin_request_body(std::uint16_t role, std::uint8_t flags) {
  std::string b(8, '\0');
  b[0] = static_cast<char>(role >> 8);
  b[1] = static_cast<char>(role & 0xff);
  b[2] = static_cast<char>(flags);
  return b;
}

namespace {
void append_length(std::string& out, std::size_t n) {
  if (n < 128) {
    out += static_cast<char>(n);
  } else {
    out += static_cast<char>(((n >> 24) & 0x7f) | 0x80);
    out += static_cast<char>((n >> 16) & 0xff);
    out += static_cast<char>((n >> 8) & 0xff);
    out += static_cast<char>(n & 0xff);
  }
}
}  // namespace

std::string encode_pairs(const Params& pairs) {
  std::string out;
  for (const auto& [name, value] : pairs) {
    append_length(out, name.size());
    append_length(out, value.size());
    out += name;
    out += value;
  }
  return out;
}

std::string stream(std::uint8_t type, std::uint16_t request_id, std::string_view content,
                   std::size_t max_record) {
  if (max_record == 0 || max_record > max_content) throw TestError("record size must be 1..65535");
  std::string out;
  while (!content.empty()) {
    auto chunk = content.substr(0, max_record);
    // Pad like nginx does, so the server's padding handling is exercised.
    auto padding = static_cast<std::uint8_t>((8 - chunk.size() % 8) % 8);
    out += record(type, request_id, chunk, padding);
    content.remove_prefix(chunk.size());
  }
  out += record(type, request_id, {});
  return out;
}

}  // namespace fcgi

bool CaseInsensitiveLess::operator()(std::string_view a, std::string_view b) const {
  return std::lexicographical_compare(
      a.begin(), a.end(), b.begin(), b.end(),
      [](unsigned char x, unsigned char y) { return std::tolower(x) < std::tolower(y); });
}

std::optional<std::string> CgiResponse::header(std::string_view name) const {
  auto it = headers.find(std::string(name));
  if (it == headers.end()) return std::nullopt;
  return it->second;
}

CgiResponse parse_cgi_response(std::string_view text) {
  CgiResponse r;
  // The header block ends at the first empty line; CGI allows "\n" as well as "\r\n".
  std::size_t pos = 0;
  Headers headers;
  while (pos < text.size()) {
    auto nl = text.find('\n', pos);
    if (nl == std::string_view::npos) break;
    std::string_view line = text.substr(pos, nl - pos);
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    pos = nl + 1;
    if (line.empty()) {
      r.has_header_block = true;
      break;
    }
    auto colon = line.find(':');
    if (colon == std::string_view::npos) break;  // not a header: no header block after all
    std::string_view value = line.substr(colon + 1);
    while (!value.empty() && (value.front() == ' ' || value.front() == '\t'))
      value.remove_prefix(1);
    headers.emplace(std::string(line.substr(0, colon)), std::string(value));
  }
  if (!r.has_header_block) {
    r.body = std::string(text);
    return r;
  }
  r.headers = std::move(headers);
  r.body = std::string(text.substr(pos));
  r.status = 200;
  if (auto status = r.header("Status")) {
    int code = 0;
    auto [end, ec] = std::from_chars(status->data(), status->data() + status->size(), code);
    r.status = ec == std::errc{} ? code : -1;
    (void)end;
  }
  return r;
}

FcgiConnection FcgiConnection::open(std::string_view address, std::chrono::milliseconds timeout) {
  Fd fd = connect_to(Address::parse(address));
  set_io_timeout(fd.get(), timeout);
  return FcgiConnection(std::move(fd), timeout);
}

int FcgiConnection::local_port() const { return zfpm::test::local_port(fd_.get()); }

void FcgiConnection::send_raw(std::string_view bytes) {
  if (!fd_) throw TestError("send on a closed connection");
  send_all(fd_.get(), bytes);
}

std::string FcgiConnection::read_exact(std::size_t n, std::string_view what) {
  std::string out(n, '\0');
  std::size_t got = 0;
  while (got < n) {
    ssize_t r = ::recv(fd_.get(), out.data() + got, n - got, 0);
    if (r > 0) {
      got += static_cast<std::size_t>(r);
      continue;
    }
    if (r < 0 && errno == EINTR) continue;
    std::string why = r == 0 ? "the server closed the connection"
                      : (errno == EAGAIN || errno == EWOULDBLOCK)
                          ? "no answer within " + std::to_string(timeout_.count()) + " ms"
                          : std::string("recv: ") + std::strerror(errno);
    throw TestError(why + " while reading " + std::string(what) + " (" + std::to_string(got) +
                    " of " + std::to_string(n) + " bytes)");
  }
  return out;
}

std::uint16_t FcgiConnection::send_request(const Params& params, std::string_view body,
                                           bool keep_conn) {
  if (!fd_) throw TestError("request on a closed connection");
  std::uint16_t id = next_id_;
  next_id_ = static_cast<std::uint16_t>(next_id_ == 0xffff ? 1 : next_id_ + 1);
  std::string out =
      fcgi::record(fcgi::begin_request, id,
                   fcgi::begin_request_body(fcgi::responder, keep_conn ? fcgi::keep_conn_flag : 0));
  out += fcgi::stream(fcgi::params, id, fcgi::encode_pairs(params), max_record_);
  out += fcgi::stream(fcgi::stdin_, id, body, max_record_);
  send_all(fd_.get(), out);
  ++requests_sent_;
  return id;
}

TimedRecord FcgiConnection::read_record() {
  if (!fd_) throw TestError("read on a closed connection");
  std::string header = read_exact(8, "a record header");
  auto byte = [&](int i) { return static_cast<unsigned>(static_cast<unsigned char>(header[i])); };
  if (byte(0) != 1) throw TestError("record with version " + std::to_string(byte(0)));
  TimedRecord r;
  r.type = static_cast<std::uint8_t>(byte(1));
  r.request_id = static_cast<std::uint16_t>((byte(2) << 8) | byte(3));
  std::size_t length = (byte(4) << 8) | byte(5);
  std::size_t padding = byte(6);
  r.content = read_exact(length, "record content");
  read_exact(padding, "record padding");
  r.arrived = std::chrono::steady_clock::now();
  return r;
}

Response FcgiConnection::request(const Params& params, std::string_view body, bool keep_conn) {
  std::uint16_t id = send_request(params, body, keep_conn);

  Response response;
  while (true) {
    TimedRecord record = read_record();
    if (record.request_id != id) {
      throw TestError("record type " + std::to_string(record.type) + " for request " +
                      std::to_string(record.request_id) + " while request " + std::to_string(id) +
                      " runs");
    }
    const std::string& content = record.content;
    if (record.type == fcgi::stdout_) {
      response.out += content;
      ++response.stdout_records;
    } else if (record.type == fcgi::stderr_) {
      response.err += content;
    } else if (record.type == fcgi::end_request) {
      if (content.size() != 8) {
        throw TestError("END_REQUEST of " + std::to_string(content.size()) + " bytes");
      }
      auto c = [&](int i) {
        return static_cast<std::uint32_t>(static_cast<unsigned char>(content[i]));
      };
      response.app_status = (c(0) << 24) | (c(1) << 16) | (c(2) << 8) | c(3);
      response.protocol_status = static_cast<std::uint8_t>(c(4));
      break;
    } else {
      throw TestError("unexpected record type " + std::to_string(record.type) + " in a response");
    }
  }
  static_cast<CgiResponse&>(response) = parse_cgi_response(response.out);
  return response;
}

RawRead FcgiConnection::read_until_close(std::chrono::milliseconds timeout) {
  RawRead result;
  auto deadline = std::chrono::steady_clock::now() + timeout;
  char buffer[4096];
  while (true) {
    auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
        deadline - std::chrono::steady_clock::now());
    if (left.count() <= 0) {
      result.timed_out = true;
      return result;
    }
    pollfd p{fd_.get(), POLLIN, 0};
    int ready = ::poll(&p, 1, static_cast<int>(left.count()));
    if (ready < 0 && errno == EINTR) continue;
    if (ready <= 0) {
      result.timed_out = true;
      return result;
    }
    ssize_t n = ::recv(fd_.get(), buffer, sizeof buffer, MSG_DONTWAIT);
    if (n > 0) {
      result.bytes.append(buffer, static_cast<std::size_t>(n));
    } else if (n == 0) {
      result.eof = true;
      return result;
    } else if (errno == ECONNRESET) {
      result.reset = true;
      return result;
    } else if (errno != EINTR && errno != EAGAIN && errno != EWOULDBLOCK) {
      throw TestError(std::string("recv: ") + std::strerror(errno));
    }
  }
}

Params params_for(std::string_view script_filename, const HttpRequest& http) {
  auto slash = script_filename.rfind('/');
  std::string root(script_filename.substr(0, slash == std::string_view::npos ? 0 : slash));
  std::string script_name =
      "/" + std::string(script_filename.substr(slash == std::string_view::npos ? 0 : slash + 1));
  std::string uri = http.query.empty() ? script_name : script_name + "?" + http.query;
  // The order of /etc/nginx/fastcgi_params, SCRIPT_FILENAME first as most configs put it.
  Params p{
      {"SCRIPT_FILENAME", std::string(script_filename)},
      {"QUERY_STRING", http.query},
      {"REQUEST_METHOD", http.method},
      {"CONTENT_TYPE", http.content_type},
      {"CONTENT_LENGTH",
       http.content_length || http.method == "POST" ? std::to_string(http.content_length) : ""},
      {"SCRIPT_NAME", script_name},
      {"REQUEST_URI", uri},
      {"DOCUMENT_URI", script_name},
      {"DOCUMENT_ROOT", root},
      {"SERVER_PROTOCOL", "HTTP/1.1"},
      {"REQUEST_SCHEME", "http"},
      {"GATEWAY_INTERFACE", "CGI/1.1"},
      {"SERVER_SOFTWARE", "nginx/1.22.1"},
      {"REMOTE_ADDR", "127.0.0.1"},
      {"REMOTE_PORT", "54321"},
      {"SERVER_ADDR", "127.0.0.1"},
      {"SERVER_PORT", "80"},
      {"SERVER_NAME", "localhost"},
      {"REDIRECT_STATUS", "200"},
  };
  for (const auto& [name, value] : http.headers) {
    std::string key = "HTTP_";
    for (char c : name)
      key += c == '-' ? '_' : static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
    p.emplace_back(std::move(key), value);
  }
  return p;
}

void set_param(Params& params, const std::string& name, const std::string& value) {
  for (auto& [n, v] : params) {
    if (n == name) {
      v = value;
      return;
    }
  }
  params.emplace_back(name, value);
}

}  // namespace zfpm::test
