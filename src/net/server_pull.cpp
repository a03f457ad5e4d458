// Server::lead and Server::pull: workers that accept their clients themselves (server.hpp).
#include <poll.h>
#include <spdlog/spdlog.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdint>
#include <cstring>
#include <memory>
#include <thread>

#include "listen_socket.hpp"
#include "zfpm/net/server.hpp"

namespace zfpm::net {
namespace {

// A FastCGI request without a large body fits: Caddy's and nginx's params are a few KiB.
constexpr std::size_t kReadBytes = 64 * 1024;
// A worker reads a client's request while each pause is shorter than this, for this long at
// most; then the I/O thread takes the client over.
constexpr int kWorkerReadPauseMs = 10;
constexpr auto kWorkerReadLimit = std::chrono::seconds(1);
// While requests wait for workers, how often a finishing worker looks for clients in the listen
// queue: they wait this long at most before they take turns with the requests.
constexpr auto kProbeInterval = std::chrono::milliseconds(1);
// Out of descriptors, accept fails at once and the socket stays readable (as listener.cpp).
constexpr auto kRetryAfterAcceptError = std::chrono::milliseconds(100);

}  // namespace

bool Server::pull(pool::Job& job, bool all_busy, bool queued) {
  std::shared_lock lock(pull_mutex_, std::try_to_lock);  // held exclusively: stopping
  if (!lock.owns_lock()) return false;
  for (const auto& [listen_fd, protocol] : pull_sockets_) {
    const auto may = admission_.try_pull(queued);
    if (may == Admission::Pull::Wait) probe_listen_queue();
    if (may == Admission::Pull::Wait || may == Admission::Pull::Full) return false;
    sockaddr_storage peer{};
    UniqueFd fd(accept_client(listen_fd, peer));
    if (!fd) {
      admission_.close(false);  // nobody waits (or a failed accept: the leader reports it)
      continue;
    }
    if (!allowed(peer)) {
      fd.reset();
      admission_.close(false);
      continue;
    }
    // A client that waited in the backlog while every worker was busy.
    if (all_busy) note_refusal(Admission::Refusal::Busy);
    // Taking turns with waiting requests: more clients may wait behind this one, so the listen
    // queue keeps its turns until an accept finds it empty (without waiting for a probe).
    if (may == Admission::Pull::Turn) admission_.listener_waiting();
    return take(PulledClient{std::move(fd), protocol, peer_name(peer), client_ip(peer)}, job,
                false);
  }
  return false;
}

void Server::probe_listen_queue() {
  const std::int64_t now = std::chrono::duration_cast<std::chrono::nanoseconds>(
                               std::chrono::steady_clock::now().time_since_epoch())
                               .count();
  std::int64_t due = next_probe_ns_.load(std::memory_order_relaxed);
  if (now < due || !next_probe_ns_.compare_exchange_strong(
                       due, now + std::chrono::nanoseconds(kProbeInterval).count())) {
    return;  // looked at recently, or another worker is looking
  }
  thread_local std::vector<pollfd> fds;
  fds.clear();
  for (const auto& socket : pull_sockets_) fds.push_back({socket.first, POLLIN, 0});
  if (::poll(fds.data(), fds.size(), 0) > 0) admission_.listener_waiting();
}

pool::WorkerPool::LeadResult Server::lead(pool::Job& job, int wake_fd,
                                          std::chrono::milliseconds timeout) {
  using Result = pool::WorkerPool::LeadResult;
  thread_local std::vector<pollfd> fds;
  fds.clear();
  {
    std::shared_lock lock(pull_mutex_);
    if (pull_sockets_.empty()) return Result::Refused;  // not started, or stopped
    for (const auto& socket : pull_sockets_) fds.push_back({socket.first, POLLIN, 0});
  }
  fds.push_back({wake_fd, POLLIN, 0});
  int ready;
  do {
    ready = ::poll(fds.data(), fds.size(), static_cast<int>(timeout.count()));  // < 0: no limit
  } while (ready < 0 && errno == EINTR);
  if (fds.back().revents & POLLIN) {
    std::uint64_t count;
    (void)!::read(wake_fd, &count, sizeof count);
    return Result::Woken;
  }
  if (ready <= 0) return Result::Woken;
  // The sockets may have closed since (stop_accepting): only those still listed are used.
  std::shared_lock lock(pull_mutex_, std::try_to_lock);
  if (!lock.owns_lock()) return Result::Woken;
  for (std::size_t i = 0; i + 1 < fds.size(); ++i) {
    if (!(fds[i].revents & POLLIN)) continue;
    const auto socket = std::find_if(pull_sockets_.begin(), pull_sockets_.end(),
                                     [&](const auto& s) { return s.first == fds[i].fd; });
    if (socket == pull_sockets_.end()) continue;
    if (const auto refusal = admission_.try_open(); refusal != Admission::Refusal::None) {
      note_refusal(refusal);
      return Result::Refused;  // the admission's next room pokes the pool
    }
    sockaddr_storage peer{};
    UniqueFd fd(accept_client(socket->first, peer));
    if (!fd) {
      const int error = errno;
      admission_.close(true);
      if (error == EAGAIN || error == EWOULDBLOCK || error == ECONNABORTED || error == EINTR) {
        continue;  // another worker took it, or it left
      }
      spdlog::error("failed to accept a connection: {}", std::strerror(error));
      // Out of descriptors, the socket stays readable: wait a moment rather than spin.
      std::this_thread::sleep_for(kRetryAfterAcceptError);
      return Result::Woken;
    }
    if (!allowed(peer)) {
      fd.reset();
      admission_.close(true);
      continue;
    }
    if (take(PulledClient{std::move(fd), socket->second, peer_name(peer), client_ip(peer)}, job,
             true)) {
      return Result::Got;
    }
    return Result::Woken;
  }
  return Result::Woken;
}

bool Server::allowed(const sockaddr_storage& peer) {
  if (!allowed_clients_ || allowed_clients_->allows(peer)) return true;
  // fastcgi.c: fcgi_accept_request.
  spdlog::error("Connection disallowed: IP address '{}' has been dropped.", client_ip(peer));
  return false;
}

bool Server::take(PulledClient client, pool::Job& job, bool reserved) {
  thread_local std::unique_ptr<char[]> buffer;
  if (!buffer) buffer = std::make_unique<char[]>(kReadBytes);
  fcgi::Parser parser(shared_.settings.limits, shared_.spool_factory);
  std::vector<fcgi::Event> events;
  std::size_t received = 0;
  // As a php-fpm child reads its request: while the bytes come promptly. A client that pauses
  // goes to the I/O thread, whose deadlines deal with slow clients, and frees this worker.
  const auto give_up = std::chrono::steady_clock::now() + kWorkerReadLimit;
  while (events.empty()) {
    const ssize_t n = ::recv(client.fd.get(), buffer.get(), kReadBytes, 0);
    if (n > 0) {
      received += static_cast<std::size_t>(n);
      parser.feed(std::span<const char>(buffer.get(), static_cast<std::size_t>(n)), events);
      continue;
    }
    if (n < 0 && errno == EINTR) continue;
    if (n == 0 || (errno != EAGAIN && errno != EWOULDBLOCK)) {
      if (parser.mid_request()) {
        spdlog::warn("connection from {} closed in the middle of a request", client.peer);
      }
      client.fd.reset();  // gone before it asked anything whole
      admission_.close(reserved);
      return false;
    }
    pollfd readable{client.fd.get(), POLLIN, 0};
    if (std::chrono::steady_clock::now() >= give_up ||
        ::poll(&readable, 1, kWorkerReadPauseMs) <= 0) {
      break;
    }
  }
  auto* ready = events.size() == 1 ? std::get_if<fcgi::RequestReady>(&events.front()) : nullptr;
  if (ready && parser.at_record_boundary()) {
    if (reserved) admission_.first_request();  // the reserved slot now carries the request
    ready->request.client_ip = client.client_ip;
    const auto timeout = shared_.settings.client_timeout;
    pulled_.fetch_add(1);
    job = pool::Job{std::move(ready->request),
                    std::make_shared<DirectChannel>(*this, std::move(client), timeout)};
    return true;
  }
  // The request is still arriving (or is something else): the I/O thread takes the connection
  // over, with what was read, as if it had accepted it.
  if (!reserved) admission_.reserve();
  asio::post(io_, [this, client = std::move(client), parser = std::move(parser),
                   events = std::move(events), received]() mutable {
    make_connection(client.fd.release(), client.protocol, std::move(client.peer),
                    std::move(client.client_ip), true)
        ->start_with(std::move(parser), std::move(events), received);
  });
  return false;
}

void Server::end_pulled(PulledClient client, bool keep) {
  if (keep) {
    asio::post(io_, [this, client = std::move(client)]() mutable {
      make_connection(client.fd.release(), client.protocol, std::move(client.peer),
                      std::move(client.client_ip), false)
          ->start();
      pulled_.fetch_sub(1);
    });
    return;
  }
  ::shutdown(client.fd.get(), SHUT_RDWR);
  client.fd.reset();
  admission_.close(false);
  pulled_.fetch_sub(1);
}

}  // namespace zfpm::net
