// The OpenMetrics status page: php-fpm's text (fpm_status.c, including its HELP/TYPE order for
// phpfpm_listen_queue_length) followed by zfpm's per-worker series, which php-fpm has no way to
// offer from one scrape. Those are gauges and counters named zfpm_worker_*, labelled with the pool,
// the worker's index and its thread id.
#include <cstdio>

#include "zfpm/obs/status_page.hpp"

namespace zfpm::obs {
namespace {

// OpenMetrics label values escape backslash, double quote and newline.
std::string label_value(std::string_view text) {
  std::string out;
  for (char c : text) {
    if (c == '\\') {
      out += "\\\\";
    } else if (c == '"') {
      out += "\\\"";
    } else if (c == '\n') {
      out += "\\n";
    } else {
      out += c;
    }
  }
  return out;
}

void family(std::string& out, const char* name, const char* type, const char* help) {
  out += std::string("# HELP ") + name + " " + help + "\n";
  out += std::string("# TYPE ") + name + " " + type + "\n";
}

std::string number(double value) {
  char buffer[32];
  std::snprintf(buffer, sizeof buffer, "%.2f", value);
  return buffer;
}

void worker_series(std::string& out, const PoolSnapshot& s) {
  const std::string pool = label_value(s.pool);
  auto labels = [&](const SlotSnapshot& slot) {
    return "{pool=\"" + pool + "\",worker=\"" + std::to_string(slot.worker) + "\",tid=\"" +
           std::to_string(slot.tid) + "\"}";
  };
  family(out, "zfpm_worker_requests", "counter", "The number of requests this worker thread took.");
  for (const auto& slot : s.slots) {
    out += "zfpm_worker_requests_total" + labels(slot) + " " + std::to_string(slot.requests) + "\n";
  }
  family(out, "zfpm_worker_active", "gauge",
         "Whether this worker thread serves a request now (1) or is idle (0).");
  for (const auto& slot : s.slots) {
    out += "zfpm_worker_active" + labels(slot) + (slot.stage == Stage::Idle ? " 0\n" : " 1\n");
  }
  family(out, "zfpm_worker_request_duration_microseconds", "gauge",
         "The running request's duration so far, or the last request's when idle.");
  for (const auto& slot : s.slots) {
    out += "zfpm_worker_request_duration_microseconds" + labels(slot) + " " +
           std::to_string(slot.duration_us) + "\n";
  }
  family(out, "zfpm_worker_last_request_cpu", "gauge",
         "The last request's CPU usage in percent (0 while a request runs).");
  for (const auto& slot : s.slots) {
    out += "zfpm_worker_last_request_cpu" + labels(slot) + " " + number(slot.last_cpu_percent) +
           "\n";
  }
  family(out, "zfpm_worker_last_request_memory_bytes", "gauge",
         "The last request's peak memory in bytes (0 while a request runs).");
  for (const auto& slot : s.slots) {
    out += "zfpm_worker_last_request_memory_bytes" + labels(slot) + " " +
           std::to_string(slot.last_memory) + "\n";
  }
}

}  // namespace

std::string render_status_openmetrics(const PoolSnapshot& s, bool per_worker) {
  const auto since = static_cast<unsigned long long>(s.now_epoch - s.start_epoch);
  std::string out;
  out += "# HELP phpfpm_up Could pool " + s.pool + " using a " + s.process_manager +
         " PM on PHP-FPM be reached?\n";
  out += "# TYPE phpfpm_up gauge\nphpfpm_up 1\n";
  family(out, "phpfpm_start_since", "counter", "The number of seconds since FPM has started.");
  out += "phpfpm_start_since " + std::to_string(since) + "\n";
  family(out, "phpfpm_accepted_connections", "counter",
         "The number of requests accepted by the pool.");
  out += "phpfpm_accepted_connections " + std::to_string(s.accepted_conn) + "\n";
  family(out, "phpfpm_listen_queue", "gauge",
         "The number of requests in the queue of pending connections.");
  out += "phpfpm_listen_queue " + std::to_string(s.listen_queue) + "\n";
  family(out, "phpfpm_max_listen_queue", "counter",
         "The maximum number of requests in the queue of pending connections since FPM has "
         "started.");
  out += "phpfpm_max_listen_queue " + std::to_string(s.max_listen_queue) + "\n";
  // php-fpm prints TYPE before HELP for this one family.
  out += "# TYPE phpfpm_listen_queue_length gauge\n";
  out += "# HELP phpfpm_listen_queue_length The size of the socket queue of pending connections.\n";
  out += "phpfpm_listen_queue_length " + std::to_string(s.listen_queue_len) + "\n";
  family(out, "phpfpm_idle_processes", "gauge", "The number of idle processes.");
  out += "phpfpm_idle_processes " + std::to_string(s.idle) + "\n";
  family(out, "phpfpm_active_processes", "gauge", "The number of active processes.");
  out += "phpfpm_active_processes " + std::to_string(s.active) + "\n";
  family(out, "phpfpm_total_processes", "gauge", "The number of idle + active processes.");
  out += "phpfpm_total_processes " + std::to_string(s.idle + s.active) + "\n";
  family(out, "phpfpm_max_active_processes", "counter",
         "The maximum number of active processes since FPM has started.");
  out += "phpfpm_max_active_processes " + std::to_string(s.max_active) + "\n";
  family(out, "phpfpm_max_children_reached", "counter",
         "The number of times, the process limit has been reached, when pm tries to start more "
         "children (works only for pm 'dynamic' and 'ondemand').");
  out += "phpfpm_max_children_reached " + std::to_string(s.max_children_reached) + "\n";
  family(out, "phpfpm_slow_requests", "counter",
         "The number of requests that exceeded your 'request_slowlog_timeout' value.");
  out += "phpfpm_slow_requests " + std::to_string(s.slow_requests) + "\n";
  if (per_worker) worker_series(out, s);
  out += "# EOF\n";
  return out;
}

}  // namespace zfpm::obs
