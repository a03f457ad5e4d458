#include "zfpm/net/admission.hpp"

#include <utility>
#include <vector>

namespace zfpm::net {

Admission::Admission(std::size_t slots, std::size_t max_connections)
    : slots_(slots == 0 ? 1 : slots), max_connections_(max_connections) {}

void Admission::set_on_room(std::function<void()> on_room) {
  std::lock_guard lock(mutex_);
  on_room_ = std::move(on_room);
}

Admission::Refusal Admission::try_open() {
  std::lock_guard lock(mutex_);
  if (open_ >= max_connections_) {
    refused_ = true;
    return Refusal::MaxConnections;
  }
  if (kept_for_listener_ > 0) {  // this connection's turn, kept while requests wait (pump)
    --kept_for_listener_;
    ++open_;
    ++reserved_;
    return Refusal::None;
  }
  // Waiting keep-alive requests come before new connections.
  if (!has_room() || !waiters_.empty()) {
    refused_ = true;
    return Refusal::Busy;
  }
  ++open_;
  ++reserved_;
  return Refusal::None;
}

void Admission::close(bool reserved) {
  std::vector<std::function<void()>> grants;
  bool resume = false;
  {
    std::lock_guard lock(mutex_);
    if (open_ > 0) --open_;
    if (reserved && reserved_ > 0) --reserved_;
    pump(grants, resume);
  }
  run(grants, resume);
}

void Admission::first_request() {
  std::lock_guard lock(mutex_);
  if (reserved_ > 0) --reserved_;
  ++jobs_;
}

bool Admission::try_request(std::function<void()> grant) {
  std::lock_guard lock(mutex_);
  if (has_room() && waiters_.empty()) {
    ++jobs_;
    return true;
  }
  waiters_.push_back(std::move(grant));
  return false;
}

void Admission::job_done() {
  std::vector<std::function<void()>> grants;
  bool resume = false;
  {
    std::lock_guard lock(mutex_);
    if (jobs_ > 0) --jobs_;
    pump(grants, resume);
  }
  run(grants, resume);
}

Admission::Pull Admission::try_pull(bool queued) {
  std::vector<std::function<void()>> grants;
  bool resume = false;
  Pull answer = Pull::Take;
  {
    std::lock_guard lock(mutex_);
    if (open_ >= max_connections_) return Pull::Full;
    if (kept_for_listener_ > 0) {
      // The listen queue's turn (pump): the worker's slot serves it, and the one kept for it
      // goes to whoever waits next.
      --kept_for_listener_;
      pump(grants, resume);
      answer = Pull::Turn;
    } else if (queued || !waiters_.empty()) {
      return Pull::Wait;
    }
    ++open_;
  }
  run(grants, resume);
  return answer;
}

void Admission::listener_waiting() {
  std::lock_guard lock(mutex_);
  refused_ = true;
}

void Admission::reserve() {
  std::lock_guard lock(mutex_);
  ++reserved_;
}

void Admission::pump(std::vector<std::function<void()>>& grants, bool& resume) {
  while (has_room()) {
    const bool listener_waits = refused_ && open_ < max_connections_;
    if (listener_waits && (waiters_.empty() || listener_turn_)) {
      refused_ = false;
      listener_turn_ = false;
      resume = true;
      // The slot is kept for it: whoever accepts next (the resumed listener's try_open, or with
      // pm = static or dynamic a finishing worker's try_pull, even while jobs wait for workers)
      // takes it, rather than the next keep-alive request.
      ++kept_for_listener_;
      continue;
    }
    if (waiters_.empty()) break;
    ++jobs_;
    grants.push_back(std::move(waiters_.front()));
    waiters_.pop_front();
    listener_turn_ = listener_waits;
  }
}

void Admission::run(std::vector<std::function<void()>>& grants, bool resume) {
  for (auto& grant : grants) grant();
  if (resume) {
    std::function<void()> on_room;
    {
      std::lock_guard lock(mutex_);
      on_room = on_room_;
    }
    if (on_room) on_room();
  }
}

std::size_t Admission::open_connections() const {
  std::lock_guard lock(mutex_);
  return open_;
}

std::size_t Admission::waiting() const {
  std::lock_guard lock(mutex_);
  return waiters_.size();
}

}  // namespace zfpm::net
