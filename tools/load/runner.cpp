#include "runner.hpp"

#include <atomic>
#include <csignal>
#include <memory>
#include <thread>
#include <vector>

#include "exchange.hpp"

namespace zfpm::load {

namespace {

// Only the CGI header block is needed (for Status:); the body is counted, not kept.
constexpr std::size_t kKeptStdout = 8 * 1024;
// After a connect error on a connection that worked before, wait before trying again rather than
// spinning on a refusing port.
constexpr auto kReconnectPause = std::chrono::milliseconds(10);
// A request in flight at the end that had waited this long counts as unanswered (Stats).
constexpr auto kUnansweredAfter = std::chrono::seconds(1);

struct Shared {
  // -n: requests not yet claimed; claimed before sending, so the total is exact.
  std::atomic<std::int64_t> unclaimed{0};
  bool counted = false;
};

// One closed-loop client: sends its next request when the previous one ends.
class Client : public std::enable_shared_from_this<Client> {
 public:
  Client(asio::io_context& io, const Options& options, const std::string& wire, Shared& shared,
         Stats& stats)
      : shared_(shared),
        stats_(stats),
        pause_(io),
        exchange_(
            std::make_shared<Exchange>(io, make_endpoint(options.target), wire, options.keep_alive,
                                       std::chrono::duration_cast<Clock::duration>(
                                           std::chrono::duration<double>(options.timeout_seconds)),
                                       kKeptStdout)) {}

  // After the run: a request still in flight holds this client through its completion handler,
  // and this client holds the exchange; letting go of the exchange breaks that cycle.
  void release() { exchange_.reset(); }

  // After the run, with every thread joined.
  bool unanswered(Clock::time_point end) const {
    return exchange_->waited(end) >= kUnansweredAfter;
  }

  void next() {
    if (shared_.counted && shared_.unclaimed.fetch_sub(1) <= 0) return;
    exchange_->start([self = shared_from_this()](const ExchangeResult& r) { self->on_done(r); });
  }

 private:
  void on_done(const ExchangeResult& r) {
    stats_.bytes_received += r.bytes_received;
    if (r.opened_connection) {
      ++stats_.connections_opened;
      ever_connected_ = true;
    }
    switch (r.outcome) {
      case Outcome::complete: {
        ++stats_.requests;
        stats_.latency.record(static_cast<std::uint64_t>(
            std::chrono::duration_cast<std::chrono::microseconds>(r.latency).count()));
        auto status = r.response->http_status();
        if (status && *status >= 500) ++stats_.status_errors;
        break;
      }
      case Outcome::connect_error:
        ++stats_.connect_errors;
        // A client that never got a connection gives up at once: against a closed port the run
        // ends immediately (exit code 1) instead of counting refusals for the whole duration.
        if (!ever_connected_) return;
        pause_.expires_after(kReconnectPause);
        pause_.async_wait([self = shared_from_this()](const asio::error_code& ec) {
          if (!ec) self->next();
        });
        return;
      case Outcome::timeout:
        ++stats_.timeouts;
        break;
      case Outcome::io_error:
        ++stats_.io_errors;
        break;
      case Outcome::protocol_error:
        ++stats_.protocol_errors;
        break;
    }
    next();
  }

  Shared& shared_;
  Stats& stats_;
  asio::steady_timer pause_;
  std::shared_ptr<Exchange> exchange_;
  bool ever_connected_ = false;
};

}  // namespace

RunResult run_load(const Options& options, const std::string& wire) {
  Shared shared;
  if (options.total_requests) {
    shared.counted = true;
    shared.unclaimed = static_cast<std::int64_t>(*options.total_requests);
  }

  const int threads = options.threads;
  std::vector<std::unique_ptr<asio::io_context>> contexts;
  std::vector<Stats> stats(threads);
  for (int i = 0; i < threads; ++i) contexts.push_back(std::make_unique<asio::io_context>(1));
  std::vector<std::shared_ptr<Client>> clients;
  for (int i = 0; i < options.connections; ++i) {
    auto& io = *contexts[i % threads];
    auto client = std::make_shared<Client>(io, options, wire, shared, stats[i % threads]);
    clients.push_back(client);
    // Posted, so every client starts once the clocks below are running.
    asio::post(io, [client] { client->next(); });
  }

  // The main thread waits for the end: the duration, a signal, or every worker running dry.
  asio::io_context control(1);
  asio::signal_set signals(control, SIGINT, SIGTERM);
  asio::steady_timer deadline(control);
  bool interrupted = false;
  auto stop_all = [&] {
    for (auto& io : contexts) io->stop();
    signals.cancel();
    deadline.cancel();
  };
  signals.async_wait([&](const asio::error_code& ec, int) {
    if (ec) return;
    interrupted = true;
    stop_all();
  });
  if (!options.total_requests) {
    deadline.expires_after(std::chrono::duration_cast<Clock::duration>(
        std::chrono::duration<double>(options.duration_seconds)));
    deadline.async_wait([&](const asio::error_code& ec) {
      if (!ec) stop_all();
    });
  }

  auto started = Clock::now();
  std::atomic<int> running{threads};
  std::vector<std::thread> workers;
  for (int i = 0; i < threads; ++i) {
    workers.emplace_back([&, i] {
      contexts[i]->run();
      if (running.fetch_sub(1) == 1) asio::post(control, stop_all);
    });
  }
  control.run();
  // Requests still in flight at the deadline are neither counted nor errors; those that had
  // waited long are counted as unanswered.
  const auto ended = Clock::now();
  auto elapsed = ended - started;
  for (auto& worker : workers) worker.join();
  RunResult result;
  for (auto& client : clients) {
    if (client->unanswered(ended)) ++result.stats.unanswered;
    client->release();
  }
  for (const auto& s : stats) result.stats.merge(s);
  result.elapsed_seconds = std::chrono::duration<double>(elapsed).count();
  result.interrupted = interrupted;
  return result;
}

}  // namespace zfpm::load
