#include "zfpm/net/server.hpp"

#include <spdlog/spdlog.h>
#include <unistd.h>

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
              temp_file_spool_factory(body_spool_directory(settings_.connection.body_spool_dir))} {
  if (settings_.listen.allowed_clients) {
    std::vector<std::string> errors;
    allowed_clients_ = AllowedClients::parse(*settings_.listen.allowed_clients, &errors);
    for (const auto& error : errors) spdlog::error("{}", error);
  }
  pool.set_on_job_done([this] { admission_.job_done(); });
  admission_.set_on_room([this] {
    asio::post(io_, [this] {
      for (auto& listener : listeners_) listener->resume();
    });
  });
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
  if (refusal == Admission::Refusal::Busy && on_busy_) on_busy_();
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
  return false;
}

void Server::accepted(int fd, const asio::generic::stream_protocol& protocol,
                      const sockaddr_storage& peer) {
  if (allowed_clients_ && !allowed_clients_->allows(peer)) {
    // fastcgi.c: fcgi_accept_request.
    spdlog::error("Connection disallowed: IP address '{}' has been dropped.", client_ip(peer));
    ::close(fd);
    admission_.close(true);
    return;
  }
  Connection::Socket socket(asio::make_strand(io_), protocol, fd);
  auto connection =
      std::make_shared<Connection>(std::move(socket), peer_name(peer), client_ip(peer), shared_);
  if (connections_.size() >= 64 && connections_.size() == connections_.capacity()) {
    std::erase_if(connections_, [](const auto& weak) { return weak.expired(); });
  }
  connections_.push_back(connection);
  connection->start();
}

bool Server::quiet() {
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
  for (auto& listener : listeners_) listener->close();
}

}  // namespace zfpm::net
