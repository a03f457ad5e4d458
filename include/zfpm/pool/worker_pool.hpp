#pragma once
// PHP worker threads. Each is a pthread with an explicit stack (PHP 8.2 has no C-stack guard, so
// deep recursion needs room: docs/internals.md), created only after PHP's module startup, and
// owns its own PHP context for its whole life. Jobs arrive through one bounded hand-off.
#include <pthread.h>

#include <chrono>
#include <condition_variable>
#include <cstddef>
#include <deque>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "zfpm/config/pool.hpp"
#include "zfpm/fcgi/output_sink.hpp"
#include "zfpm/fcgi/request.hpp"

namespace zfpm::pool {

struct Job {
  fcgi::Request request;
  std::shared_ptr<fcgi::ResponseChannel> channel;
};

// What a worker thread runs: set up its PHP context, then serve jobs from next() until it returns
// false, then tear the context down. Provided by php/.
using WorkerBody = std::function<void(unsigned worker_id)>;

// php-fpm's process managers, as threads (pm = static | dynamic | ondemand): the configuration's
// own enum, one type from the pool file to the pool.
using PmMode = config::PmStyle;

class WorkerPool {
 public:
  struct Settings {
    unsigned workers = 4;  // pm.max_children: at most this many threads, ids 1..workers
    std::size_t stack_bytes = 8u << 20;
    PmMode mode = PmMode::Static;
    unsigned start_servers = 0;      // dynamic: threads at start
    unsigned min_spare_servers = 0;  // dynamic: fewer idle threads than this: start more
    unsigned max_spare_servers = 0;  // dynamic: more idle threads than this: one leaves a second
    unsigned max_spawn_rate = 32;    // dynamic: threads started per second at most
    std::chrono::milliseconds idle_timeout{10'000};  // ondemand: an idle thread leaves after it
    // dynamic: how often maintenance runs (php-fpm's, once a second), and the window of
    // max_spawn_rate. Only tests change it (tests/unit/pool/worker_pool_test.cpp).
    std::chrono::milliseconds maintenance_tick{1'000};
    unsigned id_offset = 0;  // the body sees id + id_offset (a second pool in one process)
    std::string name;        // the pool's name, for its log lines
    // Each thread runs under SCHED_BATCH: waking it never preempts the thread that woke it (the
    // I/O thread handing over requests, or the web server on the same cores), so the waker goes
    // on and hands over more; its share of the CPU is the same (docs/process-model.md).
    bool batch_scheduling = true;
  };

  WorkerPool(Settings settings, WorkerBody body);
  ~WorkerPool();
  WorkerPool(const WorkerPool&) = delete;
  WorkerPool& operator=(const WorkerPool&) = delete;

  // Starts the first threads (static: all; dynamic: start_servers; ondemand: none); false (and
  // logged) when a thread cannot be created.
  bool start();

  // Called on a worker thread each time a worker is done with a job (it asks for the next one, or
  // leaves): the front end's flow control frees a slot. Set before start().
  void set_on_job_done(std::function<void()> on_job_done) { on_job_done_ = std::move(on_job_done); }

  // Workers that take their clients from the listen queue themselves, as php-fpm's children do
  // (leader/follower): a request then wakes no thread but the one that serves it. Provided by
  // the front end; static and dynamic (set_intake ignores it with ondemand, which has no idle
  // thread to lead). With dynamic, a leader that takes the last idle place starts a thread to
  // lead after it. Set before start().
  enum class LeadResult {
    Got,      // `job` is set and holds a flow-control slot
    Woken,    // the wake descriptor was readable, or the client was not kept
    Refused,  // a client waits but may not be taken now: stop leading until poke()
  };
  struct Intake {
    // A worker done with a job: its next job (true), which keeps the finished job's slot
    // (on_job_done is not called). `all_busy`: no worker is idle. `queued`: jobs wait in the
    // pool (or a leader was refused), so only a client whose turn it is may be taken.
    std::function<bool(Job& job, bool all_busy, bool queued)> pull;
    // One idle worker at a time, the leader, waits here instead of on its condition: for a
    // client on the listening sockets, or until `wake_fd` is readable (it reads it), or for
    // `timeout` (negative: no limit; Woken when it passes).
    std::function<LeadResult(Job& job, int wake_fd, std::chrono::milliseconds timeout)> lead;
  };
  void set_intake(Intake intake);
  // The front end has room again after a Refused lead, or stopped accepting: an idle worker
  // leads again (or learns that it cannot). Any thread.
  void poke();

  // From the I/O thread. False when the pool is stopping (the job is dropped). The front end
  // (net/admission.hpp) bounds how many jobs wait here. Starts a thread when the mode asks for one.
  bool submit(Job job);

  // From a worker thread: waits for the next job; false when the pool is stopping or this thread
  // is to leave (ondemand idle timeout, dynamic surplus of idle threads). A body that returns
  // for its own reasons (pm.max_requests) is replaced by a new thread at once.
  bool next(Job& job);

  // The worker `id` is stuck in a request that never returns (the watchdog gave up on it): a new
  // thread takes its place now, and if the stuck one ever comes back it leaves. Any thread. At
  // most pm.max_children replacements are alive at once.
  void replace_lost_worker(unsigned id);

  // Hands out no new job until resume(), on every path: a submitted job waits in the pool's
  // queue, an idle worker neither takes a queued job nor accepts a client (Intake::lead, pull), so
  // clients wait in the listen backlog; jobs already handed out run on. php/ pauses the pool
  // while it drains PHP for an opcache reset (docs/php.md). Any thread; pauses nest (the pool
  // serves again after as many resume() calls as pause() calls).
  void pause();
  void resume();

  // Stops handing out jobs; running ones finish. Waits until every worker has left its body, up
  // to the deadline; true when all have (and are joined).
  bool stop(std::chrono::steady_clock::duration grace);

  // pm.max_children: the id range, and the scoreboard's slot count.
  unsigned size() const { return settings_.workers; }
  PmMode mode() const { return settings_.mode; }
  unsigned id_offset() const { return settings_.id_offset; }
  const std::string& name() const { return settings_.name; }

 private:
  struct Waiter;  // below
  static void* thread_main(void* arg);
  // With the lock held: starts a thread with the lowest free id; false when none is free or
  // pthread_create fails (logged).
  bool spawn_locked();
  // dynamic: once a second at most, retire one idle thread while idle > max_spare (never the
  // leader or `keep`), or start threads while idle < min_spare, 1, 2, 4... a tick up to
  // max_spawn_rate (php-fpm's fpm_pctl_perform_idle_server_maintenance, run by whichever worker
  // comes by after the second has passed).
  void maintain_locked(const Waiter* keep);
  // Whether the mode starts threads on demand and may start one now (dynamic: at most
  // max_spawn_rate a second; never past pm.max_children; not once stopping).
  bool may_spawn_locked();
  // Nobody is idle (or about to be): another thread, if may_spawn_locked().
  void grow_locked();
  // Nobody leads: the idle worker to wake so that it does (null when none, or none may).
  Waiter* successor_locked();

  struct Thread {
    WorkerPool* pool;
    unsigned id;
    pthread_t handle{};
  };

  // An idle worker waiting in next(). Jobs go to the most recently idle one (LIFO): its caches
  // are warm, and the others stay idle long enough to be retired. One per worker id, living as
  // long as the pool, so that submit() can wake it after releasing the lock (a worker woken
  // under the lock would only sleep again on it); a late wake-up is a spurious one.
  struct Waiter {
    std::condition_variable wake;
    Job job;
    bool has_job = false;
    bool retire = false;
  };
  // Whether a worker that is done with a job may pull its next one (Intake::pull), whether every
  // other worker is busy, and whether jobs wait in the pool.
  bool may_pull(bool& all_busy, bool& queued);
  // A worker pulled `job` (Intake::pull) as the pool paused: the job waits in the queue (true).
  bool hold_if_paused(Job& job);
  // In next(), with the lock held and `waiter` idle: leads while no other worker does. True
  // when `job` was set; `lock` is released meanwhile.
  bool lead_locked(std::unique_lock<std::mutex>& lock, Waiter& waiter, Job& job);
  // Makes the leader return from Intake::lead (its wake descriptor becomes readable).
  void nudge_leader();
  // With the lock held: the waiter leaves the idle list (timeout, stop).
  void forget_locked(Waiter& waiter);

  Settings settings_;
  WorkerBody body_;
  std::function<void()> on_job_done_;
  Intake intake_;
  int wake_fd_ = -1;           // eventfd: wakes the leader out of Intake::lead
  Waiter* leader_ = nullptr;   // the idle worker inside Intake::lead
  bool lead_refused_ = false;  // until poke()

  std::mutex mutex_;
  std::condition_variable worker_left_;
  std::deque<Job> queue_;              // jobs no idle worker could take at once, oldest first
  std::vector<Waiter*> idle_waiters_;  // most recently idle last
  std::vector<std::unique_ptr<Waiter>> waiters_;  // by id - 1
  std::vector<bool> id_taken_;                    // by id - 1
  std::vector<pthread_t> finished_;               // left their body, not joined yet
  bool stopping_ = false;
  unsigned pauses_ = 0;                                   // pause() calls not resumed yet
  unsigned running_ = 0;                                  // threads inside thread_main
  std::vector<unsigned> lost_;                            // ids of stuck workers, replaced already
  std::chrono::steady_clock::time_point spawn_window_{};  // the last maintenance tick
  std::chrono::steady_clock::time_point rate_window_{};   // the current second of spawning
  unsigned spawned_in_window_ = 0;
  unsigned idle_spawn_rate_ = 1;  // threads maintenance starts at its next tick, doubling
};

}  // namespace zfpm::pool
