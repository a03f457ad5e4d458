#pragma once
// The listen queue as php-fpm reads it on Linux (fpm_sockets.c: fpm_socket_get_listening_queue):
// TCP_INFO on the listening socket gives the connections waiting to be accepted (tcpi_unacked)
// and the backlog's size (tcpi_sacked). A Unix socket has no TCP_INFO: php-fpm reports 0, so do we.
namespace zfpm::obs {

struct ListenQueue {
  int queued = 0;        // "listen queue"
  unsigned length = 0;   // "listen queue len"
};

// {0, 0} when fd is not a listening TCP socket.
ListenQueue read_listen_queue(int fd);

// The process's pool listen socket, as net/ opens it (the first one; -1 when none), so that the
// scoreboard can read its queue without knowing the front end.
void note_listen_socket(int fd);
void forget_listen_socket(int fd);
int pool_listen_socket();

}  // namespace zfpm::obs
