#pragma once
// zfpm-load's command line: what to send, where, how hard, for how long. Parsing never exits or
// throws; it returns the options or a message for a usage error (exit code 2).
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <variant>
#include <vector>

namespace zfpm::load {

// The forms zfpm's --listen takes, minus the bare port: "127.0.0.1:9000", "[::1]:9000",
// "/path/to.sock".
struct Target {
  enum class Kind { tcp, unix_path };
  Kind kind = Kind::tcp;
  std::string host;  // numeric, without brackets; empty for unix_path
  std::uint16_t port = 0;
  std::string path;  // unix_path only
};

struct Options {
  Target target;
  std::string script_filename;
  std::string script_name;  // SCRIPT_NAME; "/" + basename(script_filename) unless --script-name
  int connections = 8;
  double duration_seconds = 10;
  std::optional<std::uint64_t> total_requests;  // -n: a request count instead of a duration
  bool keep_alive = false;
  std::string method = "GET";
  std::string query;
  std::optional<std::string> body_file;
  std::optional<std::size_t> body_size;
  std::optional<std::string> content_type;
  std::vector<std::pair<std::string, std::string>> extra_params;  // -p, in order
  double timeout_seconds = 10;
  bool once = false;
  bool json = false;
  int threads = 1;
};

struct UsageError {
  std::string message;
};
struct HelpRequested {};

using ParseResult = std::variant<Options, UsageError, HelpRequested>;

ParseResult parse_options(int argc, const char* const* argv);

// "127.0.0.1:9000", "[::1]:9000" or "/path.sock"; nullopt for anything else.
std::optional<Target> parse_target(std::string_view text);

std::string_view usage_text();

}  // namespace zfpm::load
