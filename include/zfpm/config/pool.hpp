#pragma once
// One php-fpm pool section (fpm_conf.c ini_fpm_pool_options), with php-fpm's defaults.
#include <chrono>
#include <optional>
#include <string>
#include <vector>

namespace zfpm::config {

enum class PmStyle { Static, Dynamic, Ondemand };

// php_value[k] = v and friends. Kept in file order; php-fpm keeps them in a list it prepends to,
// so its -tt prints them reversed (dump.cpp does the same).
struct KeyValue {
  std::string key;
  std::string value;
  bool operator==(const KeyValue&) const = default;
};

struct PoolConfig {
  std::string name;                   // [name]
  std::optional<std::string> prefix;  // prefix: for this pool's relative paths
  std::optional<std::string> user;    // user: required when the master runs as root
  std::optional<std::string> group;   // group: the user's group when unset

  struct Listen {
    std::string address;               // listen: ip:port, [ipv6]:port, port, /path; required
    int backlog = -1;                  // listen.backlog: -1 = SOMAXCONN
    std::optional<std::string> owner;  // listen.owner: master's user when unset
    std::optional<std::string> group;  // listen.group: master's group when unset
    std::optional<std::string> mode;   // listen.mode: 0660 when unset
    std::optional<std::string> allowed_clients;  // listen.allowed_clients: set and "" = nobody
    std::optional<std::string> acl_users;        // listen.acl_users
    std::optional<std::string> acl_groups;       // listen.acl_groups
    bool operator==(const Listen&) const = default;
  } listen;

  struct Process {
    std::optional<int> priority;  // process.priority: -19..20
    bool dumpable = false;        // process.dumpable
    bool operator==(const Process&) const = default;
  } process;

  struct Pm {
    std::optional<PmStyle> style;  // pm: required
    int max_children = 0;          // pm.max_children: required, >= 1
    int start_servers = 0;         // pm.start_servers: dynamic; 0 = min + (max - min) / 2
    int min_spare_servers = 0;     // pm.min_spare_servers: dynamic, required
    int max_spare_servers = 0;     // pm.max_spare_servers: dynamic, required
    int max_spawn_rate = 32;       // pm.max_spawn_rate
    std::chrono::seconds process_idle_timeout{10};  // pm.process_idle_timeout: ondemand
    int max_requests = 0;                           // pm.max_requests: 0 = never recycle
    std::optional<std::string> status_path;         // pm.status_path
    std::optional<std::string> status_listen;       // pm.status_listen
    bool operator==(const Pm&) const = default;
  } pm;

  struct Ping {
    std::optional<std::string> path;      // ping.path
    std::optional<std::string> response;  // ping.response: "pong" once ping.path is set
    bool operator==(const Ping&) const = default;
  } ping;

  struct Access {
    std::optional<std::string> log;          // access.log
    std::optional<std::string> format;       // access.format: `%R - %u %t "%m %r" %s` with a log
    std::vector<std::string> suppress_path;  // access.suppress_path[]
    bool operator==(const Access&) const = default;
  } access;

  std::optional<std::string> slowlog;                     // slowlog
  std::chrono::seconds request_slowlog_timeout{0};        // request_slowlog_timeout
  std::optional<int> request_slowlog_trace_depth;         // unset = 20
  std::chrono::seconds request_terminate_timeout{0};      // request_terminate_timeout
  bool request_terminate_timeout_track_finished = false;  // ..._track_finished
  int rlimit_files = 0;                                   // rlimit_files: 0 = the system's
  int rlimit_core = 0;                  // rlimit_core: 0 = the system's, -1 = unlimited
  std::optional<std::string> chroot;    // chroot
  std::optional<std::string> chdir;     // chdir
  bool catch_workers_output = false;    // catch_workers_output
  bool decorate_workers_output = true;  // decorate_workers_output
  bool clear_env = true;                // clear_env
  // security.limit_extensions: the default really is ".php .phar" (www.conf's comment says
  // ".php"); "" allows every extension.
  std::string security_limit_extensions = ".php .phar";
  std::optional<std::string> apparmor_hat;  // apparmor_hat

  std::vector<KeyValue> env;              // env[NAME]; a value "$VAR" is the master's $VAR
  std::vector<KeyValue> php_value;        // php_value[k], php_flag[k] (as "1"/"0")
  std::vector<KeyValue> php_admin_value;  // php_admin_value[k], php_admin_flag[k]

  bool operator==(const PoolConfig&) const = default;
};

const char* to_string(PmStyle style);

}  // namespace zfpm::config
