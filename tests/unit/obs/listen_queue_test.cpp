#include "zfpm/obs/listen_queue.hpp"

#include <arpa/inet.h>
#include <doctest/doctest.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <cstddef>
#include <cstring>
#include <thread>

using namespace zfpm::obs;

TEST_CASE("a TCP listen socket reports its waiting connections and its backlog") {
  const int server = ::socket(AF_INET, SOCK_STREAM, 0);
  REQUIRE(server >= 0);
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  REQUIRE(::bind(server, reinterpret_cast<sockaddr*>(&address), sizeof address) == 0);
  REQUIRE(::listen(server, 7) == 0);
  socklen_t length = sizeof address;
  REQUIRE(::getsockname(server, reinterpret_cast<sockaddr*>(&address), &length) == 0);
  CHECK(read_listen_queue(server).queued == 0);
  CHECK(read_listen_queue(server).length == 7);

  int clients[2];
  for (int& client : clients) {
    client = ::socket(AF_INET, SOCK_STREAM, 0);
    REQUIRE(::connect(client, reinterpret_cast<sockaddr*>(&address), sizeof address) == 0);
  }
  // The handshake completes in the kernel; nobody accepts, so both wait in the queue.
  int queued = 0;
  for (int i = 0; i < 100 && queued < 2; ++i) {
    queued = read_listen_queue(server).queued;
    if (queued < 2) std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  CHECK(queued == 2);
  for (int client : clients) ::close(client);
  ::close(server);
}

TEST_CASE("a Unix listen socket reports 0, as php-fpm does") {
  const int server = ::socket(AF_UNIX, SOCK_STREAM, 0);
  REQUIRE(server >= 0);
  sockaddr_un address{};
  address.sun_family = AF_UNIX;
  // An abstract address: nothing to clean up on disk.
  const char name[] = "\0zfpm-listen-queue-test";
  std::memcpy(address.sun_path, name, sizeof name - 1);
  REQUIRE(::bind(server, reinterpret_cast<sockaddr*>(&address),
                 offsetof(sockaddr_un, sun_path) + sizeof name - 1) == 0);
  REQUIRE(::listen(server, 5) == 0);
  CHECK(read_listen_queue(server).queued == 0);
  CHECK(read_listen_queue(server).length == 0);
  ::close(server);
}

TEST_CASE("the process remembers its first listen socket until it is closed") {
  CHECK(pool_listen_socket() == -1);
  note_listen_socket(42);
  note_listen_socket(43);
  CHECK(pool_listen_socket() == 42);
  forget_listen_socket(43);
  CHECK(pool_listen_socket() == 42);
  forget_listen_socket(42);
  CHECK(pool_listen_socket() == -1);
}
