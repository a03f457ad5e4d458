#include "request_gate.hpp"

#include <condition_variable>
#include <cstdint>
#include <mutex>

namespace zfpm::php::request_gate {
namespace {

std::mutex mutex_;
std::condition_variable opened_;   // enter() waits on it
std::condition_variable emptied_;  // close() waits on it
bool closed_ = false;
unsigned inside_ = 0;
unsigned holdouts_ = 0;
// Counts the close() calls that gave up; a thread that entered before the last one is a holdout.
std::uint64_t generation_ = 0;
thread_local std::uint64_t t_entered_generation = 0;

}  // namespace

void enter() {
  std::unique_lock lock(mutex_);
  opened_.wait(lock, [] { return !closed_; });
  ++inside_;
  t_entered_generation = generation_;
}

void leave() {
  std::lock_guard lock(mutex_);
  if (inside_ > 0) --inside_;
  if (t_entered_generation < generation_ && holdouts_ > 0) --holdouts_;
  if (closed_ && inside_ == 0) emptied_.notify_all();
}

Closing close(std::chrono::milliseconds bound) {
  std::unique_lock lock(mutex_);
  Closing closing;
  closed_ = true;
  closing.running = inside_;
  closing.quiet = emptied_.wait_for(lock, bound, [] { return inside_ == 0; });
  if (closing.quiet) {
    holdouts_ = 0;
    return closing;
  }
  closing.left = inside_;
  holdouts_ = inside_;
  ++generation_;
  closed_ = false;
  lock.unlock();
  opened_.notify_all();
  return closing;
}

void open() {
  {
    std::lock_guard lock(mutex_);
    closed_ = false;
  }
  opened_.notify_all();
}

unsigned holdouts() {
  std::lock_guard lock(mutex_);
  return holdouts_;
}

}  // namespace zfpm::php::request_gate
