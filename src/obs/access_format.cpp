#include "zfpm/obs/access_format.hpp"

#include <strings.h>

#include <cstdio>
#include <cstring>

#include "zfpm/obs/status_page.hpp"

namespace zfpm::obs {
namespace {

// php-fpm keeps a modifier in a 129-byte buffer.
constexpr std::size_t kMaxModifier = 128;

bool equals(std::string_view a, const char* b) {
  return a.size() == std::strlen(b) && ::strncasecmp(a.data(), b, a.size()) == 0;
}

bool takes_modifier(char code) { return std::strchr("CdeMotT", code) != nullptr; }

// The modifier's check for one code; "" when fine, else php-fpm's warning.
std::string check_modifier(char code, const std::string& m) {
  switch (code) {
    case 'C':
      if (m.empty() || equals(m, "total") || equals(m, "user") || equals(m, "system")) return {};
      return "only 'total', 'user' or 'system' are allowed as a modifier for %C ('" + m + "')";
    case 'd':
      if (m.empty() || equals(m, "seconds") || equals(m, "milliseconds") || equals(m, "milli") ||
          equals(m, "miliseconds") || equals(m, "mili") || equals(m, "microseconds") ||
          equals(m, "micro")) {
        return {};
      }
      return "only 'seconds', 'milli', 'milliseconds', 'micro' or 'microseconds' are allowed as "
             "a modifier for %d ('" + m + "')";
    case 'M':
      if (m.empty() || equals(m, "bytes") || equals(m, "kilobytes") || equals(m, "kilo") ||
          equals(m, "megabytes") || equals(m, "mega")) {
        return {};
      }
      return "only 'bytes', 'kilo', 'kilobytes', 'mega' or 'megabytes' are allowed as a modifier "
             "for %M ('" + m + "')";
    case 'e':
      if (m.empty()) return "the name of the environment variable must be set between embraces for %e";
      return {};
    case 'o':
      if (m.empty()) return "the name of the header must be set between embraces for %o";
      return {};
    default:
      return {};
  }
}

std::string fixed3(double value) {
  char buffer[64];
  std::snprintf(buffer, sizeof buffer, "%.3f", value);
  return buffer;
}

std::string cpu_percent(const AccessEntry& e, const std::string& m) {
  double cpu = e.cpu_user + e.cpu_system;
  if (equals(m, "user")) cpu = e.cpu_user;
  if (equals(m, "system")) cpu = e.cpu_system;
  const double wall = static_cast<double>(e.duration_us) / 1e6;
  char buffer[64];
  std::snprintf(buffer, sizeof buffer, "%.2f", wall > 0 ? cpu / wall * 100. : 0.);
  return buffer;
}

// fpm_log.c's %{Name}o: the first header line that contains Name and has ": " right after
// Name's length (php-fpm matches with strstr, and so does this).
std::string header_value(const AccessEntry& e, const std::string& name) {
  for (std::string_view line : e.headers) {
    if (line.empty() || line.find(name) == std::string_view::npos) continue;
    if (line.size() <= name.size() + 2) continue;
    if (line[name.size()] != ':' || line[name.size() + 1] != ' ') continue;
    std::string_view value = line.substr(name.size() + 2);
    return value.empty() ? "-" : std::string(value);
  }
  return "-";
}

std::string or_dash(std::string_view text) { return text.empty() ? "-" : std::string(text); }

std::string value_of(const AccessToken& t, const AccessEntry& e) {
  const std::string& m = t.text;
  switch (t.code) {
    case '%': return "%";
    case 'C': return cpu_percent(e, m);
    case 'd':
      if (m.empty() || equals(m, "seconds")) return fixed3(e.duration_us / 1e6);
      if (equals(m, "micro") || equals(m, "microseconds")) return std::to_string(e.duration_us);
      return fixed3(e.duration_us / 1e3);
    case 'e': {
      const char* value = e.param ? e.param(m) : nullptr;
      return value ? value : "-";
    }
    case 'f': return or_dash(e.script);
    case 'l': return std::to_string(e.content_length);
    case 'm': return or_dash(e.method);
    case 'M':
      if (equals(m, "kilo") || equals(m, "kilobytes")) return std::to_string(e.memory / 1024);
      if (equals(m, "mega") || equals(m, "megabytes")) return std::to_string(e.memory / 1024 / 1024);
      return std::to_string(e.memory);
    case 'n': return or_dash(e.pool);
    case 'o': return header_value(e, m);
    case 'p': return std::to_string(e.pid);
    case 'P': return std::to_string(e.ppid);
    case 'q': return std::string(e.query);
    case 'Q': return e.query.empty() ? "" : "?";
    case 'r': return std::string(e.uri);
    case 'R': return or_dash(e.client_ip);
    case 's': return std::to_string(e.status);
    case 't':
    case 'T':
      return format_local_time(t.code == 't' ? e.accepted_epoch : e.now_epoch,
                               m.empty() ? "%d/%b/%Y:%H:%M:%S %z" : m.c_str());
    case 'u': return std::string(e.user);
    default: return {};
  }
}

}  // namespace

std::optional<AccessFormat> parse_access_format(std::string_view format, std::string* error) {
  AccessFormat out;
  std::string literal;
  auto fail = [&](std::string message) -> std::optional<AccessFormat> {
    if (error) *error = std::move(message);
    return std::nullopt;
  };
  std::size_t pos = 0;
  while (pos < format.size()) {
    if (format[pos] != '%') {
      literal += format[pos++];
      continue;
    }
    ++pos;  // a '%' at the very end prints nothing, as in php-fpm
    std::string modifier;
    bool braced = false;
    while (pos < format.size() && format[pos] == '{') {
      const auto close = format.find('}', pos + 1);
      // php-fpm also wants a code after the '}'.
      if (close == std::string_view::npos || close + 1 >= format.size()) {
        return fail("missing closing embrace in the access.format");
      }
      modifier = std::string(format.substr(pos + 1, std::min(close - pos - 1, kMaxModifier)));
      braced = true;
      pos = close + 1;
    }
    if (pos >= format.size()) break;
    const char code = format[pos++];
    if (code == 0 || !std::strchr("%CdeflmMnopPqQrRsTtu", code)) {
      return fail(std::string("Invalid token in the access.format (%") + code + ")");
    }
    if (std::string problem = check_modifier(code, modifier); !problem.empty()) return fail(problem);
    if (braced && !modifier.empty() && !takes_modifier(code)) {
      return fail(std::string("embrace is not allowed for modifier %") + code);
    }
    if (code == '%') {
      literal += '%';
      continue;
    }
    if (!literal.empty()) out.tokens.push_back({0, std::move(literal)});
    literal.clear();
    out.tokens.push_back({code, std::move(modifier)});
  }
  if (!literal.empty()) out.tokens.push_back({0, std::move(literal)});
  return out;
}

std::string render_access_line(const AccessFormat& format, const AccessEntry& entry) {
  std::string line;
  for (const auto& token : format.tokens) {
    line += token.code == 0 ? token.text : value_of(token, entry);
  }
  // php-fpm writes strlen(buffer) bytes: nothing when empty, and nothing after a NUL.
  if (auto nul = line.find('\0'); nul != std::string::npos) line.resize(nul);
  if (line.empty()) return line;
  line += '\n';
  return line;
}

bool access_suppressed(const AccessEntry& entry, const std::vector<std::string>& paths) {
  if (!entry.query.empty()) return false;
  if (entry.method != "GET" && entry.method != "HEAD") return false;
  if (entry.status < 200 || entry.status > 299) return false;
  if (entry.content_length > 0) return false;
  for (const auto& path : paths) {
    if (path == entry.uri) return true;
  }
  return false;
}

}  // namespace zfpm::obs
