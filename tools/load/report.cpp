#include "report.hpp"

#include <cstdio>
#include <ostream>
#include <string>

namespace zfpm::load {

namespace {

double ms(std::uint64_t micros) { return static_cast<double>(micros) / 1000.0; }

std::string fixed(double value, int decimals) {
  char buffer[64];
  std::snprintf(buffer, sizeof buffer, "%.*f", decimals, value);
  return buffer;
}

std::string address_of(const Target& target) {
  if (target.kind == Target::Kind::unix_path) return target.path;
  bool v6 = target.host.find(':') != std::string::npos;
  return (v6 ? "[" + target.host + "]" : target.host) + ":" + std::to_string(target.port);
}

// JSON string escaping for the two free-text fields (address, script path).
std::string quoted(const std::string& text) {
  std::string out = "\"";
  for (char c : text) {
    if (c == '"' || c == '\\') {
      out += '\\';
      out += c;
    } else if (static_cast<unsigned char>(c) < 0x20) {
      char buffer[8];
      std::snprintf(buffer, sizeof buffer, "\\u%04x", c);
      out += buffer;
    } else {
      out += c;
    }
  }
  return out + "\"";
}

double rate(const RunSummary& s) {
  return s.elapsed_seconds > 0 ? static_cast<double>(s.stats.requests) / s.elapsed_seconds : 0;
}

}  // namespace

void print_text(std::ostream& out, const RunSummary& s) {
  const auto& o = s.options;
  const auto& st = s.stats;
  const auto& h = st.latency;
  out << "zfpm-load " << address_of(o.target) << " " << o.script_filename << "\n"
      << "  " << o.connections << " connections, " << o.threads << " thread(s), keep-alive "
      << (o.keep_alive ? "on" : "off") << ", " << o.method << (s.interrupted ? ", interrupted" : "")
      << "\n"
      << "  requests:     " << st.requests << " in " << fixed(s.elapsed_seconds, 2) << " s\n"
      << "  requests/s:   " << fixed(rate(s), 1) << "\n"
      << "  latency ms:   p50 " << fixed(ms(h.percentile(0.50)), 3) << "  p90 "
      << fixed(ms(h.percentile(0.90)), 3) << "  p99 " << fixed(ms(h.percentile(0.99)), 3)
      << "  max " << fixed(ms(h.max()), 3) << "  mean " << fixed(h.mean() / 1000.0, 3) << "\n"
      << "  received:     " << st.bytes_received << " bytes\n"
      << "  errors:       " << st.errors() << " (connect " << st.connect_errors << ", protocol "
      << st.protocol_errors << ", timeout " << st.timeouts << ", io " << st.io_errors
      << ", status>=500 " << st.status_errors << ")\n"
      << "  unanswered:   " << st.unanswered << " (in flight for 1 s or more when the run ended)\n";
}

void print_json(std::ostream& out, const RunSummary& s) {
  const auto& o = s.options;
  const auto& st = s.stats;
  const auto& h = st.latency;
  out << "{\"address\":" << quoted(address_of(o.target))
      << ",\"script\":" << quoted(o.script_filename) << ",\"connections\":" << o.connections
      << ",\"threads\":" << o.threads << ",\"keep_alive\":" << (o.keep_alive ? "true" : "false")
      << ",\"interrupted\":" << (s.interrupted ? "true" : "false")
      << ",\"requests\":" << st.requests << ",\"duration_s\":" << fixed(s.elapsed_seconds, 3)
      << ",\"requests_per_s\":" << fixed(rate(s), 1)
      << ",\"latency_ms\":{\"p50\":" << fixed(ms(h.percentile(0.50)), 3)
      << ",\"p90\":" << fixed(ms(h.percentile(0.90)), 3)
      << ",\"p99\":" << fixed(ms(h.percentile(0.99)), 3) << ",\"max\":" << fixed(ms(h.max()), 3)
      << ",\"mean\":" << fixed(h.mean() / 1000.0, 3) << "},\"bytes_received\":" << st.bytes_received
      << ",\"errors\":{\"total\":" << st.errors() << ",\"connect\":" << st.connect_errors
      << ",\"protocol\":" << st.protocol_errors << ",\"timeout\":" << st.timeouts
      << ",\"io\":" << st.io_errors << ",\"status_5xx\":" << st.status_errors
      << "},\"unanswered\":" << st.unanswered << "}\n";
}

}  // namespace zfpm::load
