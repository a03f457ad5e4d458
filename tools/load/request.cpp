#include "request.hpp"

#include <algorithm>
#include <fstream>
#include <iterator>

#include "zfpm/fcgi/encoder.hpp"
#include "zfpm/fcgi/params.hpp"

namespace zfpm::load {

namespace {

constexpr std::uint16_t kRequestId = 1;

std::string dirname_of(const std::string& path) {
  auto slash = path.rfind('/');
  if (slash == std::string::npos) return ".";
  return slash == 0 ? "/" : path.substr(0, slash);
}

void set_param(std::vector<std::pair<std::string, std::string>>& params, std::string name,
               std::string value) {
  auto same = std::find_if(params.begin(), params.end(),
                           [&](const auto& pair) { return pair.first == name; });
  if (same != params.end()) {
    same->second = std::move(value);
  } else {
    params.emplace_back(std::move(name), std::move(value));
  }
}

}  // namespace

std::optional<RequestBytes> build_request(const Options& options, std::string* error) {
  std::string body;
  if (options.body_file) {
    std::ifstream in(*options.body_file, std::ios::binary);
    if (!in) {
      *error = "cannot read body file " + *options.body_file;
      return std::nullopt;
    }
    body.assign(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
  } else if (options.body_size) {
    // Printable and form-safe, so a urlencoded CONTENT_TYPE gives PHP one harmless field.
    body.assign(*options.body_size, 'x');
  }

  const Target& target = options.target;
  bool tcp = target.kind == Target::Kind::tcp;
  std::string uri = options.script_name + (options.query.empty() ? "" : "?" + options.query);

  // nginx's fastcgi_params plus SCRIPT_FILENAME, with the values nginx would have for a request
  // from 127.0.0.1 to http://localhost/<script>. SERVER_ADDR/PORT describe the web server the
  // FastCGI server believes is in front; without one, port 80 on the target host is the honest
  // guess.
  RequestBytes request;
  auto& params = request.params;
  set_param(params, "SCRIPT_FILENAME", options.script_filename);
  set_param(params, "SCRIPT_NAME", options.script_name);
  set_param(params, "REQUEST_METHOD", options.method);
  set_param(params, "QUERY_STRING", options.query);
  set_param(params, "REQUEST_URI", uri);
  set_param(params, "DOCUMENT_URI", options.script_name);
  set_param(params, "DOCUMENT_ROOT", dirname_of(options.script_filename));
  set_param(params, "SERVER_PROTOCOL", "HTTP/1.1");
  set_param(params, "GATEWAY_INTERFACE", "CGI/1.1");
  set_param(params, "SERVER_SOFTWARE", "zfpm-load");
  set_param(params, "REMOTE_ADDR", "127.0.0.1");
  set_param(params, "REMOTE_PORT", "50000");
  set_param(params, "SERVER_ADDR", tcp ? target.host : "127.0.0.1");
  set_param(params, "SERVER_PORT", "80");
  set_param(params, "SERVER_NAME", "localhost");
  set_param(params, "HTTP_HOST", "localhost");
  // nginx sends both always, empty without a body; PHP reads "" as "no body".
  set_param(params, "CONTENT_TYPE",
            options.content_type ? *options.content_type
            : body.empty()       ? std::string()
                                 : std::string("application/octet-stream"));
  set_param(params, "CONTENT_LENGTH", body.empty() ? std::string() : std::to_string(body.size()));
  for (const auto& [name, value] : options.extra_params) set_param(params, name, value);

  std::string encoded;
  for (const auto& [name, value] : params) fcgi::append_name_value(encoded, name, value);

  auto& wire = request.wire;
  wire.reserve(encoded.size() + body.size() + 64 + 8 * (body.size() / 65528 + 4));
  fcgi::append_begin_request(wire, kRequestId, fcgi::Role::Responder, options.keep_alive);
  fcgi::append_stream(wire, fcgi::RecordType::Params, kRequestId, encoded);
  fcgi::append_stream_end(wire, fcgi::RecordType::Params, kRequestId);
  fcgi::append_stream(wire, fcgi::RecordType::Stdin, kRequestId, body);
  fcgi::append_stream_end(wire, fcgi::RecordType::Stdin, kRequestId);
  return request;
}

}  // namespace zfpm::load
