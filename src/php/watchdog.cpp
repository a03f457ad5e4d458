#include "watchdog.hpp"

#include <spdlog/spdlog.h>
#include <unistd.h>

#include <algorithm>
#include <condition_variable>
#include <csignal>
#include <ctime>
#include <limits>
#include <string>
#include <thread>
#include <vector>

#include "interrupt.hpp"
#include "pool_status.hpp"
#include "slowlog.hpp"
#include "traced_sleep.hpp"

extern "C" {
#include <main/SAPI.h>
}

namespace zfpm::php::watchdog {
namespace {

using Clock = std::chrono::steady_clock;
constexpr std::int64_t kNever = std::numeric_limits<std::int64_t>::max();
// After the termination is asked for, the wake-up signal is sent again this often (it may have
// arrived just before the thread entered its blocking call) ...
constexpr std::int64_t kResendNs = 1'000'000'000;
// ... and a thread still in the same request another request_terminate_timeout later (at most
// this long) is reported as stuck and replaced.
constexpr std::int64_t kStuckNs = 10'000'000'000;
constexpr std::size_t kTraceCapacity = 64 * 1024;

Settings settings_;
bool running_ = false;   // the slots are kept (start() to stop()): end_all_requests needs them
bool watching_ = false;  // and the thread runs: a timeout is set
std::thread thread_;
std::mutex mutex_;  // slots_, the slots' watchdog fields, the sleep
std::condition_variable wake_;
bool stopping_ = false;
std::vector<std::unique_ptr<Slot>> slots_;
std::function<void(unsigned)> replace_lost_;  // under mutex_
// When the watchdog wakes next (steady ns): a request whose first deadline comes earlier
// wakes it up. Paired with Slot::generation, both sequentially consistent (see scan()).
std::atomic<std::int64_t> next_wake_{kNever};
thread_local Slot* t_slot = nullptr;

std::int64_t now_ns() {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(Clock::now().time_since_epoch())
      .count();
}

std::int64_t ns(std::chrono::seconds s) {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(s).count();
}

// The first deadline of a request that starts now.
std::int64_t first_deadline_ns() {
  std::int64_t first = kNever;
  if (settings_.slowlog_timeout.count() > 0) first = ns(settings_.slowlog_timeout);
  if (settings_.terminate_timeout.count() > 0)
    first = std::min(first, ns(settings_.terminate_timeout));
  return first;
}

void copy_text(char* to, std::size_t size, const char* from) {
  std::size_t i = 0;
  for (; from && from[i] && i + 1 < size; ++i) to[i] = from[i];
  to[i] = '\0';
}

// The request as php-fpm's log lines show it: "GET /x.php?a=1", and the script with control
// and non-ASCII bytes as '.' (fpm_str.h: str_purify_filename).
struct RequestText {
  std::string script;
  std::string request;
};

RequestText request_text(Slot& slot) {
  RequestText text;
  std::lock_guard lock(slot.request_mutex);
  for (const char* c = slot.script; *c; ++c) {
    auto byte = static_cast<unsigned char>(*c);
    text.script += byte < ' ' || byte > 0x7f ? '.' : *c;
  }
  text.request = std::string(slot.method) + " " + slot.uri;
  if (slot.query[0]) text.request += std::string("?") + slot.query;
  return text;
}

std::string elapsed_text(std::int64_t elapsed_ns) {
  return fmt::format("{}.{:06}", elapsed_ns / 1'000'000'000, elapsed_ns % 1'000'000'000 / 1000);
}

// php-fpm's zlog_print_time: "[21-Nov-2026 10:00:00] ", then fpm_php_trace_dump's header.
void format_trace_header(Slot& slot) {
  std::time_t now = std::time(nullptr);
  std::tm local{};
  localtime_r(&now, &local);
  char stamp[64];
  std::strftime(stamp, sizeof stamp, "[%d-%b-%Y %H:%M:%S] ", &local);
  auto end = fmt::format_to_n(slot.trace_header, sizeof slot.trace_header - 1,
                              "\n{} [pool {}] pid {}\n", stamp, settings_.pool, ::getpid());
  *end.out = '\0';
}

// The scoreboard's "slow requests" counter (php-fpm: fpm_php_trace increments slow_rq). The
// status page is not built yet: this is the one place to call it from once it is.
void count_slow_request() {
  if (auto* scoreboard = pool_status::scoreboard()) scoreboard->note_slow_request();
}

void ask_for_trace(Slot& slot, std::uint64_t generation, std::int64_t elapsed) {
  RequestText text = request_text(slot);
  spdlog::warn(
      "[pool {}] child {}, script '{}' (request: \"{}\") executing too slow ({} sec), logging "
      "(worker {}, tid {})",
      settings_.pool, ::getpid(), text.script, text.request, elapsed_text(elapsed), slot.worker_id,
      slot.tid);
  count_slow_request();
  format_trace_header(slot);
  slot.trace_for.store(generation, std::memory_order_release);
  interrupt::request_trace(slot);
}

void ask_to_terminate(Slot& slot, std::uint64_t generation, std::int64_t elapsed,
                      std::int64_t now) {
  if (slot.terminated != generation) {
    RequestText text = request_text(slot);
    spdlog::warn(
        "[pool {}] child {}, script '{}' (request: \"{}\") execution timed out ({} sec), "
        "terminating (worker {}, tid {})",
        settings_.pool, ::getpid(), text.script, text.request, elapsed_text(elapsed),
        slot.worker_id, slot.tid);
    slot.terminated = generation;
    slot.stuck_reported = false;
  } else if (now - slot.last_kill_ns < kResendNs) {
    return;
  } else if (!slot.stuck_reported &&
             elapsed >= ns(settings_.terminate_timeout) +
                            std::min(kStuckNs, ns(settings_.terminate_timeout))) {
    RequestText text = request_text(slot);
    spdlog::error(
        "[pool {}] child {}, script '{}' (request: \"{}\") still running {} sec after "
        "request_terminate_timeout: worker {} (tid {}) is stuck in code that never returns to "
        "PHP; a new worker thread takes its place",
        settings_.pool, ::getpid(), text.script, text.request,
        elapsed_text(elapsed - ns(settings_.terminate_timeout)), slot.worker_id, slot.tid);
    slot.stuck_reported = true;
    if (replace_lost_) replace_lost_(slot.worker_id);
  }
  // Again after every resend interval: it also ends shutdown functions that loop after the
  // first fatal error.
  slot.last_kill_ns = now;
  slot.terminate_for.store(generation, std::memory_order_release);
  interrupt::request_termination(slot);
}

// One pass over the running requests, under mutex_: act on those past a deadline; returns the
// nearest deadline still ahead.
std::int64_t check(std::int64_t now) {
  std::int64_t next = kNever;
  for (auto& owned : slots_) {
    Slot& slot = *owned;
    std::uint64_t generation = slot.generation.load();
    slot.seen_generation = generation;
    if (!slot.attached || generation % 2 == 0) continue;
    std::int64_t started = slot.started_ns.load(std::memory_order_relaxed);
    std::int64_t elapsed = now - started;
    bool finished = slot.finished.load(std::memory_order_relaxed);
    // fpm_request_check_timed_out: nothing after fastcgi_finish_request() unless
    // track_finished, and then only the termination.
    if (settings_.slowlog_timeout.count() > 0 && !finished && slot.slow_logged != generation) {
      std::int64_t deadline = started + ns(settings_.slowlog_timeout);
      if (now >= deadline) {
        slot.slow_logged = generation;
        ask_for_trace(slot, generation, elapsed);
      } else {
        next = std::min(next, deadline);
      }
    }
    if (settings_.terminate_timeout.count() > 0 && (!finished || settings_.track_finished)) {
      std::int64_t deadline = started + ns(settings_.terminate_timeout);
      if (now >= deadline) {
        ask_to_terminate(slot, generation, elapsed, now);
        next = std::min(next, slot.last_kill_ns + kResendNs);
      } else {
        next = std::min(next, deadline);
      }
    }
  }
  return next;
}

// A request that started after check() read its slot either shows in the second read here or
// reads the new next_wake_ and wakes us (request_started): both sides store then load, seq_cst.
bool missed_a_start() {
  for (auto& slot : slots_) {
    std::uint64_t generation = slot->generation.load();
    if (generation != slot->seen_generation && generation % 2 == 1) return true;
  }
  return false;
}

void run() {
  std::unique_lock lock(mutex_);
  while (!stopping_) {
    std::int64_t next = check(now_ns());
    next_wake_.store(next);
    if (missed_a_start()) continue;
    if (next == kNever) {
      wake_.wait(lock);
    } else {
      wake_.wait_until(lock, Clock::time_point(std::chrono::nanoseconds(next)));
    }
  }
}

}  // namespace

void start(const config::PoolConfig& pool) {
  settings_ = Settings{};
  if (!pool.name.empty()) settings_.pool = pool.name;
  settings_.terminate_timeout = pool.request_terminate_timeout;
  settings_.track_finished = pool.request_terminate_timeout_track_finished;
  settings_.trace_depth = pool.request_slowlog_trace_depth.value_or(20);
  if (pool.request_slowlog_timeout.count() > 0) {
    if (pool.slowlog && !pool.slowlog->empty()) {
      settings_.slowlog_timeout = pool.request_slowlog_timeout;
      settings_.slowlog = *pool.slowlog;
    } else {
      spdlog::warn("[pool {}] 'slowlog' must be specified for use with 'request_slowlog_timeout'",
                   settings_.pool);
    }
  }
  if (!settings_.slowlog.empty()) slowlog::create_file(settings_.slowlog);
  interrupt::install();
  stopping_ = false;
  running_ = true;
  if (first_deadline_ns() == kNever) return;
  watching_ = true;
  thread_ = std::thread(run);
}

void stop() {
  if (!running_) return;
  if (watching_) {
    {
      std::lock_guard lock(mutex_);
      stopping_ = true;
    }
    wake_.notify_all();
    thread_.join();
    watching_ = false;
  }
  running_ = false;
  interrupt::uninstall();
}

std::size_t end_all_requests() {
  if (!running_) return 0;
  interrupt::note_stopping();
  std::lock_guard lock(mutex_);
  std::size_t ended = 0;
  for (auto& owned : slots_) {
    Slot& slot = *owned;
    const std::uint64_t generation = slot.generation.load();
    if (!slot.attached || generation % 2 == 0) continue;
    slot.terminate_for.store(generation, std::memory_order_release);
    interrupt::request_termination(slot);
    ++ended;
  }
  return ended;
}

const Settings& settings() { return settings_; }

void on_lost_worker(std::function<void(unsigned worker_id)> replace) {
  std::lock_guard lock(mutex_);
  replace_lost_ = std::move(replace);
}

void attach_thread(unsigned worker_id, long tid) {
  if (!running_) return;
  std::lock_guard lock(mutex_);
  if (!t_slot) {
    for (auto& slot : slots_) {
      if (!slot->attached) {
        t_slot = slot.get();
        break;
      }
    }
    if (!t_slot) {
      auto slot = std::make_unique<Slot>();
      // The slowlog's buffer only for a slowlog: a stop needs the slot, not 64 KiB a thread.
      if (!settings_.slowlog.empty()) {
        slot->trace_buffer = std::make_unique<char[]>(kTraceCapacity);
        slot->trace_capacity = kTraceCapacity;
      }
      t_slot = slot.get();
      slots_.push_back(std::move(slot));
    }
  }
  Slot& slot = *t_slot;
  slot.thread = pthread_self();
  slot.tid = tid;
  slot.worker_id = worker_id;
  slot.vm_interrupt = &EG(vm_interrupt);
  slot.current_execute_data = &EG(current_execute_data);
  slot.attached = true;
  interrupt::prepare_thread();
  if (settings_.slowlog_timeout.count() > 0) traced_sleep::override_functions();
}

void detach_thread() {
  if (!t_slot) return;
  std::lock_guard lock(mutex_);
  t_slot->attached = false;
  t_slot->vm_interrupt = nullptr;
  t_slot->current_execute_data = nullptr;
  t_slot = nullptr;
}

Slot* current_slot() { return t_slot; }

void request_started() {
  Slot* slot = t_slot;
  if (!slot) return;
  {
    std::lock_guard lock(slot->request_mutex);
    const sapi_request_info& info = SG(request_info);
    copy_text(slot->method, sizeof slot->method, info.request_method);
    copy_text(slot->uri, sizeof slot->uri, info.request_uri);
    copy_text(slot->query, sizeof slot->query, info.query_string);
    copy_text(slot->script, sizeof slot->script, info.path_translated);
  }
  slot->finished.store(false, std::memory_order_relaxed);
  std::int64_t started = now_ns();
  slot->started_ns.store(started, std::memory_order_relaxed);
  slot->generation.fetch_add(1);  // odd: running (seq_cst, see missed_a_start)
  if (watching_ && started + first_deadline_ns() < next_wake_.load()) {
    std::lock_guard lock(mutex_);
    wake_.notify_one();
  }
}

void request_finished() {
  if (Slot* slot = t_slot) slot->finished.store(true, std::memory_order_relaxed);
}

void request_ended() {
  if (Slot* slot = t_slot) slot->generation.fetch_add(1, std::memory_order_release);
}

}  // namespace zfpm::php::watchdog
