#pragma once
// The front end: every listening socket, and a Connection for every accepted client. Accepting
// follows the workers (net/admission.hpp): when every worker is busy, clients wait in the
// kernel's listen backlog. With pm = static and dynamic the workers accept for themselves, as
// php-fpm's children do: an idle one waits on the listening sockets (lead), one that just
// finished takes the next waiting client (pull), and each serves a client whose request came
// whole straight (DirectChannel), so that no other thread is woken for it. With pm = ondemand
// (no thread while idle) the I/O thread accepts.
#include <asio.hpp>
#include <atomic>
#include <chrono>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <shared_mutex>
#include <string>
#include <vector>

#include "zfpm/net/admission.hpp"
#include "zfpm/net/allowed_clients.hpp"
#include "zfpm/net/connection.hpp"
#include "zfpm/net/direct_channel.hpp"
#include "zfpm/net/listen_address.hpp"
#include "zfpm/net/listener.hpp"
#include "zfpm/net/settings.hpp"
#include "zfpm/pool/worker_pool.hpp"

namespace zfpm::net {

class Server {
 public:
  // Takes over the pool's job-done callback (flow control); call before pool.start().
  Server(asio::io_context& io, pool::WorkerPool& pool, ServerSettings settings);

  // Binds one address; false (logged in php-fpm's words) when it cannot.
  bool listen(const ListenAddress& address);
  // Accepts on a socket bound by the master (Listener::adopt). False when it is not a socket.
  bool adopt(int fd, std::string name);
  // Called (on the I/O thread) each time a client is left waiting because every worker is busy.
  void set_on_busy(std::function<void()> on_busy) { on_busy_ = std::move(on_busy); }
  // Starts accepting on every bound address.
  void start();
  // Stops accepting; open connections are closed when the I/O context is torn down.
  void stop_accepting();
  // For a graceful stop, on the I/O thread: true when no connection has a request in flight.
  bool quiet();
  // Closes every connection (after quiet(): only idle keep-alive ones are left).
  void close_connections();

  // On a worker thread that is done with a request (pool::WorkerPool::Intake::pull): accepts a
  // waiting client, and if its whole request is already readable, gives it to this worker as
  // `job` (true). A client whose request is still arriving goes to the I/O thread. False when
  // nobody waits, requests wait for a slot or a worker (`queued`) and it is not the listen
  // queue's turn (Admission::try_pull), or the server stopped accepting. While requests wait, it
  // looks at the listen queue now and then (probe_listen_queue) so its clients get their turn.
  bool pull(pool::Job& job, bool all_busy, bool queued);
  // On the leading idle worker (pool::WorkerPool::Intake::lead): waits for a client (at most
  // `timeout`, negative: no limit), accepts it and takes its request as pull() does.
  pool::WorkerPool::LeadResult lead(pool::Job& job, int wake_fd, std::chrono::milliseconds timeout);
  // The worker's request on a pulled client ended (DirectChannel): the connection closes, or
  // (`keep`) goes to the I/O thread for its next requests.
  void end_pulled(PulledClient client, bool keep);

 private:
  bool may_accept();
  // listen.allowed_clients; a client refused is logged (the caller closes it).
  bool allowed(const sockaddr_storage& peer);
  // Logs (at most every 10 s) that a client was left waiting, and why.
  void note_refusal(Admission::Refusal refusal);
  // From pull(), when requests wait: at most once a millisecond across workers, whether a
  // client waits in a listen queue (poll, no wait); if so the admission gives it a turn.
  void probe_listen_queue();
  // pull() and lead(), once a client is accepted: reads what it sent. Returns whether the job is
  // set. `reserved`: the client holds a reserved slot (lead) rather than the worker's (pull).
  bool take(PulledClient client, pool::Job& job, bool reserved);
  // On the I/O thread: a new Connection for a socket, tracked for quiet().
  std::shared_ptr<Connection> make_connection(int fd,
                                              const asio::generic::stream_protocol& protocol,
                                              std::string peer, std::string client_ip,
                                              bool reserved);
  void accepted(int fd, const asio::generic::stream_protocol& protocol,
                const sockaddr_storage& peer);

  asio::io_context& io_;
  ServerSettings settings_;
  Admission admission_;
  std::optional<AllowedClients> allowed_clients_;
  ConnectionShared shared_;
  std::vector<std::unique_ptr<Listener>> listeners_;
  std::vector<std::weak_ptr<Connection>> connections_;  // for quiet(); pruned as they go
  std::function<void()> on_busy_;
  // The listening sockets workers accept on (lead, pull); emptied, under the exclusive lock, before
  // the listeners close, so that no worker accepts on a closed (or reused) descriptor.
  std::shared_mutex pull_mutex_;
  std::vector<std::pair<int, asio::generic::stream_protocol>> pull_sockets_;
  std::atomic<unsigned> pulled_{0};             // pulled requests running, for quiet()
  std::atomic<std::int64_t> next_probe_ns_{0};  // steady clock: probe_listen_queue's next look
  // Workers accept (pm = static, dynamic): the I/O thread never watches the listening sockets.
  bool workers_accept_ = false;
  pool::WorkerPool& pool_;
  // When each kind of refusal was last logged: a full server says so, but not per accept.
  std::mutex refusal_log_mutex_;
  using Clock = std::chrono::steady_clock;
  Clock::time_point last_busy_log_{};
  Clock::time_point last_full_log_{};
};

}  // namespace zfpm::net
