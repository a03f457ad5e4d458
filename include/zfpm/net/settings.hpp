#pragma once
// The front end's settings: limits, timeouts and listen-socket semantics, each with a default
// (php-fpm's where php-fpm has the setting) and a log line when hit; see docs/running.md.
#include <chrono>
#include <cstddef>
#include <optional>
#include <string>

#include "zfpm/fcgi/parser.hpp"

namespace zfpm::net {

// php-fpm's listen.* directives.
struct ListenSettings {
  int backlog = -1;      // listen.backlog; -1 is SOMAXCONN, php-fpm's default on Linux
  std::string owner;     // listen.owner: user name or uid, "" = zfpm's user (Unix sockets only)
  std::string group;     // listen.group: group name or gid, "" = the owner's or zfpm's group
  unsigned mode = 0660;  // listen.mode
  // listen.allowed_clients: unset = anyone; set = only these IPs (an empty list = nobody).
  std::optional<std::string> allowed_clients;
};

struct ConnectionSettings {
  fcgi::ParserLimits limits;   // params bytes, count, name/value lengths, body size and memory
  std::string body_spool_dir;  // spooled bodies; "" = $TMPDIR, else /tmp
  // A request must arrive whole within this, plus one second per kSlowClientBytesPerSecond
  // received (a fair upload is never cut, a dribbling client is); also the longest a client may
  // leave a response unread.
  std::chrono::seconds client_timeout{60};
  // A keep-alive connection with no request for this long is closed. Longer than nginx's
  // upstream keepalive_timeout (60 s), so that nginx, not zfpm, closes idle connections.
  std::chrono::seconds idle_timeout{120};
  unsigned max_workers = 1;  // reported as FCGI_MAX_CONNS / FCGI_MAX_REQS

  static constexpr std::uint64_t kSlowClientBytesPerSecond = 64 * 1024;
};

struct ServerSettings {
  std::string pool = "www";  // the pool's name, for php-fpm's "[pool www] ..." log lines
  ConnectionSettings connection;
  ListenSettings listen;
  // Open connections at most; beyond it zfpm stops accepting (clients wait in the backlog).
  std::size_t max_connections = 1024;
  // Requests that may wait for a busy worker inside zfpm; 0 = as many as there are workers.
  unsigned queue = 0;
  // The pool's worker threads run under SCHED_BATCH (--worker-scheduling; pool::WorkerPool). Set
  // from the command line with the front end's options, applied by the pool.
  bool batch_workers = true;
};

}  // namespace zfpm::net
