// The outbox over a real socket pair with small buffers: bytes from two writers never
// interleave, and a response cut part-way fails the outbox instead of letting records follow.
#include "zfpm/net/connection_outbox.hpp"

#include <doctest/doctest.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <string>
#include <thread>

using namespace std::chrono_literals;
using zfpm::net::Outbox;

namespace {

struct SocketPair {
  int writer = -1;
  int reader = -1;
  SocketPair() {
    int fds[2];
    REQUIRE(::socketpair(AF_UNIX, SOCK_STREAM, 0, fds) == 0);
    writer = fds[0];
    reader = fds[1];
    const int small = 4096;
    ::setsockopt(writer, SOL_SOCKET, SO_SNDBUF, &small, sizeof small);
    ::setsockopt(reader, SOL_SOCKET, SO_RCVBUF, &small, sizeof small);
  }
  ~SocketPair() {
    ::close(writer);
    ::close(reader);
  }
  // Everything the reader gets until `size` bytes came or nothing came for a second.
  std::string read(std::size_t size) const {
    std::string out;
    char buffer[8192];
    while (out.size() < size) {
      pollfd readable{reader, POLLIN, 0};
      if (::poll(&readable, 1, 1000) <= 0) break;
      const ssize_t n = ::recv(reader, buffer, sizeof buffer, 0);
      if (n <= 0) break;
      out.append(buffer, static_cast<std::size_t>(n));
    }
    return out;
  }
};

// A worker sending `size` bytes of 'w' with write_through, on a thread of its own.
struct Worker {
  std::string own;
  std::string_view pieces[1];
  std::atomic<bool> stop{false};
  Outbox::DrainResult result{};
  std::thread thread;

  Worker(Outbox& outbox, std::size_t size)
      : own(size, 'w'), pieces{own}, thread([this, &outbox] {
          result = outbox.write_through(pieces, stop, 10s);
        }) {}
  ~Worker() {
    if (thread.joinable()) thread.join();
  }
  void join() { thread.join(); }
};

}  // namespace

TEST_CASE("bytes queued before a worker's write go out whole before the worker's own") {
  SocketPair pair;
  Outbox outbox(pair.writer);
  const std::string queued(200000, 'q');  // more than the socket takes: the rest is queued
  REQUIRE(outbox.write(queued) == Outbox::Result::Started);
  REQUIRE(outbox.pending() > 0);

  const std::string own(300000, 'w');
  const std::string_view pieces[] = {"<", own, ">"};
  std::atomic<bool> stop{false};
  Outbox::DrainResult result{};
  std::thread worker([&] { result = outbox.write_through(pieces, stop, 10s); });
  const std::string got = pair.read(queued.size() + own.size() + 2);
  worker.join();
  CHECK(result == Outbox::DrainResult::Drained);
  CHECK(got == queued + "<" + own + ">");
  CHECK_FALSE(outbox.failed());
}

TEST_CASE("what others write while a worker holds the socket goes out after the worker's bytes") {
  SocketPair pair;
  Outbox outbox(pair.writer);
  Worker worker(outbox, 300000);
  std::this_thread::sleep_for(100ms);  // the worker waits on the full socket
  CHECK(outbox.write("other") == Outbox::Result::Queued);
  const std::string got = pair.read(worker.own.size() + 5);
  worker.join();
  CHECK(worker.result == Outbox::DrainResult::Drained);
  CHECK(got == worker.own + "other");
}

TEST_CASE("a stop in the middle of a worker's write fails the outbox: nothing may follow") {
  SocketPair pair;
  Outbox outbox(pair.writer);
  Worker worker(outbox, 300000);
  std::this_thread::sleep_for(100ms);  // part of it is out, the rest waits on the socket
  worker.stop.store(true);
  worker.join();
  CHECK(worker.result == Outbox::DrainResult::Stopped);
  CHECK(outbox.failed());
  CHECK(outbox.write("END_REQUEST") == Outbox::Result::Failed);
  const std::string got = pair.read(worker.own.size());
  CHECK(got.size() < worker.own.size());
  CHECK(got.find_first_not_of('w') == std::string::npos);
}

TEST_CASE("a stop before any of a worker's bytes went out leaves the outbox usable") {
  SocketPair pair;
  Outbox outbox(pair.writer);
  REQUIRE(outbox.write(std::string(200000, 'q')) == Outbox::Result::Started);
  const std::string_view pieces[] = {"never sent"};
  std::atomic<bool> stop{true};
  CHECK(outbox.write_through(pieces, stop, 10s) == Outbox::DrainResult::Stopped);
  CHECK_FALSE(outbox.failed());
  CHECK(outbox.write("after") == Outbox::Result::Queued);  // behind the queue, which is intact
}
