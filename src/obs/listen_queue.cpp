#include "zfpm/obs/listen_queue.hpp"

#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>

#include <atomic>

namespace zfpm::obs {
namespace {

std::atomic<int> listen_fd{-1};

}  // namespace

ListenQueue read_listen_queue(int fd) {
  if (fd < 0) return {};
  tcp_info info{};
  socklen_t length = sizeof info;
  if (::getsockopt(fd, IPPROTO_TCP, TCP_INFO, &info, &length) != 0) return {};
  // On a listening socket the kernel reuses these two fields for the accept queue.
  return {static_cast<int>(info.tcpi_unacked), info.tcpi_sacked};
}

void note_listen_socket(int fd) {
  int none = -1;
  listen_fd.compare_exchange_strong(none, fd, std::memory_order_relaxed);
}

void forget_listen_socket(int fd) {
  listen_fd.compare_exchange_strong(fd, -1, std::memory_order_relaxed);
}

int pool_listen_socket() { return listen_fd.load(std::memory_order_relaxed); }

}  // namespace zfpm::obs
