#include "zfpm/obs/status_page.hpp"

#include <cstdio>

#include "zfpm/obs/text_escape.hpp"

namespace zfpm::obs {
namespace {

constexpr const char* kLogTime = "%d/%b/%Y:%H:%M:%S %z";

// The labels and their spellings, in php-fpm's order.
struct Field {
  const char* plain;  // "accepted conn:        " (padded to column 22)
  const char* name;   // "accepted conn" (JSON, HTML)
  const char* tag;    // "accepted-conn" (XML)
};

template <typename... Args>
std::string printf_string(const char* format, Args... args) {
  char buffer[64];
  const int n = std::snprintf(buffer, sizeof buffer, format, args...);
  return n < 0 ? std::string() : std::string(buffer, static_cast<std::size_t>(n));
}

std::string u(unsigned long long value) { return std::to_string(value); }
std::string i(long long value) { return std::to_string(value); }

// The pool's values, as strings, in field order.
std::vector<std::pair<Field, std::string>> pool_fields(const PoolSnapshot& s, const char* time) {
  const unsigned long long since = static_cast<unsigned long long>(s.now_epoch - s.start_epoch);
  return {
      {{"pool:                 ", "pool", "pool"}, s.pool},
      {{"process manager:      ", "process manager", "process-manager"}, s.process_manager},
      {{"start time:           ", "start time", "start-time"}, format_local_time(s.start_epoch, time)},
      {{"start since:          ", "start since", "start-since"}, u(since)},
      {{"accepted conn:        ", "accepted conn", "accepted-conn"}, u(s.accepted_conn)},
      {{"listen queue:         ", "listen queue", "listen-queue"}, i(s.listen_queue)},
      {{"max listen queue:     ", "max listen queue", "max-listen-queue"}, i(s.max_listen_queue)},
      {{"listen queue len:     ", "listen queue len", "listen-queue-len"}, u(s.listen_queue_len)},
      {{"idle processes:       ", "idle processes", "idle-processes"}, i(s.idle)},
      {{"active processes:     ", "active processes", "active-processes"}, i(s.active)},
      {{"total processes:      ", "total processes", "total-processes"}, i(s.idle + s.active)},
      {{"max active processes: ", "max active processes", "max-active-processes"}, i(s.max_active)},
      {{"max children reached: ", "max children reached", "max-children-reached"},
       u(s.max_children_reached)},
      {{"slow requests:        ", "slow requests", "slow-requests"}, u(s.slow_requests)},
  };
}

// One worker's record; uri is already escaped for the format ("-" when there is none).
std::vector<std::pair<Field, std::string>> slot_fields(const PoolSnapshot& pool,
                                                      const SlotSnapshot& s, const char* time,
                                                      const std::string& uri) {
  const auto& r = s.request;
  return {
      {{"pid:                  ", "pid", "pid"}, i(s.pid)},
      {{"state:                ", "state", "state"}, stage_name(s.stage)},
      {{"start time:           ", "start time", "start-time"}, format_local_time(s.start_epoch, time)},
      {{"start since:          ", "start since", "start-since"},
       u(static_cast<unsigned long long>(pool.now_epoch - s.start_epoch))},
      {{"requests:             ", "requests", "requests"}, u(s.requests)},
      {{"request duration:     ", "request duration", "request-duration"}, u(s.duration_us)},
      {{"request method:       ", "request method", "request-method"}, r.method.empty() ? "-" : r.method},
      {{"request URI:          ", "request uri", "request-uri"}, uri},
      {{"content length:       ", "content length", "content-length"}, u(r.content_length)},
      {{"user:                 ", "user", "user"}, r.user.empty() ? "-" : r.user},
      {{"script:               ", "script", "script"}, r.script.empty() ? "-" : r.script},
      {{"last request cpu:     ", "last request cpu", "last-request-cpu"},
       printf_string("%.2f", s.last_cpu_percent)},
      {{"last request memory:  ", "last request memory", "last-request-memory"}, u(s.last_memory)},
  };
}

// "uri?query" with each part escaped for the format; "-" without a URI.
template <typename Escape>
std::string request_uri(const RequestFields& r, Escape escape) {
  std::string out = r.uri.empty() ? "-" : escape(r.uri);
  if (!r.query.empty()) out += "?" + escape(r.query);
  return out;
}

// JSON: strings quoted, numbers bare (php-fpm's "start time" is a bare epoch).
bool json_quoted(const Field& f) {
  const std::string_view name = f.name;
  return name == "pool" || name == "process manager" || name == "state" ||
         name == "request method" || name == "request uri" || name == "user" || name == "script";
}

std::string render_plain(const PoolSnapshot& s, bool full) {
  std::string out;
  for (const auto& [field, value] : pool_fields(s, kLogTime)) {
    out += field.plain + value + "\n";
  }
  if (!full) return out;
  for (const auto& slot : s.slots) {
    out += "\n************************\n";
    const auto uri = request_uri(slot.request, [](const std::string& v) { return v; });
    for (const auto& [field, value] : slot_fields(s, slot, kLogTime, uri)) {
      out += field.plain + value + "\n";
    }
  }
  return out;
}

std::string render_json(const PoolSnapshot& s, bool full) {
  std::string out = "{";
  bool first = true;
  for (const auto& [field, value] : pool_fields(s, "%s")) {
    if (!first) out += ",";
    first = false;
    out += "\"" + std::string(field.name) + "\":";
    out += json_quoted(field) ? "\"" + value + "\"" : value;
  }
  if (!full) return out + "}";
  out += ", \"processes\":[";
  first = true;
  for (const auto& slot : s.slots) {
    if (!first) out += ",";
    first = false;
    out += "{";
    const auto uri = request_uri(slot.request, json_escape);
    bool first_field = true;
    for (const auto& [field, value] : slot_fields(s, slot, "%s", uri)) {
      if (!first_field) out += ",";
      first_field = false;
      out += "\"" + std::string(field.name) + "\":";
      out += json_quoted(field) ? "\"" + value + "\"" : value;
    }
    out += ",\"thread id\":" + i(slot.tid) + "}";
  }
  return out + "]}";
}

std::string render_xml(const PoolSnapshot& s, bool full) {
  std::string out = "<?xml version=\"1.0\" ?>\n<status>\n";
  for (const auto& [field, value] : pool_fields(s, "%s")) {
    out += "<" + std::string(field.tag) + ">" + value + "</" + field.tag + ">\n";
  }
  if (!full) return out + "</status>";
  out += "<processes>\n";
  for (const auto& slot : s.slots) {
    out += "<process>";
    const auto uri = request_uri(slot.request, xml_escape);
    for (const auto& [field, value] : slot_fields(s, slot, "%s", uri)) {
      out += "<" + std::string(field.tag) + ">" + value + "</" + field.tag + ">";
    }
    out += "<thread-id>" + i(slot.tid) + "</thread-id></process>\n";
  }
  return out + "</processes>\n</status>";
}

std::string render_html(const PoolSnapshot& s, bool full) {
  std::string out =
      "<!DOCTYPE html PUBLIC \"-//W3C//DTD XHTML 1.0 Strict//EN\" "
      "\"http://www.w3.org/TR/xhtml1/DTD/xhtml1-strict.dtd\">\n"
      "<html xmlns=\"http://www.w3.org/1999/xhtml\" xml:lang=\"en\" lang=\"en\">\n"
      "<head><title>PHP-FPM Status Page</title></head>\n"
      "<body>\n"
      "<table>\n";
  for (const auto& [field, value] : pool_fields(s, kLogTime)) {
    out += "<tr><th>" + std::string(field.name) + "</th><td>" + value + "</td></tr>\n";
  }
  out += "</table>\n";
  if (!full) return out + "</body></html>";
  out += "<table border=\"1\">\n<tr>";
  static const char* const kHeads[] = {
      "pid",         "state",          "start time",  "start since",     "requests",
      "request duration", "request method", "request uri", "content length", "user",
      "script",      "last request cpu", "last request memory"};
  for (const char* head : kHeads) out += std::string("<th>") + head + "</th>";
  out += "</tr>\n";
  for (const auto& slot : s.slots) {
    out += "<tr>";
    const auto uri = request_uri(slot.request, xml_escape);
    for (const auto& [field, value] : slot_fields(s, slot, kLogTime, uri)) {
      out += "<td>" + value + "</td>";
    }
    out += "</tr>\n";
  }
  return out + "</table></body></html>";
}

}  // namespace

std::string format_local_time(std::time_t when, const char* format) {
  std::tm local{};
  ::localtime_r(&when, &local);
  char buffer[256];
  const std::size_t n = std::strftime(buffer, sizeof buffer, format, &local);
  return std::string(buffer, n);
}

std::string render_status(const PoolSnapshot& snapshot, StatusQuery query) {
  switch (query.format) {
    case StatusFormat::Html: return render_html(snapshot, query.full);
    case StatusFormat::Xml: return render_xml(snapshot, query.full);
    case StatusFormat::Json: return render_json(snapshot, query.full);
    case StatusFormat::OpenMetrics: return render_status_openmetrics(snapshot, query.full);
    case StatusFormat::Plain: break;
  }
  return render_plain(snapshot, query.full);
}

}  // namespace zfpm::obs
