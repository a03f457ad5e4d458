#include "zfpm/cli/front_end_options.hpp"

#include <charconv>
#include <chrono>
#include <cstdint>
#include <functional>
#include <limits>
#include <vector>

namespace zfpm::cli {
namespace {

std::optional<std::uint64_t> parse_number(std::string_view text, int base = 10) {
  std::uint64_t value = 0;
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value, base);
  if (ec != std::errc{} || end != text.data() + text.size() || text.empty()) return std::nullopt;
  return value;
}

// "1048576", "512K", "64M", "1G" (php.ini's shorthand, case-insensitive).
std::optional<std::uint64_t> parse_size(std::string_view text) {
  std::uint64_t unit = 1;
  if (!text.empty()) {
    switch (text.back()) {
      case 'k':
      case 'K':
        unit = 1ull << 10;
        break;
      case 'm':
      case 'M':
        unit = 1ull << 20;
        break;
      case 'g':
      case 'G':
        unit = 1ull << 30;
        break;
      default:
        break;
    }
    if (unit != 1) text.remove_suffix(1);
  }
  auto value = parse_number(text);
  if (!value || *value > std::numeric_limits<std::uint64_t>::max() / unit) return std::nullopt;
  return *value * unit;
}

// "60", "60s", "5m", "1h" (php-fpm's time units for its timeouts).
std::optional<std::chrono::seconds> parse_seconds(std::string_view text) {
  std::uint64_t unit = 1;
  if (!text.empty()) {
    switch (text.back()) {
      case 's':
        unit = 1;
        text.remove_suffix(1);
        break;
      case 'm':
        unit = 60;
        text.remove_suffix(1);
        break;
      case 'h':
        unit = 3600;
        text.remove_suffix(1);
        break;
      default:
        break;
    }
  }
  auto value = parse_number(text);
  if (!value || *value == 0 || *value > 365ull * 24 * 3600 / unit) return std::nullopt;
  return std::chrono::seconds(*value * unit);
}

using Setter = std::function<std::optional<std::string>(net::ServerSettings&, std::string_view)>;

struct Option {
  std::string_view name;
  Setter set;  // returns what the value should have been, when it is wrong
};

Setter size(std::function<void(net::ServerSettings&, std::uint64_t)> store, std::uint64_t min,
            std::uint64_t max) {
  return [=](net::ServerSettings& s, std::string_view v) -> std::optional<std::string> {
    auto n = parse_size(v);
    if (!n || *n < min || *n > max) {
      return "a size from " + std::to_string(min) + " to " + std::to_string(max) +
             " (K, M, G suffixes allowed)";
    }
    store(s, *n);
    return std::nullopt;
  };
}

Setter seconds(std::function<void(net::ServerSettings&, std::chrono::seconds)> store) {
  return [=](net::ServerSettings& s, std::string_view v) -> std::optional<std::string> {
    auto t = parse_seconds(v);
    if (!t) return "a time of at least 1 second (s, m, h suffixes allowed)";
    store(s, *t);
    return std::nullopt;
  };
}

const std::vector<Option>& options() {
  constexpr std::uint64_t kMax32 = 0x7fffffff;
  static const std::vector<Option> table = {
      {"--listen-backlog",
       [](net::ServerSettings& s, std::string_view v) -> std::optional<std::string> {
         if (v == "-1") {
           s.listen.backlog = -1;
           return std::nullopt;
         }
         auto n = parse_number(v);
         if (!n || *n == 0 || *n > 65535) return "-1 (the system's maximum) or 1 to 65535";
         s.listen.backlog = static_cast<int>(*n);
         return std::nullopt;
       }},
      {"--listen-owner",
       [](net::ServerSettings& s, std::string_view v) -> std::optional<std::string> {
         s.listen.owner = v;
         return std::nullopt;
       }},
      {"--listen-group",
       [](net::ServerSettings& s, std::string_view v) -> std::optional<std::string> {
         s.listen.group = v;
         return std::nullopt;
       }},
      {"--listen-mode",
       [](net::ServerSettings& s, std::string_view v) -> std::optional<std::string> {
         auto n = parse_number(v, 8);
         if (!n || *n > 07777) return "an octal mode such as 0660";
         s.listen.mode = static_cast<unsigned>(*n);
         return std::nullopt;
       }},
      {"--listen-allowed-clients",
       [](net::ServerSettings& s, std::string_view v) -> std::optional<std::string> {
         s.listen.allowed_clients = std::string(v);
         return std::nullopt;
       }},
      {"--max-connections",
       size([](auto& s, std::uint64_t n) { s.max_connections = n; }, 1, 1 << 20)},
      {"--request-queue",
       size([](auto& s, std::uint64_t n) { s.queue = static_cast<unsigned>(n); }, 0, 1 << 16)},
      {"--client-timeout", seconds([](auto& s, auto t) { s.connection.client_timeout = t; })},
      {"--idle-timeout", seconds([](auto& s, auto t) { s.connection.idle_timeout = t; })},
      {"--max-params-size",
       size([](auto& s, std::uint64_t n) { s.connection.limits.max_params_bytes = n; }, 64,
            kMax32)},
      {"--max-params",
       size([](auto& s, std::uint64_t n) { s.connection.limits.params.max_count = n; }, 1, kMax32)},
      {"--max-param-name-length",
       size([](auto& s, std::uint64_t n) { s.connection.limits.params.max_name_length = n; }, 1,
            kMax32)},
      {"--max-param-value-length",
       size([](auto& s, std::uint64_t n) { s.connection.limits.params.max_value_length = n; }, 1,
            kMax32)},
      {"--max-body-size",
       size([](auto& s, std::uint64_t n) { s.connection.limits.max_body_bytes = n; }, 0,
            std::uint64_t{1} << 50)},
      {"--body-memory-size",
       size([](auto& s, std::uint64_t n) { s.connection.limits.body_memory_bytes = n; }, 0,
            std::uint64_t{1} << 32)},
      {"--worker-scheduling",
       [](net::ServerSettings& s, std::string_view v) -> std::optional<std::string> {
         if (v != "batch" && v != "normal") return "batch or normal";
         s.batch_workers = v == "batch";
         return std::nullopt;
       }},
      {"--body-spool-dir",
       [](net::ServerSettings& s, std::string_view v) -> std::optional<std::string> {
         if (v.empty() || v.front() != '/') return "an absolute directory path";
         s.connection.body_spool_dir = v;
         return std::nullopt;
       }},
  };
  return table;
}

}  // namespace

bool is_front_end_option(std::string_view name) {
  for (const auto& option : options()) {
    if (option.name == name) return true;
  }
  return false;
}

std::optional<UsageError> set_front_end_option(net::ServerSettings& settings, std::string_view name,
                                               std::string_view value) {
  for (const auto& option : options()) {
    if (option.name != name) continue;
    if (auto wanted = option.set(settings, value)) {
      return UsageError{std::string(name) + " takes " + *wanted + ", not '" + std::string(value) +
                        "'"};
    }
    return std::nullopt;
  }
  return UsageError{"unknown option '" + std::string(name) + "'"};
}

std::string front_end_usage() {
  return R"(Front end (interim options; see docs/running.md):
  --listen-backlog N            listen.backlog (default -1: the system's maximum)
  --listen-owner USER           listen.owner of Unix sockets (default: zfpm's user)
  --listen-group GROUP          listen.group of Unix sockets
  --listen-mode MODE            listen.mode of Unix sockets (default 0660)
  --listen-allowed-clients IPS  listen.allowed_clients: comma-separated IPs (TCP only)
  --max-connections N           open connections at most (default 1024)
  --request-queue N             requests waiting for a worker (default: as many as workers)
  --client-timeout TIME         to receive a request / read a response (default 60s)
  --idle-timeout TIME           idle keep-alive connections (default 120s)
  --max-params-size SIZE        PARAMS bytes per request (default 1M)
  --max-params N                params per request (default 1000)
  --max-param-name-length SIZE  (default 4096)
  --max-param-value-length SIZE (default 1M)
  --max-body-size SIZE          request body (default 1G)
  --body-memory-size SIZE       body kept in memory before spooling to a file (default 1M)
  --body-spool-dir DIR          where spooled bodies go (default $TMPDIR, else /tmp)
  --worker-scheduling POLICY    batch (default) or normal: the PHP worker threads' CPU policy
)";
}

}  // namespace zfpm::cli
