#include "zfpm/obs/scoreboard.hpp"

#include <algorithm>

#include <sys/resource.h>
#include <unistd.h>

#include "zfpm/obs/listen_queue.hpp"

namespace zfpm::obs {
namespace {

template <typename T>
void raise_to(std::atomic<T>& maximum, T value) {
  T seen = maximum.load(std::memory_order_relaxed);
  while (value > seen && !maximum.compare_exchange_weak(seen, value, std::memory_order_relaxed)) {
  }
}

double seconds(const timeval& tv) { return static_cast<double>(tv.tv_sec) + tv.tv_usec / 1e6; }

}  // namespace

const char* stage_name(Stage stage) {
  switch (stage) {
    case Stage::Idle: return "Idle";
    case Stage::ReadingHeaders: return "Reading headers";
    case Stage::RequestInfo: return "Getting request information";
    case Stage::Running: return "Running";
    case Stage::Ending: return "Ending";
    case Stage::Finishing: return "Finishing";
  }
  return "Idle";
}

void thread_cpu_seconds(double& user, double& system) {
  rusage usage{};
  if (::getrusage(RUSAGE_THREAD, &usage) != 0) {
    user = system = 0;
    return;
  }
  user = seconds(usage.ru_utime);
  system = seconds(usage.ru_stime);
}

Scoreboard::Scoreboard(std::string pool, std::string process_manager, unsigned workers,
                       unsigned prepared)
    : pool_(std::move(pool)),
      process_manager_(std::move(process_manager)),
      start_epoch_(std::time(nullptr)) {
  // The pool's first workers count as idle processes from the start, as a static pool's children
  // do once forked: the threads come up right after, and a status request must not see fewer.
  prepared = std::min(prepared, workers);
  slots_.reserve(workers);
  for (unsigned i = 0; i < workers; ++i) {
    auto slot = std::make_unique<Slot>();
    slot->used = i < prepared;
    slot->start_epoch = start_epoch_;
    slots_.push_back(std::move(slot));
  }
  idle_.store(static_cast<int>(prepared), std::memory_order_relaxed);
}

void Scoreboard::add_active(int delta) {
  const int now_active = active_.fetch_add(delta, std::memory_order_relaxed) + delta;
  if (delta > 0) raise_to(max_active_, now_active);
}

void Scoreboard::worker_started(unsigned worker, long tid) {
  if (worker >= slots_.size()) return;
  Slot& slot = *slots_[worker];
  {
    std::lock_guard lock(slot.mutex);
    if (slot.used && slot.tid == 0) {  // the slot the constructor prepared for this thread
      slot.tid = tid;
      slot.start_epoch = std::time(nullptr);
      return;
    }
    if (slot.used) return;
    slot.used = true;
    slot.tid = tid;
    slot.stage = Stage::Idle;
    slot.start_epoch = std::time(nullptr);
    slot.requests = 0;
    slot.request = {};
    slot.last_duration = {};
    slot.last_cpu_percent = 0;
    slot.last_memory = 0;
  }
  idle_.fetch_add(1, std::memory_order_relaxed);
}

void Scoreboard::worker_stopped(unsigned worker) {
  if (worker >= slots_.size()) return;
  Slot& slot = *slots_[worker];
  std::lock_guard lock(slot.mutex);
  if (!slot.used) return;
  slot.used = false;
  if (slot.stage == Stage::Idle) {
    idle_.fetch_sub(1, std::memory_order_relaxed);
  } else {
    active_.fetch_sub(1, std::memory_order_relaxed);
  }
}

void Scoreboard::request_accepted(unsigned worker) {
  if (worker >= slots_.size()) return;
  Slot& slot = *slots_[worker];
  double user = 0, system = 0;
  thread_cpu_seconds(user, system);
  {
    std::lock_guard lock(slot.mutex);
    slot.stage = Stage::ReadingHeaders;
    slot.accepted = Clock::now();
    slot.accepted_epoch = std::time(nullptr);
    slot.cpu_user_at_accept = user;
    slot.cpu_system_at_accept = system;
    ++slot.requests;
    slot.request = {};
  }
  idle_.fetch_sub(1, std::memory_order_relaxed);
  add_active(1);
  accepted_conn_.fetch_add(1, std::memory_order_relaxed);
  // Every worker busy: from now on clients wait in the backlog, the moment to look at it.
  if (active_.load(std::memory_order_relaxed) >= static_cast<int>(slots_.size())) {
    sample_listen_queue();
  }
}

void Scoreboard::request_info(unsigned worker, RequestFields fields) {
  if (worker >= slots_.size()) return;
  Slot& slot = *slots_[worker];
  std::lock_guard lock(slot.mutex);
  slot.stage = Stage::RequestInfo;
  slot.request = std::move(fields);
}

void Scoreboard::request_running(unsigned worker) {
  if (worker >= slots_.size()) return;
  Slot& slot = *slots_[worker];
  std::lock_guard lock(slot.mutex);
  slot.stage = Stage::Running;
}

void Scoreboard::request_finishing(unsigned worker) {
  if (worker >= slots_.size()) return;
  Slot& slot = *slots_[worker];
  std::lock_guard lock(slot.mutex);
  slot.stage = Stage::Finishing;
}

RequestMeasures Scoreboard::request_ended(unsigned worker, std::size_t memory_peak) {
  RequestMeasures measures;
  if (worker >= slots_.size()) return measures;
  Slot& slot = *slots_[worker];
  double user = 0, system = 0;
  thread_cpu_seconds(user, system);
  const auto now = Clock::now();
  std::lock_guard lock(slot.mutex);
  slot.stage = Stage::Finishing;
  measures.duration = std::chrono::duration_cast<std::chrono::microseconds>(now - slot.accepted);
  measures.cpu_user = user - slot.cpu_user_at_accept;
  measures.cpu_system = system - slot.cpu_system_at_accept;
  measures.memory = memory_peak;
  measures.accepted_epoch = slot.accepted_epoch;
  slot.last_duration = measures.duration;
  const double wall = static_cast<double>(measures.duration.count()) / 1e6;
  // fpm_status.c: 0 rather than NaN for a request that took no measurable time.
  slot.last_cpu_percent = wall > 0 ? (measures.cpu_user + measures.cpu_system) / wall * 100. : 0.;
  slot.last_memory = memory_peak;
  return measures;
}

void Scoreboard::request_idle(unsigned worker) {
  if (worker >= slots_.size()) return;
  Slot& slot = *slots_[worker];
  {
    std::lock_guard lock(slot.mutex);
    if (slot.stage == Stage::Idle) return;
    slot.stage = Stage::Idle;
  }
  add_active(-1);
  idle_.fetch_add(1, std::memory_order_relaxed);
}

void Scoreboard::sample_listen_queue() {
  int fd = listen_fd_.load(std::memory_order_relaxed);
  if (fd < 0) fd = pool_listen_socket();
  const ListenQueue queue = read_listen_queue(fd);
  listen_queue_.store(queue.queued, std::memory_order_relaxed);
  listen_queue_len_.store(queue.length, std::memory_order_relaxed);
  raise_to(max_listen_queue_, queue.queued);
}

PoolSnapshot Scoreboard::snapshot(bool with_slots) {
  sample_listen_queue();
  PoolSnapshot out;
  out.pool = pool_;
  out.process_manager = process_manager_;
  out.start_epoch = start_epoch_;
  out.now_epoch = std::time(nullptr);
  out.accepted_conn = accepted_conn_.load(std::memory_order_relaxed);
  out.listen_queue = listen_queue_.load(std::memory_order_relaxed);
  out.max_listen_queue = max_listen_queue_.load(std::memory_order_relaxed);
  out.listen_queue_len = listen_queue_len_.load(std::memory_order_relaxed);
  out.idle = idle_.load(std::memory_order_relaxed);
  out.active = active_.load(std::memory_order_relaxed);
  out.max_active = max_active_.load(std::memory_order_relaxed);
  out.max_children_reached = max_children_reached_.load(std::memory_order_relaxed);
  out.slow_requests = slow_requests_.load(std::memory_order_relaxed);
  if (!with_slots) return out;
  const auto now = Clock::now();
  const long pid = static_cast<long>(::getpid());
  for (unsigned i = 0; i < slots_.size(); ++i) {
    Slot& slot = *slots_[i];
    std::lock_guard lock(slot.mutex);
    if (!slot.used) continue;
    SlotSnapshot s;
    s.worker = i + 1;  // zfpm_worker_info()'s id
    s.pid = pid;
    s.tid = slot.tid;
    s.stage = slot.stage;
    s.start_epoch = slot.start_epoch;
    s.requests = slot.requests;
    const bool idle = slot.stage == Stage::Idle;
    const auto duration = idle ? slot.last_duration
                               : std::chrono::duration_cast<std::chrono::microseconds>(
                                     now - slot.accepted);
    s.duration_us = static_cast<std::uint64_t>(duration.count());
    s.request = slot.request;
    s.last_cpu_percent = idle ? slot.last_cpu_percent : 0.;
    s.last_memory = idle ? slot.last_memory : 0;
    out.slots.push_back(std::move(s));
  }
  return out;
}

}  // namespace zfpm::obs
