#pragma once
// php-fpm's [global] section (fpm_conf.c ini_fpm_global_options), with php-fpm's defaults.
#include <chrono>
#include <optional>
#include <string>

namespace zfpm::config {

enum class LogLevel { Debug, Notice, Warning, Error, Alert };

struct GlobalConfig {
  std::optional<std::string> pid;             // pid: no pid file when unset
  std::string error_log = "log/php-fpm.log";  // error_log: relative to -p, "syslog" is special
  struct Syslog {
    std::string ident = "php-fpm";    // syslog.ident
    std::string facility = "daemon";  // syslog.facility, lower-cased (auth, local0, ...)
    bool operator==(const Syslog&) const = default;
  } syslog;
  bool log_buffering = true;            // log_buffering
  std::optional<LogLevel> log_level;    // log_level: unset behaves as notice (-tt: "unknown value")
  int log_limit = 1024;                 // log_limit: at least 512
  bool log_json = false;                // log_format = json (zfpm's own: one JSON object a line)
  int emergency_restart_threshold = 0;  // emergency_restart_threshold
  std::chrono::seconds emergency_restart_interval{0};  // emergency_restart_interval
  std::chrono::seconds process_control_timeout{0};     // process_control_timeout
  struct Process {
    int max = 0;                  // process.max: 0 = no limit
    std::optional<int> priority;  // process.priority: -19..20
    bool operator==(const Process&) const = default;
  } process;
  bool daemonize = true;  // daemonize (overridden by -D / -F)
  int rlimit_files = 0;   // rlimit_files: 0 = the system's
  int rlimit_core = 0;    // rlimit_core: 0 = the system's, -1 = unlimited
  struct Events {
    std::string mechanism;  // events.mechanism: "" = auto (zfpm: Asio's epoll)
    bool operator==(const Events&) const = default;
  } events;
  // systemd_interval: unset = 10s, or the watchdog's WATCHDOG_USEC; 0 disables the notifications.
  std::optional<std::chrono::seconds> systemd_interval;

  bool operator==(const GlobalConfig&) const = default;
};

const char* to_string(LogLevel level);

}  // namespace zfpm::config
