#include "zfpm/pool/worker_pool.hpp"

#include <sched.h>

#include <spdlog/spdlog.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdint>
#include <cstring>

namespace zfpm::pool {
namespace {

// Whether this worker thread holds a job from next(): it is done with it when it asks again.
thread_local bool t_holding_job = false;
// This worker thread's id.
thread_local unsigned t_id = 0;
// Whether this thread leaves because the pool asked it to: it is not replaced.
thread_local bool t_retired = false;

}  // namespace

WorkerPool::WorkerPool(Settings settings, WorkerBody body)
    : settings_(settings), body_(std::move(body)), id_taken_(settings.workers, false) {}

WorkerPool::~WorkerPool() {
  stop(std::chrono::seconds(0));
  if (wake_fd_ >= 0) ::close(wake_fd_);
}

void WorkerPool::set_intake(Intake intake) {
  intake_ = std::move(intake);
  // Ondemand has no thread at all while idle, so none could lead: its front end accepts.
  if (settings_.mode == PmMode::Ondemand) intake_ = {};
  if (intake_.lead && wake_fd_ < 0) wake_fd_ = ::eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
  if (wake_fd_ < 0) intake_.lead = nullptr;  // followers only: the front end accepts for them
}

void WorkerPool::poke() {
  Waiter* woken = nullptr;
  {
    std::lock_guard lock(mutex_);
    lead_refused_ = false;
    if (!leader_ && !idle_waiters_.empty()) woken = idle_waiters_.back();
  }
  if (woken) {
    woken->wake.notify_one();  // it leads
  } else {
    nudge_leader();  // the leader looks again
  }
}

void WorkerPool::nudge_leader() {
  if (wake_fd_ < 0) return;
  const std::uint64_t one = 1;
  (void)!::write(wake_fd_, &one, sizeof one);
}

void* WorkerPool::thread_main(void* arg) {
  auto* thread = static_cast<Thread*>(arg);
  WorkerPool& pool = *thread->pool;
  const unsigned id = thread->id;
  delete thread;
  t_retired = false;
  t_id = id;
  if (pool.settings_.batch_scheduling) {
    sched_param param{};
    if (::sched_setscheduler(0, SCHED_BATCH, &param) != 0) {
      spdlog::warn("worker {}: SCHED_BATCH refused: {}", id, std::strerror(errno));
    }
  }
  try {
    pool.body_(id + pool.settings_.id_offset);
  } catch (const std::exception& e) {
    spdlog::error("worker {} stopped: {}", id, e.what());
  }
  if (t_holding_job) {
    t_holding_job = false;
    if (pool.on_job_done_) pool.on_job_done_();
  }
  std::lock_guard lock(pool.mutex_);
  --pool.running_;
  pool.id_taken_[id - 1] = false;
  pool.finished_.push_back(pthread_self());
  // A thread that left on its own (pm.max_requests, or an error) is replaced; one the pool
  // retired is not.
  if (!pool.stopping_ && !t_retired) pool.spawn_locked();
  pool.worker_left_.notify_all();
  return nullptr;
}

bool WorkerPool::spawn_locked() {
  unsigned id = 0;
  for (unsigned i = 0; i < id_taken_.size(); ++i) {
    if (!id_taken_[i]) {
      id = i + 1;
      break;
    }
  }
  if (id == 0) return false;
  if (waiters_.size() < id) waiters_.resize(id);
  if (!waiters_[id - 1]) waiters_[id - 1] = std::make_unique<Waiter>();
  pthread_attr_t attr;
  pthread_attr_init(&attr);
  pthread_attr_setstacksize(&attr, settings_.stack_bytes);
  auto* thread = new Thread{this, id};
  int rc = pthread_create(&thread->handle, &attr, &WorkerPool::thread_main, thread);
  pthread_attr_destroy(&attr);
  if (rc != 0) {
    delete thread;
    spdlog::error("unable to create worker thread {}: {}", id, std::strerror(rc));
    return false;
  }
  id_taken_[id - 1] = true;
  ++running_;
  ++spawned_in_window_;
  return true;
}

bool WorkerPool::start() {
  unsigned first = settings_.workers;
  if (settings_.mode == PmMode::Dynamic) first = std::min(settings_.start_servers, settings_.workers);
  if (settings_.mode == PmMode::Ondemand) first = 0;
  std::lock_guard lock(mutex_);
  spawn_window_ = std::chrono::steady_clock::now();  // the first maintenance is a tick away
  for (unsigned i = 0; i < first; ++i) {
    if (!spawn_locked()) return false;
  }
  return true;
}

void WorkerPool::forget_locked(Waiter& waiter) {
  std::erase(idle_waiters_, &waiter);
}

void WorkerPool::maintain_locked(const Waiter* keep) {
  // Once a tick, as php-fpm's maintenance runs on its own timer
  // (fpm_pctl_perform_idle_server_maintenance): from an idle thread's timer, and from a worker
  // that finishes a request (may_pull), so that a pool whose threads are all busy still grows.
  const auto now = std::chrono::steady_clock::now();
  if (stopping_ || now - spawn_window_ < settings_.maintenance_tick) return;
  spawn_window_ = now;
  // Beyond max_spare_servers idle threads, one leaves per tick, as php-fpm stops one child per
  // tick (fpm_pctl_kill_idle_child): a pool that shrinks slowly starts fewer threads again when
  // the load comes back. The least recently used goes. The leader stays, and so does `keep` (the
  // thread that has just led and leads again), so the listen queue is never left unwatched
  // (max_spare_servers is at least 1).
  std::size_t surplus = idle_waiters_.size() > settings_.max_spare_servers ? 1 : 0;
  std::erase_if(idle_waiters_, [&](Waiter* waiter) {
    if (surplus == 0 || waiter == leader_ || waiter == keep) return false;
    --surplus;
    waiter->retire = true;
    waiter->wake.notify_one();
    return true;
  });
  const std::size_t idle = idle_waiters_.size();
  if (idle >= settings_.min_spare_servers || running_ >= settings_.workers) {
    idle_spawn_rate_ = 1;
    return;
  }
  // As php-fpm: the rate doubles each tick that still finds too few idle, and from 8 on says so.
  if (idle_spawn_rate_ >= 8) {
    spdlog::warn(
        "[pool {}] seems busy (you may need to increase pm.start_servers, or "
        "pm.min/max_spare_servers), spawning {} children, there are {} idle, and {} total children",
        settings_.name, idle_spawn_rate_, idle, running_);
  }
  const std::size_t wanted =
      std::min<std::size_t>(idle_spawn_rate_, settings_.min_spare_servers - idle);
  for (std::size_t started = 0; started < wanted && may_spawn_locked() && spawn_locked();) {
    ++started;
  }
  if (idle_spawn_rate_ < settings_.max_spawn_rate) idle_spawn_rate_ *= 2;
}

bool WorkerPool::submit(Job job) {
  std::vector<pthread_t> finished;
  Waiter* woken = nullptr;
  bool wake_leader = false;
  {
    std::lock_guard lock(mutex_);
    if (stopping_) return false;
    finished.swap(finished_);
    if (!idle_waiters_.empty() && pauses_ == 0) {
      // Straight to the most recently idle worker, woken once the lock is free; the leader
      // only when nobody else is idle (it would have to hand the lead on).
      auto chosen = idle_waiters_.end() - 1;
      if (*chosen == leader_ && idle_waiters_.size() > 1) --chosen;
      woken = *chosen;
      idle_waiters_.erase(chosen);
      woken->job = std::move(job);
      woken->has_job = true;
      wake_leader = woken == leader_;
      // The leader was the last idle worker: with dynamic, another takes the lead.
      if (wake_leader) grow_locked();
    } else {
      queue_.push_back(std::move(job));
      grow_locked();  // nobody idle
    }
  }
  if (wake_leader) {
    nudge_leader();
  } else if (woken) {
    woken->wake.notify_one();
  }
  for (auto handle : finished) pthread_join(handle, nullptr);  // they have left already
  return true;
}

bool WorkerPool::may_spawn_locked() {
  const auto now = std::chrono::steady_clock::now();
  if (now - rate_window_ >= settings_.maintenance_tick) {
    rate_window_ = now;
    spawned_in_window_ = 0;
  }
  return !stopping_ && settings_.mode != PmMode::Static && running_ < settings_.workers &&
         (settings_.mode == PmMode::Ondemand || spawned_in_window_ < settings_.max_spawn_rate);
}

void WorkerPool::grow_locked() {
  if (may_spawn_locked()) spawn_locked();
}

WorkerPool::Waiter* WorkerPool::successor_locked() {
  if (!intake_.lead || leader_ || lead_refused_ || stopping_ || pauses_ > 0 ||
      idle_waiters_.empty()) {
    return nullptr;
  }
  return idle_waiters_.back();
}

bool WorkerPool::next(Job& job) {
  if (t_holding_job) {
    bool all_busy = false;
    bool queued = false;
    bool held = false;
    if (intake_.pull && may_pull(all_busy, queued) && intake_.pull(job, all_busy, queued)) {
      held = hold_if_paused(job);
      if (!held) return true;  // the slot goes on with the new job
    }
    t_holding_job = false;
    if (!held && on_job_done_) on_job_done_();  // a held job keeps the slot in the queue
  }
  std::unique_lock lock(mutex_);
  if (stopping_) return false;
  if (auto lost = std::find(lost_.begin(), lost_.end(), t_id); lost != lost_.end()) {
    lost_.erase(lost);  // back from a request the watchdog gave up on: its replacement stays
    t_retired = true;
    return false;
  }
  if (!queue_.empty() && pauses_ == 0) {
    job = std::move(queue_.front());
    queue_.pop_front();
    t_holding_job = true;
    return true;
  }
  Waiter& waiter = *waiters_[t_id - 1];
  waiter.has_job = false;
  waiter.retire = false;
  idle_waiters_.push_back(&waiter);
  const auto idle_since = std::chrono::steady_clock::now();
  while (!waiter.has_job && !waiter.retire && !stopping_) {
    if (!queue_.empty() && pauses_ == 0) {  // handed to a leader as it took a client (lead_locked)
      waiter.job = std::move(queue_.front());
      queue_.pop_front();
      waiter.has_job = true;
      break;
    }
    if (intake_.lead && !leader_ && !lead_refused_ && pauses_ == 0) {
      if (lead_locked(lock, waiter, job)) return true;
      // dynamic: the leader wakes once a tick, as the other idle threads do, for maintenance.
      if (settings_.mode == PmMode::Dynamic && !waiter.has_job && !waiter.retire) {
        maintain_locked(&waiter);
      }
      continue;
    }
    switch (settings_.mode) {
      case PmMode::Static:
        waiter.wake.wait(lock);
        break;
      case PmMode::Dynamic:
        waiter.wake.wait_for(lock, settings_.maintenance_tick);
        if (!waiter.has_job && !waiter.retire) maintain_locked(nullptr);
        break;
      case PmMode::Ondemand:
        waiter.wake.wait_until(lock, idle_since + settings_.idle_timeout);
        if (!waiter.has_job && !stopping_ &&
            std::chrono::steady_clock::now() >= idle_since + settings_.idle_timeout) {
          waiter.retire = true;  // pm.process_idle_timeout
          forget_locked(waiter);
        }
        break;
    }
  }
  forget_locked(waiter);
  const bool got = waiter.has_job;
  if (got) {
    job = std::move(waiter.job);
    t_holding_job = true;
  } else if (waiter.retire) {
    t_retired = true;
  }
  // This thread may have been woken to lead, or have led until the job came: another idle one
  // leads in its place.
  Waiter* successor = successor_locked();
  lock.unlock();
  if (successor) successor->wake.notify_one();
  return got;
}

bool WorkerPool::may_pull(bool& all_busy, bool& queued) {
  std::lock_guard lock(mutex_);
  // Every thread the pool may have is busy (dynamic: as many as pm.max_children).
  all_busy = idle_waiters_.empty() && running_ >= settings_.workers;
  // Jobs already handed to the pool come first, unless the front end says a waiting client's
  // turn has come (Intake::pull decides); while a worker leads, it takes the waiting clients (no
  // accept() that finds nobody); a stopping pool and a worker that is to leave take nothing new.
  queued = !queue_.empty() || lead_refused_;
  if (settings_.mode == PmMode::Dynamic) maintain_locked(nullptr);
  return !stopping_ && pauses_ == 0 && !leader_ &&
         std::find(lost_.begin(), lost_.end(), t_id) == lost_.end();
}

bool WorkerPool::hold_if_paused(Job& job) {
  std::lock_guard lock(mutex_);
  if (pauses_ == 0) return false;
  queue_.push_front(std::move(job));
  return true;
}

bool WorkerPool::lead_locked(std::unique_lock<std::mutex>& lock, Waiter& waiter, Job& job) {
  leader_ = &waiter;
  lock.unlock();
  Job taken;
  const auto timeout = settings_.mode == PmMode::Dynamic ? settings_.maintenance_tick
                                                         : std::chrono::milliseconds(-1);
  const LeadResult result = intake_.lead(taken, wake_fd_, timeout);
  lock.lock();
  leader_ = nullptr;
  if (result == LeadResult::Refused) lead_refused_ = true;
  if (result != LeadResult::Got) return false;
  if (pauses_ > 0) {
    // The client came as the pool paused: its job waits in the queue with the others.
    queue_.push_front(std::move(taken));
    return false;
  }
  forget_locked(waiter);
  if (waiter.has_job) {
    // A job was handed to this worker while it took a client: the next worker takes it.
    waiter.has_job = false;
    queue_.push_front(std::move(waiter.job));
  }
  // The lead goes to the most recently idle worker; with dynamic, to a new one when none is idle
  // (at most max_spawn_rate a second, up to pm.max_children): new clients wait in the listen
  // queue, where no request is handed over to start a thread.
  Waiter* next_leader = idle_waiters_.empty() ? nullptr : idle_waiters_.back();
  if (!next_leader) grow_locked();
  lock.unlock();
  if (next_leader) next_leader->wake.notify_one();
  job = std::move(taken);
  t_holding_job = true;
  return true;
}

void WorkerPool::pause() {
  std::lock_guard lock(mutex_);
  ++pauses_;
  if (leader_) nudge_leader();  // it stops watching the listening sockets
}

void WorkerPool::resume() {
  std::vector<Waiter*> woken;
  {
    std::lock_guard lock(mutex_);
    if (pauses_ == 0 || --pauses_ > 0) return;
    woken = idle_waiters_;  // each takes a queued job, or one of them leads
  }
  for (Waiter* waiter : woken) waiter->wake.notify_one();
}

void WorkerPool::replace_lost_worker(unsigned id) {
  std::lock_guard lock(mutex_);
  if (stopping_ || lost_.size() >= settings_.workers) return;
  lost_.push_back(id);
  id_taken_.push_back(false);  // an id beyond pm.max_children for the replacement
  spawn_locked();
}

bool WorkerPool::stop(std::chrono::steady_clock::duration grace) {
  std::deque<Job> dropped;
  std::vector<pthread_t> finished;
  {
    std::unique_lock lock(mutex_);
    stopping_ = true;
    dropped.swap(queue_);
    for (Waiter* waiter : idle_waiters_) waiter->wake.notify_one();
    if (leader_) nudge_leader();
    if (!worker_left_.wait_for(lock, grace, [&] { return running_ == 0; })) return false;
    finished.swap(finished_);
  }
  for (auto handle : finished) pthread_join(handle, nullptr);
  return true;
}

}  // namespace zfpm::pool
