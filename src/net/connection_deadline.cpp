// Connection's deadlines (see connection.hpp): one timer, armed for the earliest deadline and
// re-armed when it fires early, so that pushing a deadline later costs nothing per read.
#include <spdlog/spdlog.h>

#include "zfpm/net/connection.hpp"

namespace zfpm::net {
namespace {

// Check: a request runs; its worker may finish it without telling the strand (a kept
// connection), so the strand looks at least once per idle_timeout to start the idle deadline.
enum class Due { None, Receive, Idle, Write, Check };

// Recomputed from the state each time, so no path can leave a stale deadline behind.
// `between_requests`: the parser holds no part of a request (an Idle connection is idle, not
// receiving).
std::pair<Connection::Clock::time_point, Due> next_deadline(
    const ConnectionSettings& s, Connection::Phase phase, bool between_requests,
    Connection::Clock::time_point receive_start, std::uint64_t received,
    Connection::Clock::time_point last_activity, bool writing,
    Connection::Clock::time_point write_progress) {
  using Phase = Connection::Phase;
  auto at = Connection::Clock::time_point::max();
  Due due = Due::None;
  if (phase == Phase::Running) {
    at = last_activity + s.idle_timeout;
    due = Due::Check;
  } else if (phase == Phase::Idle && between_requests) {
    at = last_activity + s.idle_timeout;
    due = Due::Idle;
  } else if (phase != Phase::Closed) {  // Opening, or Idle with a request arriving
    at = receive_start + s.client_timeout +
         std::chrono::seconds(received / ConnectionSettings::kSlowClientBytesPerSecond);
    due = Due::Receive;
  }
  if (writing && write_progress + s.client_timeout < at) {
    at = write_progress + s.client_timeout;
    due = Due::Write;
  }
  return {at, due};
}

}  // namespace

void Connection::update_deadline() {
  if (closed()) return;
  auto [at, due] =
      next_deadline(shared_.settings, phase_, parser_.between_requests(), receive_start_, received_,
                    last_activity_, writing_, write_progress_);
  if (due != Due::None && at < timer_at_) arm_timer(at);
}

void Connection::arm_timer(Clock::time_point when) {
  timer_at_ = when;
  timer_.expires_at(when);  // cancels an earlier wait: its handler sees operation_aborted
  timer_.async_wait([self = shared_from_this(), when](const asio::error_code& ec) {
    if (ec || self->closed() || self->timer_at_ != when) return;
    self->timer_at_ = Clock::time_point::max();
    self->on_timer();
  });
}

void Connection::on_timer() {
  collect_finished();
  if (closed()) return;
  auto [at, due] =
      next_deadline(shared_.settings, phase_, parser_.between_requests(), receive_start_, received_,
                    last_activity_, writing_, write_progress_);
  if (due == Due::None) return;
  const auto now = Clock::now();
  if (now < at) {
    arm_timer(at);  // the deadline moved on since the timer was armed
    return;
  }
  const auto& s = shared_.settings;
  switch (due) {
    case Due::Check:
      arm_timer(now + s.idle_timeout);  // still running: look again later
      return;
    case Due::Receive:
      spdlog::warn(
          "closing connection from {}: request not complete after {} seconds, {} bytes received "
          "(client_timeout {}s)",
          peer_, std::chrono::duration_cast<std::chrono::seconds>(now - receive_start_).count(),
          received_, s.client_timeout.count());
      break;
    case Due::Idle:
      spdlog::debug("closing idle keep-alive connection from {} after {} seconds", peer_,
                    s.idle_timeout.count());
      break;
    case Due::Write:
      close_unread();
      return;
    case Due::None:
      return;
  }
  close();
}

void Connection::close_unread() {
  if (closed()) return;
  spdlog::warn("closing connection from {}: response not read for {} seconds (client_timeout)",
               peer_, shared_.settings.client_timeout.count());
  close();
}

}  // namespace zfpm::net
