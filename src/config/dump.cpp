#include "zfpm/config/dump.hpp"

#include <array>
#include <string_view>
#include <utility>

namespace zfpm::config {

namespace {

std::string str(const std::optional<std::string>& value) { return value.value_or("undefined"); }
std::string yes_no(bool value) { return value ? "yes" : "no"; }
std::string priority(const std::optional<int>& value) {
  return value ? std::to_string(*value) : "undefined";
}

// php-fpm prints syslog.facility as the number from <syslog.h> ("FIXME: convert to string").
int facility_code(std::string_view name) {
  static constexpr std::array<std::pair<std::string_view, int>, 20> kCodes{{
      {"kern", 0},      {"user", 8},     {"mail", 16},    {"daemon", 24},  {"auth", 32},
      {"syslog", 40},   {"lpr", 48},     {"news", 56},    {"uucp", 64},    {"cron", 72},
      {"authpriv", 80}, {"ftp", 88},     {"local0", 128}, {"local1", 136}, {"local2", 144},
      {"local3", 152},  {"local4", 160}, {"local5", 168}, {"local6", 176}, {"local7", 184},
  }};
  for (const auto& [facility, code] : kCodes) {
    if (facility == name) return code;
  }
  return 24;
}

class Dump {
 public:
  void line(const std::string& key, const std::string& value) {
    lines.push_back("\t" + key + " = " + value);
  }
  void seconds(const std::string& key, std::chrono::seconds value) {
    line(key, std::to_string(value.count()) + "s");
  }
  void number(const std::string& key, long long value) { line(key, std::to_string(value)); }
  // php-fpm's lists are prepended to, so it prints them newest first.
  void reversed(const std::string& name, const std::vector<KeyValue>& list) {
    for (auto it = list.rbegin(); it != list.rend(); ++it)
      line(name + "[" + it->key + "]", it->value);
  }

  std::vector<std::string> lines;
};

}  // namespace

// Same order and spelling as fpm_conf.c fpm_conf_dump on Linux with systemd and ACL support.
std::vector<std::string> dump(const Config& config) {
  Dump d;
  const auto& g = config.global;
  d.lines.emplace_back("[global]");
  d.line("pid", str(g.pid));
  d.line("error_log", g.error_log);
  d.line("syslog.ident", g.syslog.ident);
  d.number("syslog.facility", facility_code(g.syslog.facility));
  d.line("log_buffering", yes_no(g.log_buffering));
  d.line("log_level", g.log_level ? to_string(*g.log_level) : "unknown value");
  d.number("log_limit", g.log_limit);
  d.seconds("emergency_restart_interval", g.emergency_restart_interval);
  d.number("emergency_restart_threshold", g.emergency_restart_threshold);
  d.seconds("process_control_timeout", g.process_control_timeout);
  d.number("process.max", g.process.max);
  d.line("process.priority", priority(g.process.priority));
  d.line("daemonize", yes_no(g.daemonize));
  d.number("rlimit_files", g.rlimit_files);
  d.number("rlimit_core", g.rlimit_core);
  d.line("events.mechanism", g.events.mechanism.empty() ? "epoll" : g.events.mechanism);
  d.seconds("systemd_interval", g.systemd_interval.value_or(std::chrono::seconds{10}));
  d.lines.emplace_back(" ");

  for (const auto& p : config.pools) {
    d.lines.push_back("[" + p.name + "]");
    d.line("prefix", str(p.prefix));
    d.line("user", str(p.user));
    d.line("group", str(p.group));
    d.line("listen", p.listen.address.empty() ? "undefined" : p.listen.address);
    d.number("listen.backlog", p.listen.backlog);
    d.line("listen.acl_users", str(p.listen.acl_users));
    d.line("listen.acl_groups", str(p.listen.acl_groups));
    d.line("listen.owner", str(p.listen.owner));
    d.line("listen.group", str(p.listen.group));
    d.line("listen.mode", str(p.listen.mode));
    d.line("listen.allowed_clients", str(p.listen.allowed_clients));
    d.line("process.priority", priority(p.process.priority));
    d.line("process.dumpable", yes_no(p.process.dumpable));
    d.line("pm", p.pm.style ? to_string(*p.pm.style) : "undefined");
    d.number("pm.max_children", p.pm.max_children);
    d.number("pm.start_servers", p.pm.start_servers);
    d.number("pm.min_spare_servers", p.pm.min_spare_servers);
    d.number("pm.max_spare_servers", p.pm.max_spare_servers);
    d.number("pm.max_spawn_rate", p.pm.max_spawn_rate);
    d.number("pm.process_idle_timeout", p.pm.process_idle_timeout.count());
    d.number("pm.max_requests", p.pm.max_requests);
    d.line("pm.status_path", str(p.pm.status_path));
    d.line("pm.status_listen", str(p.pm.status_listen));
    d.line("ping.path", str(p.ping.path));
    d.line("ping.response", str(p.ping.response));
    d.line("access.log", str(p.access.log));
    d.line("access.format", str(p.access.format));
    for (auto it = p.access.suppress_path.rbegin(); it != p.access.suppress_path.rend(); ++it) {
      d.line("access.suppress_path[]", *it);
    }
    d.line("slowlog", str(p.slowlog));
    d.seconds("request_slowlog_timeout", p.request_slowlog_timeout);
    d.number("request_slowlog_trace_depth", p.request_slowlog_trace_depth.value_or(20));
    d.seconds("request_terminate_timeout", p.request_terminate_timeout);
    d.line("request_terminate_timeout_track_finished",
           yes_no(p.request_terminate_timeout_track_finished));
    d.number("rlimit_files", p.rlimit_files);
    d.number("rlimit_core", p.rlimit_core);
    d.line("chroot", str(p.chroot));
    d.line("chdir", str(p.chdir));
    d.line("catch_workers_output", yes_no(p.catch_workers_output));
    d.line("decorate_workers_output", yes_no(p.decorate_workers_output));
    d.line("clear_env", yes_no(p.clear_env));
    d.line("security.limit_extensions", p.security_limit_extensions);
    d.reversed("env", p.env);
    d.reversed("php_value", p.php_value);
    d.reversed("php_admin_value", p.php_admin_value);
    d.lines.emplace_back(" ");
  }
  return d.lines;
}

}  // namespace zfpm::config
