#include "zfpm/config/directives.hpp"
#include "zfpm/config/values.hpp"

#include <algorithm>
#include <array>
#include <cctype>

namespace zfpm::config {

namespace {

constexpr std::string_view kPoolToken = "$pool";
constexpr const char* kPoolUndefined = "Can't use '$pool' when the pool is not defined";

// fpm_conf_expand_pool_name: every "$pool" becomes the pool's name.
std::string expand_pool(std::string_view value, std::string_view pool_name) {
  std::string out;
  std::size_t from = 0;
  for (auto at = value.find(kPoolToken); at != std::string_view::npos;
       at = value.find(kPoolToken, from)) {
    out.append(value.substr(from, at - from)).append(pool_name);
    from = at + kPoolToken.size();
  }
  out.append(value.substr(from));
  return out;
}

using Reason = std::optional<std::string>;  // php-fpm's error text, or nothing when stored

Reason set_int(int& field, std::string_view value) {
  auto parsed = parse_integer(value);
  if (!parsed) return "is not a valid number (greater or equal than zero)";
  field = *parsed;
  return {};
}

Reason set_optional_int(std::optional<int>& field, std::string_view value) {
  int parsed = 0;
  if (auto reason = set_int(parsed, value)) return reason;
  field = parsed;
  return {};
}

Reason set_bool(bool& field, std::string_view value) {
  auto parsed = parse_boolean(value);
  if (!parsed) return "invalid boolean value";
  field = *parsed;
  return {};
}

Reason set_time(std::chrono::seconds& field, std::string_view value) {
  auto parsed = parse_time(value);
  if (parsed.error) return parsed.error;
  field = parsed.value;
  return {};
}

// fpm_conf_set_rlimit_core: "unlimited" is -1.
Reason set_rlimit_core(int& field, std::string_view value) {
  if (iequals(value, "unlimited")) {
    field = -1;
    return {};
  }
  int parsed = 0;
  if (auto reason = set_int(parsed, value)) return reason;
  if (parsed < 0) return "must be greater than zero or 'unlimited'";
  field = parsed;
  return {};
}

Reason set_log_level(std::optional<LogLevel>& field, std::string_view value) {
  static constexpr std::array<std::pair<std::string_view, LogLevel>, 6> kLevels{{
      {"debug", LogLevel::Debug},
      {"notice", LogLevel::Notice},
      {"warning", LogLevel::Warning},
      {"warn", LogLevel::Warning},
      {"error", LogLevel::Error},
      {"alert", LogLevel::Alert},
  }};
  for (const auto& [name, level] : kLevels) {
    if (iequals(value, name)) {
      field = level;
      return {};
    }
  }
  return "invalid value for 'log_level'";
}

// log_format = plain | json: zfpm's own directive (php-fpm has none).
Reason set_log_format(bool& json, std::string_view value) {
  if (iequals(value, "plain")) {
    json = false;
  } else if (iequals(value, "json")) {
    json = true;
  } else {
    return "invalid value for 'log_format' (plain or json)";
  }
  return {};
}

Reason set_syslog_facility(std::string& field, std::string_view value) {
  static constexpr std::array<std::string_view, 20> kFacilities{
      "auth",   "authpriv", "cron",   "daemon", "ftp",    "kern",   "lpr",
      "mail",   "news",     "syslog", "user",   "uucp",   "local0", "local1",
      "local2", "local3",   "local4", "local5", "local6", "local7"};
  for (auto name : kFacilities) {
    if (iequals(value, name)) {
      field = name;
      return {};
    }
  }
  return "invalid value";
}

Reason set_pm(std::optional<PmStyle>& field, std::string_view value) {
  if (iequals(value, "static")) {
    field = PmStyle::Static;
  } else if (iequals(value, "dynamic")) {
    field = PmStyle::Dynamic;
  } else if (iequals(value, "ondemand")) {
    field = PmStyle::Ondemand;
  } else {
    return "invalid process manager (static, dynamic or ondemand)";
  }
  return {};
}

// --- [global] ---------------------------------------------------------------------------------

struct GlobalDirective {
  std::string_view name;
  Reason (*set)(GlobalConfig&, std::string_view);
};

Reason global_string(std::string& field, std::string_view value) {
  if (value.find(kPoolToken) != std::string_view::npos) return kPoolUndefined;
  field = value;
  return {};
}

Reason global_string(std::optional<std::string>& field, std::string_view value) {
  std::string text;
  if (auto reason = global_string(text, value)) return reason;
  field = std::move(text);
  return {};
}

// Same order as fpm_conf.c ini_fpm_global_options.
constexpr GlobalDirective kGlobalDirectives[] = {
    {"pid", [](GlobalConfig& g, std::string_view v) { return global_string(g.pid, v); }},
    {"error_log",
     [](GlobalConfig& g, std::string_view v) { return global_string(g.error_log, v); }},
    {"syslog.ident",
     [](GlobalConfig& g, std::string_view v) { return global_string(g.syslog.ident, v); }},
    {"syslog.facility",
     [](GlobalConfig& g, std::string_view v) { return set_syslog_facility(g.syslog.facility, v); }},
    {"log_buffering",
     [](GlobalConfig& g, std::string_view v) { return set_bool(g.log_buffering, v); }},
    {"log_level",
     [](GlobalConfig& g, std::string_view v) { return set_log_level(g.log_level, v); }},
    {"log_limit", [](GlobalConfig& g, std::string_view v) { return set_int(g.log_limit, v); }},
    {"log_format", [](GlobalConfig& g, std::string_view v) { return set_log_format(g.log_json, v); }},
    {"emergency_restart_threshold",
     [](GlobalConfig& g, std::string_view v) { return set_int(g.emergency_restart_threshold, v); }},
    {"emergency_restart_interval",
     [](GlobalConfig& g, std::string_view v) { return set_time(g.emergency_restart_interval, v); }},
    {"process_control_timeout",
     [](GlobalConfig& g, std::string_view v) { return set_time(g.process_control_timeout, v); }},
    {"process.max", [](GlobalConfig& g, std::string_view v) { return set_int(g.process.max, v); }},
    {"process.priority",
     [](GlobalConfig& g, std::string_view v) { return set_optional_int(g.process.priority, v); }},
    {"daemonize", [](GlobalConfig& g, std::string_view v) { return set_bool(g.daemonize, v); }},
    {"rlimit_files",
     [](GlobalConfig& g, std::string_view v) { return set_int(g.rlimit_files, v); }},
    {"rlimit_core",
     [](GlobalConfig& g, std::string_view v) { return set_rlimit_core(g.rlimit_core, v); }},
    {"events.mechanism",
     [](GlobalConfig& g, std::string_view v) { return global_string(g.events.mechanism, v); }},
};

Reason set_systemd_interval(GlobalConfig& global, std::string_view value) {
  std::chrono::seconds interval{0};
  if (auto reason = set_time(interval, value)) return reason;
  global.systemd_interval = interval;
  return {};
}

// --- pools -----------------------------------------------------------------------------------

struct PoolDirective {
  std::string_view name;
  Reason (*set)(PoolConfig&, std::string_view);
};

// fpm_conf_set_string: every string directive of a pool expands $pool.
Reason pool_string(const PoolConfig& pool, std::string& field, std::string_view value) {
  field = expand_pool(value, pool.name);
  return {};
}

Reason pool_string(const PoolConfig& pool, std::optional<std::string>& field,
                   std::string_view value) {
  field = expand_pool(value, pool.name);
  return {};
}

#define ZFPM_POOL_STRING(directive, member)                                                \
  PoolDirective {                                                                          \
    directive, [](PoolConfig& p, std::string_view v) { return pool_string(p, member, v); } \
  }
#define ZFPM_POOL(directive, call)                                    \
  PoolDirective {                                                     \
    directive, [](PoolConfig& p, std::string_view v) { return call; } \
  }

// Same order as fpm_conf.c ini_fpm_pool_options (Linux: no listen.setfib).
const PoolDirective kPoolDirectives[] = {
    ZFPM_POOL_STRING("prefix", p.prefix),
    ZFPM_POOL_STRING("user", p.user),
    ZFPM_POOL_STRING("group", p.group),
    ZFPM_POOL_STRING("listen", p.listen.address),
    ZFPM_POOL("listen.backlog", set_int(p.listen.backlog, v)),
    ZFPM_POOL_STRING("listen.acl_users", p.listen.acl_users),
    ZFPM_POOL_STRING("listen.acl_groups", p.listen.acl_groups),
    ZFPM_POOL_STRING("listen.owner", p.listen.owner),
    ZFPM_POOL_STRING("listen.group", p.listen.group),
    ZFPM_POOL_STRING("listen.mode", p.listen.mode),
    ZFPM_POOL_STRING("listen.allowed_clients", p.listen.allowed_clients),
    ZFPM_POOL("process.priority", set_optional_int(p.process.priority, v)),
    ZFPM_POOL("process.dumpable", set_bool(p.process.dumpable, v)),
    ZFPM_POOL("pm", set_pm(p.pm.style, v)),
    ZFPM_POOL("pm.max_children", set_int(p.pm.max_children, v)),
    ZFPM_POOL("pm.start_servers", set_int(p.pm.start_servers, v)),
    ZFPM_POOL("pm.min_spare_servers", set_int(p.pm.min_spare_servers, v)),
    ZFPM_POOL("pm.max_spare_servers", set_int(p.pm.max_spare_servers, v)),
    ZFPM_POOL("pm.max_spawn_rate", set_int(p.pm.max_spawn_rate, v)),
    ZFPM_POOL("pm.process_idle_timeout", set_time(p.pm.process_idle_timeout, v)),
    ZFPM_POOL("pm.max_requests", set_int(p.pm.max_requests, v)),
    ZFPM_POOL_STRING("pm.status_path", p.pm.status_path),
    ZFPM_POOL_STRING("pm.status_listen", p.pm.status_listen),
    ZFPM_POOL_STRING("ping.path", p.ping.path),
    ZFPM_POOL_STRING("ping.response", p.ping.response),
    ZFPM_POOL_STRING("access.log", p.access.log),
    ZFPM_POOL_STRING("access.format", p.access.format),
    ZFPM_POOL_STRING("slowlog", p.slowlog),
    ZFPM_POOL("request_slowlog_timeout", set_time(p.request_slowlog_timeout, v)),
    ZFPM_POOL("request_slowlog_trace_depth", set_optional_int(p.request_slowlog_trace_depth, v)),
    ZFPM_POOL("request_terminate_timeout", set_time(p.request_terminate_timeout, v)),
    ZFPM_POOL("request_terminate_timeout_track_finished",
              set_bool(p.request_terminate_timeout_track_finished, v)),
    ZFPM_POOL("rlimit_files", set_int(p.rlimit_files, v)),
    ZFPM_POOL("rlimit_core", set_rlimit_core(p.rlimit_core, v)),
    ZFPM_POOL_STRING("chroot", p.chroot),
    ZFPM_POOL_STRING("chdir", p.chdir),
    ZFPM_POOL("catch_workers_output", set_bool(p.catch_workers_output, v)),
    ZFPM_POOL("decorate_workers_output", set_bool(p.decorate_workers_output, v)),
    ZFPM_POOL("clear_env", set_bool(p.clear_env, v)),
    ZFPM_POOL_STRING("security.limit_extensions", p.security_limit_extensions),
    ZFPM_POOL_STRING("apparmor_hat", p.apparmor_hat),
};

#undef ZFPM_POOL
#undef ZFPM_POOL_STRING

}  // namespace

DirectiveOutcome set_global_directive(GlobalConfig& global, std::string_view name,
                                      std::string_view value) {
  for (const auto& directive : kGlobalDirectives) {
    if (!iequals(directive.name, name)) continue;
    auto reason = directive.set(global, value);
    if (reason) return {DirectiveOutcome::Kind::Invalid, std::string(directive.name), *reason};
    return {DirectiveOutcome::Kind::Ok, std::string(directive.name), {}};
  }
  // php-fpm has systemd_interval only when built with systemd, as Debian's is.
  if (iequals(name, "systemd_interval")) {
    if (auto reason = set_systemd_interval(global, value)) {
      return {DirectiveOutcome::Kind::Invalid, "systemd_interval", *reason};
    }
    return {DirectiveOutcome::Kind::Ok, "systemd_interval", {}};
  }
  return {DirectiveOutcome::Kind::Unknown, std::string(name), {}};
}

DirectiveOutcome set_pool_directive(PoolConfig& pool, std::string_view name,
                                    std::string_view value) {
  for (const auto& directive : kPoolDirectives) {
    if (!iequals(directive.name, name)) continue;
    auto reason = directive.set(pool, value);
    if (reason) return {DirectiveOutcome::Kind::Invalid, std::string(directive.name), *reason};
    return {DirectiveOutcome::Kind::Ok, std::string(directive.name), {}};
  }
  return {DirectiveOutcome::Kind::Unknown, std::string(name), {}};
}

bool is_pool_array(std::string_view name) {
  for (auto array : {"env", "php_value", "php_admin_value", "php_flag", "php_admin_flag",
                     "access.suppress_path"}) {
    if (name == array) return true;
  }
  return false;
}

// fpm_conf.c fpm_conf_ini_parser_array and fpm_conf_set_array. Array names are case-sensitive.
std::vector<std::string> add_pool_array(PoolConfig& pool, std::string_view name,
                                        std::string_view key, std::string_view value) {
  std::vector<std::string> errors;
  if (name == "access.suppress_path") {
    if (!key.empty())
      errors.emplace_back("Keys provided to field 'access.suppress_path' are ignored");
    if (value.empty() || value.front() != '/') {
      errors.emplace_back("Values provided to field 'access.suppress_path' must begin with '/'");
    }
    if (errors.empty()) pool.access.suppress_path.push_back(expand_pool(value, pool.name));
    return errors;
  }
  if (key.empty()) {
    errors.push_back("You must provide a key for field '" + std::string(name) + "'");
    return errors;
  }
  auto add = [&](std::vector<KeyValue>& list, bool is_flag) {
    if (!is_flag) {
      list.push_back({std::string(key), expand_pool(value, pool.name)});
      return;
    }
    auto flag = parse_boolean(value);
    if (!flag) {
      errors.push_back("error while parsing '" + std::string(name) + "[" + std::string(key) +
                       "]' : invalid boolean value");
      return;
    }
    list.push_back({std::string(key), *flag ? "1" : "0"});
  };
  if (name == "env") {
    if (value.empty()) {
      errors.emplace_back("empty value");
      return errors;
    }
    add(pool.env, false);
  } else if (name == "php_value") {
    add(pool.php_value, false);
  } else if (name == "php_admin_value") {
    add(pool.php_admin_value, false);
  } else if (name == "php_flag") {
    add(pool.php_value, true);
  } else if (name == "php_admin_flag") {
    add(pool.php_admin_value, true);
  } else {
    errors.push_back("unknown directive '" + std::string(name) + "'");
  }
  return errors;
}

}  // namespace zfpm::config
