#include "zfpm/net/server.hpp"

#include <spdlog/spdlog.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>

#include "listen_socket.hpp"
#include "zfpm/net/body_spool.hpp"

namespace zfpm::net {
namespace {

// A full server logs that it is full, but not for every refused accept.
constexpr auto kRefusalLogInterval = std::chrono::seconds(10);

}  // namespace

Server::Server(asio::io_context& io, pool::WorkerPool& pool, ServerSettings settings)
    : io_(io),
      settings_(std::move(settings)),
      admission_(pool.size() + (settings_.queue == 0 ? pool.size() : settings_.queue),
                 settings_.max_connections),
      shared_{pool, admission_, settings_.connection,
              temp_file_spool_factory(body_spool_directory(settings_.connection.body_spool_dir))},
      workers_accept_(pool.mode() != pool::PmMode::Ondemand),
      pool_(pool) {
  if (settings_.listen.allowed_clients) {
    std::vector<std::string> errors;
    allowed_clients_ = AllowedClients::parse(*settings_.listen.allowed_clients, &errors);
    for (const auto& error : errors) spdlog::error("{}", error);
  }
  pool.set_on_job_done([this] { admission_.job_done(); });
  if (workers_accept_) {
    pool.set_intake({
        .pull = [this](pool::Job& job, bool all_busy,
                       bool queued) { return pull(job, all_busy, queued); },
        .lead = [this](pool::Job& job, int wake_fd,
                       std::chrono::milliseconds timeout) { return lead(job, wake_fd, timeout); },
    });
    admission_.set_on_room([this] { pool_.poke(); });
  } else {
    admission_.set_on_room([this] {
      asio::post(io_, [this] {
        for (auto& listener : listeners_) listener->resume();
      });
    });
  }
}

bool Server::listen(const ListenAddress& address) {
  std::string error;
  auto listener = Listener::open(io_, address, settings_.listen, &error);
  if (!listener) {
    spdlog::error("{}", error);
    return false;
  }
  listeners_.push_back(std::move(listener));
  return true;
}

bool Server::adopt(int fd, std::string name) {
  auto listener = Listener::adopt(io_, fd, std::move(name));
  if (!listener) return false;
  listeners_.push_back(std::move(listener));
  return true;
}

void Server::start() {
  if (workers_accept_) {
    {
      std::unique_lock lock(pull_mutex_);
      for (auto& listener : listeners_) {
        // Out of the I/O thread's epoll set: a new client would wake it for nothing.
        pull_sockets_.emplace_back(listener->release(), listener->protocol());
      }
    }
    pool_.poke();  // an idle worker leads
    return;
  }
  for (auto& listener : listeners_) {
    listener->start({
        .may_accept = [this] { return may_accept(); },
        .unused = [this] { admission_.close(true); },
        .accepted = [this](int fd, const asio::generic::stream_protocol& protocol,
                           const sockaddr_storage& peer) { accepted(fd, protocol, peer); },
    });
  }
}

bool Server::may_accept() {
  const auto refusal = admission_.try_open();
  if (refusal == Admission::Refusal::None) return true;
  note_refusal(refusal);
  return false;
}

void Server::note_refusal(Admission::Refusal refusal) {
  if (refusal == Admission::Refusal::Busy && on_busy_) on_busy_();
  std::lock_guard lock(refusal_log_mutex_);
  const auto now = std::chrono::steady_clock::now();
  auto& last_log = refusal == Admission::Refusal::Busy ? last_busy_log_ : last_full_log_;
  if (last_log == Clock::time_point{} || now - last_log >= kRefusalLogInterval) {
    last_log = now;
    if (refusal == Admission::Refusal::Busy) {
      // php-fpm's words for the same moment (fpm_process_ctl.c); new clients now wait in the
      // listen queue.
      spdlog::warn("[pool {}] server reached pm.max_children setting ({}), consider raising it",
                   settings_.pool, shared_.settings.max_workers);
    } else {
      spdlog::warn("server reached max connections ({}), new connections wait in the listen queue",
                   settings_.max_connections);
    }
  }
}

void Server::accepted(int fd, const asio::generic::stream_protocol& protocol,
                      const sockaddr_storage& peer) {
  if (!allowed(peer)) {
    ::close(fd);
    admission_.close(true);
    return;
  }
  make_connection(fd, protocol, peer_name(peer), client_ip(peer), true)->start();
}

std::shared_ptr<Connection> Server::make_connection(int fd,
                                                    const asio::generic::stream_protocol& protocol,
                                                    std::string peer, std::string client_ip,
                                                    bool reserved) {
  Connection::Socket socket(asio::make_strand(io_), protocol, fd);
  auto connection = std::make_shared<Connection>(std::move(socket), std::move(peer),
                                                 std::move(client_ip), shared_, reserved);
  if (connections_.size() >= 64 && connections_.size() == connections_.capacity()) {
    std::erase_if(connections_, [](const auto& weak) { return weak.expired(); });
  }
  connections_.push_back(connection);
  return connection;
}

bool Server::quiet() {
  if (pulled_.load() > 0) return false;
  std::erase_if(connections_, [](const auto& weak) { return weak.expired(); });
  for (const auto& weak : connections_) {
    if (auto connection = weak.lock(); connection && !connection->quiet()) return false;
  }
  return true;
}

void Server::close_connections() {
  for (const auto& weak : connections_) {
    if (auto connection = weak.lock()) connection->close();
  }
  connections_.clear();
}

void Server::stop_accepting() {
  {
    std::unique_lock lock(pull_mutex_);  // waits for workers inside pull()
    pull_sockets_.clear();
  }
  // The clients already in the listen queue were let in by the kernel for this pool: they are
  // taken now, while there is room, and answered as any other (SIGQUIT lets them finish). The
  // master closed its copy of the socket before it signalled, so once this one is closed a new
  // client is refused at once instead of waiting in a queue nobody reads, to be reset when zfpm
  // exits: a proxy tries another upstream, whatever the request's method.
  for (auto& listener : listeners_) {
    const int listen_fd = listener->fd();
    while (listen_fd >= 0 && admission_.try_open() == Admission::Refusal::None) {
      sockaddr_storage peer{};
      const int fd = accept_client(listen_fd, peer);
      if (fd < 0) {
        const int error = errno;
        admission_.close(true);
        if (error == EINTR || error == ECONNABORTED) continue;
        break;  // EAGAIN: the queue is empty
      }
      accepted(fd, listener->protocol(), peer);
    }
    listener->close();
  }
  if (workers_accept_) pool_.poke();  // the leader finds nothing left to watch
}

}  // namespace zfpm::net
