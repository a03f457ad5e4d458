#pragma once
// The master's listen sockets: bound once, shared by a pool's successive children, and handed to
// the next image on reload through php-fpm's FPM_SOCKETS convention ("addr=fd,addr=fd"), so that
// no connection is refused while a child restarts or the configuration reloads. Private to proc/.
#include <string>
#include <vector>

#include "zfpm/proc/plan.hpp"
#include "zfpm/unique_fd.hpp"

namespace zfpm::proc {

struct BoundSocket {
  std::string name;       // net::to_string(address): the FPM_SOCKETS key and the log name
  UniqueFd fd;
  std::string unix_path;  // removed when the master exits (not on reload)
  bool status = false;    // pm.status_listen
};

// Per pool, its sockets (in plan order). Inherited sockets are taken over from FPM_SOCKETS (with
// php-fpm's "using inherited socket" notice); inherited ones no pool wants any more are closed
// (and their Unix files removed). False after logging php-fpm's error for a socket that cannot
// be bound.
bool open_sockets(const Plan& plan, std::vector<std::vector<BoundSocket>>& sockets);

// The FPM_SOCKETS value for a reload; clears close-on-exec on those descriptors.
std::string export_sockets(const std::vector<std::vector<BoundSocket>>& sockets);

// On exit: closes the sockets and removes Unix socket files.
void close_sockets(std::vector<std::vector<BoundSocket>>& sockets);

}  // namespace zfpm::proc
