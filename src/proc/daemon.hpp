#pragma once
// Leaving the terminal (-D / daemonize = yes), the pid file, and systemd's readiness protocol
// (Type=notify: READY=1 and a STATUS line on $NOTIFY_SOCKET). Private to proc/.
#include <string>

#include "zfpm/unique_fd.hpp"

namespace zfpm::proc {

// Forks; the parent waits (up to 10 s, as php-fpm) for the daemon's word and exits with 0 when it
// is ready, 70 otherwise. Returns in the daemon (after setsid) the descriptor to send that word
// on with daemon_ready(), or none when the fork failed (logged).
UniqueFd daemonize();
// The daemon is ready (ok) or gave up: the waiting parent exits accordingly. Sends the word on
// `fd` and closes it; nothing when it is closed already (not a daemon, or said already).
void daemon_ready(UniqueFd& fd, bool ok);
// stdin and stdout to /dev/null, stderr to `log_fd` (or /dev/null when -1): what php-fpm leaves
// behind once it runs (its stderr carries the error log).
void detach_stdio(int log_fd);

// Writes the pid file (0644); false (logged) when it cannot.
bool write_pid_file(const std::string& path);
void remove_pid_file(const std::string& path);

// sd_notify(3) without libsystemd: one datagram to $NOTIFY_SOCKET when it is set.
void notify_systemd(const std::string& state);

}  // namespace zfpm::proc
