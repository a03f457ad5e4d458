#pragma once
// Creating listening sockets (php-fpm's fpm_sockets.c + fpm_unix.c socket permissions). Private
// to net/: Listener wraps what these return.
#include <sys/socket.h>

#include <string>

#include "zfpm/net/listen_address.hpp"
#include "zfpm/net/settings.hpp"

namespace zfpm::net {

// A bound, listening, non-blocking, close-on-exec socket, or -1 with *error in php-fpm's words.
// `family` receives the socket's address family.
int open_tcp_socket(const TcpAddress& tcp, const ListenSettings& settings, int& family,
                    std::string* error);
// A Unix socket with listen.owner / listen.group / listen.mode applied. A stale socket file is
// replaced; a live one (something answers on it) is an error, as in php-fpm.
int open_unix_socket(const UnixAddress& address, const ListenSettings& settings,
                     std::string* error);

// accept4 on a listening socket: the client's descriptor (non-blocking, close-on-exec, TCP_NODELAY
// over TCP) and its address, or -1 with errno set. Used by the I/O thread and by workers that
// take their next connection themselves.
int accept_client(int listen_fd, sockaddr_storage& peer);

// "ip:port" / "[ip6]:port" / "unix socket", for logs.
std::string peer_name(const sockaddr_storage& addr);

}  // namespace zfpm::net
