#pragma once
// PHP worker threads. Each is a pthread with an explicit stack (PHP 8.2 has no C-stack guard, so
// deep recursion needs room: reference/zts-sapi.md §3.3), created only after PHP's module startup,
// and owns its own PHP context for its whole life. Jobs arrive through one bounded hand-off.
#include <pthread.h>

#include <chrono>
#include <condition_variable>
#include <cstddef>
#include <deque>
#include <functional>
#include <memory>
#include <mutex>
#include <vector>

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

class WorkerPool {
 public:
  struct Settings {
    unsigned workers = 4;
    std::size_t stack_bytes = 8u << 20;
  };

  WorkerPool(Settings settings, WorkerBody body);
  ~WorkerPool();
  WorkerPool(const WorkerPool&) = delete;
  WorkerPool& operator=(const WorkerPool&) = delete;

  // Starts the threads; false (and logged) when a thread cannot be created.
  bool start();

  // Called on a worker thread each time a worker is done with a job (it asks for the next one, or
  // leaves): the front end's flow control frees a slot. Set before start().
  void set_on_job_done(std::function<void()> on_job_done) { on_job_done_ = std::move(on_job_done); }

  // From the I/O thread. False when the pool is stopping (the job is dropped). The front end
  // (net/admission.hpp) bounds how many jobs wait here.
  bool submit(Job job);

  // From a worker thread: waits for the next job; false when the pool is stopping.
  bool next(Job& job);

  // Stops handing out jobs; running ones finish. Waits until every worker has left its body, up
  // to the deadline; true when all have (and are joined).
  bool stop(std::chrono::steady_clock::duration grace);

  unsigned size() const { return settings_.workers; }

 private:
  static void* thread_main(void* arg);

  struct Thread {
    WorkerPool* pool;
    unsigned id;
    pthread_t handle{};
    bool started = false;
  };

  Settings settings_;
  WorkerBody body_;
  std::function<void()> on_job_done_;
  std::vector<std::unique_ptr<Thread>> threads_;

  std::mutex mutex_;
  std::condition_variable job_ready_;
  std::condition_variable worker_left_;
  std::deque<Job> queue_;
  bool stopping_ = false;
  unsigned running_ = 0;
};

}  // namespace zfpm::pool
