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

// --- string directives ------------------------------------------------------------------------

// [global] has no pool to expand "$pool" to: php-fpm refuses it there.
Reason set_string(const GlobalConfig&, std::string& field, std::string_view value) {
  if (value.find(kPoolToken) != std::string_view::npos) return kPoolUndefined;
  field = value;
  return {};
}

Reason set_string(const GlobalConfig& global, std::optional<std::string>& field,
                  std::string_view value) {
  std::string text;
  if (auto reason = set_string(global, text, value)) return reason;
  field = std::move(text);
  return {};
}

// fpm_conf_set_string: every string directive of a pool expands $pool.
Reason set_string(const PoolConfig& pool, std::string& field, std::string_view value) {
  field = expand_pool(value, pool.name);
  return {};
}

Reason set_string(const PoolConfig& pool, std::optional<std::string>& field,
                  std::string_view value) {
  field = expand_pool(value, pool.name);
  return {};
}

Reason set_optional_time(std::optional<std::chrono::seconds>& field, std::string_view value) {
  std::chrono::seconds parsed{0};
  if (auto reason = set_time(parsed, value)) return reason;
  field = parsed;
  return {};
}

// --- the tables -------------------------------------------------------------------------------

// One shape for every row of both tables, as php-fpm's ini_fpm_global_options and
// ini_fpm_pool_options (fpm_conf.c) or nginx's ngx_command_t: the directive's name as php-fpm
// spells it, and the setter that stores its text `v` into the section `c`.
template <typename Section>
struct Directive {
  std::string_view name;
  Reason (*set)(Section& c, std::string_view v);
};

#define ZFPM_DIRECTIVE(directive, call)                                   \
  {                                                                       \
    directive, [](auto& c, std::string_view v) -> Reason { return call; } \
  }

// Same order as fpm_conf.c ini_fpm_global_options.
constexpr Directive<GlobalConfig> kGlobalDirectives[] = {
    ZFPM_DIRECTIVE("pid", set_string(c, c.pid, v)),
    ZFPM_DIRECTIVE("error_log", set_string(c, c.error_log, v)),
    ZFPM_DIRECTIVE("syslog.ident", set_string(c, c.syslog.ident, v)),
    ZFPM_DIRECTIVE("syslog.facility", set_syslog_facility(c.syslog.facility, v)),
    ZFPM_DIRECTIVE("log_buffering", set_bool(c.log_buffering, v)),
    ZFPM_DIRECTIVE("log_level", set_log_level(c.log_level, v)),
    ZFPM_DIRECTIVE("log_limit", set_int(c.log_limit, v)),
    ZFPM_DIRECTIVE("log_format", set_log_format(c.log_json, v)),
    ZFPM_DIRECTIVE("emergency_restart_threshold", set_int(c.emergency_restart_threshold, v)),
    ZFPM_DIRECTIVE("emergency_restart_interval", set_time(c.emergency_restart_interval, v)),
    ZFPM_DIRECTIVE("process_control_timeout", set_time(c.process_control_timeout, v)),
    ZFPM_DIRECTIVE("process.max", set_int(c.process.max, v)),
    ZFPM_DIRECTIVE("process.priority", set_optional_int(c.process.priority, v)),
    ZFPM_DIRECTIVE("daemonize", set_bool(c.daemonize, v)),
    ZFPM_DIRECTIVE("rlimit_files", set_int(c.rlimit_files, v)),
    ZFPM_DIRECTIVE("rlimit_core", set_rlimit_core(c.rlimit_core, v)),
    ZFPM_DIRECTIVE("events.mechanism", set_string(c, c.events.mechanism, v)),
    // php-fpm has it only when built with systemd, as Debian's is.
    ZFPM_DIRECTIVE("systemd_interval", set_optional_time(c.systemd_interval, v)),
};

// Same order as fpm_conf.c ini_fpm_pool_options (Linux: no listen.setfib).
constexpr Directive<PoolConfig> kPoolDirectives[] = {
    ZFPM_DIRECTIVE("prefix", set_string(c, c.prefix, v)),
    ZFPM_DIRECTIVE("user", set_string(c, c.user, v)),
    ZFPM_DIRECTIVE("group", set_string(c, c.group, v)),
    ZFPM_DIRECTIVE("listen", set_string(c, c.listen.address, v)),
    ZFPM_DIRECTIVE("listen.backlog", set_int(c.listen.backlog, v)),
    ZFPM_DIRECTIVE("listen.acl_users", set_string(c, c.listen.acl_users, v)),
    ZFPM_DIRECTIVE("listen.acl_groups", set_string(c, c.listen.acl_groups, v)),
    ZFPM_DIRECTIVE("listen.owner", set_string(c, c.listen.owner, v)),
    ZFPM_DIRECTIVE("listen.group", set_string(c, c.listen.group, v)),
    ZFPM_DIRECTIVE("listen.mode", set_string(c, c.listen.mode, v)),
    ZFPM_DIRECTIVE("listen.allowed_clients", set_string(c, c.listen.allowed_clients, v)),
    ZFPM_DIRECTIVE("process.priority", set_optional_int(c.process.priority, v)),
    ZFPM_DIRECTIVE("process.dumpable", set_bool(c.process.dumpable, v)),
    ZFPM_DIRECTIVE("pm", set_pm(c.pm.style, v)),
    ZFPM_DIRECTIVE("pm.max_children", set_int(c.pm.max_children, v)),
    ZFPM_DIRECTIVE("pm.start_servers", set_int(c.pm.start_servers, v)),
    ZFPM_DIRECTIVE("pm.min_spare_servers", set_int(c.pm.min_spare_servers, v)),
    ZFPM_DIRECTIVE("pm.max_spare_servers", set_int(c.pm.max_spare_servers, v)),
    ZFPM_DIRECTIVE("pm.max_spawn_rate", set_int(c.pm.max_spawn_rate, v)),
    ZFPM_DIRECTIVE("pm.process_idle_timeout", set_time(c.pm.process_idle_timeout, v)),
    ZFPM_DIRECTIVE("pm.max_requests", set_int(c.pm.max_requests, v)),
    ZFPM_DIRECTIVE("pm.status_path", set_string(c, c.pm.status_path, v)),
    ZFPM_DIRECTIVE("pm.status_listen", set_string(c, c.pm.status_listen, v)),
    ZFPM_DIRECTIVE("ping.path", set_string(c, c.ping.path, v)),
    ZFPM_DIRECTIVE("ping.response", set_string(c, c.ping.response, v)),
    ZFPM_DIRECTIVE("access.log", set_string(c, c.access.log, v)),
    ZFPM_DIRECTIVE("access.format", set_string(c, c.access.format, v)),
    ZFPM_DIRECTIVE("slowlog", set_string(c, c.slowlog, v)),
    ZFPM_DIRECTIVE("request_slowlog_timeout", set_time(c.request_slowlog_timeout, v)),
    ZFPM_DIRECTIVE("request_slowlog_trace_depth",
                   set_optional_int(c.request_slowlog_trace_depth, v)),
    ZFPM_DIRECTIVE("request_terminate_timeout", set_time(c.request_terminate_timeout, v)),
    ZFPM_DIRECTIVE("request_terminate_timeout_track_finished",
                   set_bool(c.request_terminate_timeout_track_finished, v)),
    ZFPM_DIRECTIVE("rlimit_files", set_int(c.rlimit_files, v)),
    ZFPM_DIRECTIVE("rlimit_core", set_rlimit_core(c.rlimit_core, v)),
    ZFPM_DIRECTIVE("chroot", set_string(c, c.chroot, v)),
    ZFPM_DIRECTIVE("chdir", set_string(c, c.chdir, v)),
    ZFPM_DIRECTIVE("catch_workers_output", set_bool(c.catch_workers_output, v)),
    ZFPM_DIRECTIVE("decorate_workers_output", set_bool(c.decorate_workers_output, v)),
    ZFPM_DIRECTIVE("clear_env", set_bool(c.clear_env, v)),
    ZFPM_DIRECTIVE("security.limit_extensions", set_string(c, c.security_limit_extensions, v)),
    ZFPM_DIRECTIVE("apparmor_hat", set_string(c, c.apparmor_hat, v)),
};

#undef ZFPM_DIRECTIVE

// Directive names match case-insensitively; the outcome names it as php-fpm spells it.
template <typename Section, std::size_t N>
DirectiveOutcome apply(const Directive<Section> (&table)[N], Section& section,
                       std::string_view name, std::string_view value) {
  for (const auto& directive : table) {
    if (!iequals(directive.name, name)) continue;
    if (auto reason = directive.set(section, value)) {
      return {DirectiveOutcome::Kind::Invalid, std::string(directive.name), *reason};
    }
    return {DirectiveOutcome::Kind::Ok, std::string(directive.name), {}};
  }
  return {DirectiveOutcome::Kind::Unknown, std::string(name), {}};
}

}  // namespace

DirectiveOutcome set_global_directive(GlobalConfig& global, std::string_view name,
                                      std::string_view value) {
  return apply(kGlobalDirectives, global, name, value);
}

DirectiveOutcome set_pool_directive(PoolConfig& pool, std::string_view name,
                                    std::string_view value) {
  return apply(kPoolDirectives, pool, name, value);
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
