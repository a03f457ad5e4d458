#include "zfpm/pool/worker_pool.hpp"

#include <spdlog/spdlog.h>

#include <cstring>

namespace zfpm::pool {
namespace {

// Whether this worker thread holds a job from next(): it is done with it when it asks again.
thread_local bool t_holding_job = false;

}  // namespace

WorkerPool::WorkerPool(Settings settings, WorkerBody body)
    : settings_(settings), body_(std::move(body)) {}

WorkerPool::~WorkerPool() { stop(std::chrono::seconds(0)); }

void* WorkerPool::thread_main(void* arg) {
  auto* thread = static_cast<Thread*>(arg);
  WorkerPool& pool = *thread->pool;
  try {
    pool.body_(thread->id);
  } catch (const std::exception& e) {
    spdlog::error("worker {} stopped: {}", thread->id, e.what());
  }
  if (t_holding_job) {
    t_holding_job = false;
    if (pool.on_job_done_) pool.on_job_done_();
  }
  std::lock_guard lock(pool.mutex_);
  --pool.running_;
  pool.worker_left_.notify_all();
  return nullptr;
}

bool WorkerPool::start() {
  pthread_attr_t attr;
  pthread_attr_init(&attr);
  pthread_attr_setstacksize(&attr, settings_.stack_bytes);
  bool ok = true;
  for (unsigned id = 1; id <= settings_.workers; ++id) {
    auto thread = std::make_unique<Thread>(Thread{this, id});
    {
      std::lock_guard lock(mutex_);
      ++running_;
    }
    int rc = pthread_create(&thread->handle, &attr, &WorkerPool::thread_main, thread.get());
    if (rc != 0) {
      std::lock_guard lock(mutex_);
      --running_;
      spdlog::error("unable to create worker thread {}: {}", id, std::strerror(rc));
      ok = false;
      break;
    }
    thread->started = true;
    threads_.push_back(std::move(thread));
  }
  pthread_attr_destroy(&attr);
  return ok;
}

bool WorkerPool::submit(Job job) {
  {
    std::lock_guard lock(mutex_);
    if (stopping_) return false;
    queue_.push_back(std::move(job));
  }
  job_ready_.notify_one();
  return true;
}

bool WorkerPool::next(Job& job) {
  if (t_holding_job) {
    t_holding_job = false;
    if (on_job_done_) on_job_done_();
  }
  std::unique_lock lock(mutex_);
  job_ready_.wait(lock, [&] { return stopping_ || !queue_.empty(); });
  if (stopping_) return false;
  job = std::move(queue_.front());
  queue_.pop_front();
  t_holding_job = true;
  return true;
}

bool WorkerPool::stop(std::chrono::steady_clock::duration grace) {
  std::deque<Job> dropped;
  {
    std::unique_lock lock(mutex_);
    stopping_ = true;
    dropped.swap(queue_);
    job_ready_.notify_all();
    if (!worker_left_.wait_for(lock, grace, [&] { return running_ == 0; })) return false;
  }
  for (auto& thread : threads_) {
    if (thread->started) pthread_join(thread->handle, nullptr);
    thread->started = false;
  }
  return true;
}

}  // namespace zfpm::pool
