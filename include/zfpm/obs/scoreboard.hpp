#pragma once
// php-fpm's scoreboard (fpm_scoreboard.c, fpm_request.c) for one pool in one process: the pool's
// counters, and one slot per worker thread where php-fpm has one per child process. Fed by the
// worker's own events on the request path — no polling; the status page and fpm_get_status()
// read a snapshot. Counters are atomics; each slot has a small mutex that only its worker and a
// status reader ever take.
#include <atomic>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <ctime>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

namespace zfpm::obs {

// fpm_request.c: requests_stages. Ending is php-fpm's and unused there too.
enum class Stage { Idle, ReadingHeaders, RequestInfo, Running, Ending, Finishing };
const char* stage_name(Stage stage);

// What fpm_request_info copies from SG(request_info) once the request is parsed.
struct RequestFields {
  std::string method;       // "" when absent
  std::string uri;          // SG(request_info).request_uri: SCRIPT_NAME after the path fixups
  std::string query;        // QUERY_STRING
  std::string user;         // PHP_AUTH_USER
  std::string script;       // SG(request_info).path_translated; "" for the 404
  std::size_t content_length = 0;
};

// A finished request's measures, as fpm_request_end takes them.
struct RequestMeasures {
  std::chrono::microseconds duration{0};  // from the worker taking the request to its end
  double cpu_user = 0;                    // seconds of this thread's CPU time in user mode
  double cpu_system = 0;                  // ... and in the kernel
  std::size_t memory = 0;                 // zend_memory_peak_usage(1)
  std::time_t accepted_epoch = 0;         // when the worker took it (%t)
};

struct SlotSnapshot {
  unsigned worker = 0;  // the worker's id (zfpm_worker_info): its slot + 1
  long pid = 0;
  long tid = 0;
  Stage stage = Stage::Idle;
  std::time_t start_epoch = 0;  // when the worker thread started
  std::uint64_t requests = 0;
  std::uint64_t duration_us = 0;  // the running request's so far, the last one's when Idle
  RequestFields request;
  double last_cpu_percent = 0;     // 0 unless Idle, as php-fpm
  std::size_t last_memory = 0;     // 0 unless Idle
};

struct PoolSnapshot {
  std::string pool;
  std::string process_manager;
  std::time_t start_epoch = 0;
  std::time_t now_epoch = 0;
  std::uint64_t accepted_conn = 0;
  int listen_queue = 0;
  int max_listen_queue = 0;
  unsigned listen_queue_len = 0;
  int idle = 0;
  int active = 0;
  int max_active = 0;
  unsigned max_children_reached = 0;
  std::uint64_t slow_requests = 0;
  std::vector<SlotSnapshot> slots;  // used slots only, by worker id
};

class Scoreboard {
 public:
  // `workers` slots (pm.max_children); the first `prepared` of them count as idle from the start
  // (the threads the pool starts with: all for static, start_servers for dynamic, none for
  // ondemand), the others once their thread starts.
  Scoreboard(std::string pool, std::string process_manager, unsigned workers, unsigned prepared);
  Scoreboard(const Scoreboard&) = delete;
  Scoreboard& operator=(const Scoreboard&) = delete;

  unsigned size() const { return static_cast<unsigned>(slots_.size()); }

  // The pool's listen socket, for the listen queue (TCP_INFO; a Unix socket reports 0). -1: none.
  void set_listen_socket(int fd) { listen_fd_.store(fd, std::memory_order_relaxed); }

  // Worker events, each called on the worker's own thread. worker_started names the slot's
  // thread (and brings back a slot that worker_stopped released).
  void worker_started(unsigned worker, long tid);
  void worker_stopped(unsigned worker);
  // fpm_request_reading_headers: the worker took a request (accepted conn +1, idle -> active).
  void request_accepted(unsigned worker);
  // fpm_request_info.
  void request_info(unsigned worker, RequestFields fields);
  // fpm_request_executing: the script (or the status page) runs.
  void request_running(unsigned worker);
  // fpm_request_finished: fastcgi_finish_request() sent the response.
  void request_finishing(unsigned worker);
  // fpm_request_end: measures the request; the slot reads Finishing until request_idle.
  RequestMeasures request_ended(unsigned worker, std::size_t memory_peak);
  // fpm_request_accepting: back to Idle (active -> idle).
  void request_idle(unsigned worker);

  // From the slowlog watchdog: a request ran past request_slowlog_timeout.
  void note_slow_request() { slow_requests_.fetch_add(1, std::memory_order_relaxed); }
  // From the process manager: it wanted another worker but pm.max_children was reached.
  void note_max_children_reached() { max_children_reached_.fetch_add(1, std::memory_order_relaxed); }

  // Reads the listen queue now (max listen queue keeps the highest value seen).
  void sample_listen_queue();

  // A consistent-per-slot copy for the status page; samples the listen queue first.
  PoolSnapshot snapshot(bool with_slots);

  const std::string& pool() const { return pool_; }

 private:
  using Clock = std::chrono::steady_clock;
  struct Slot {
    std::mutex mutex;
    bool used = false;
    long tid = 0;
    Stage stage = Stage::Idle;
    std::time_t start_epoch = 0;
    std::uint64_t requests = 0;
    Clock::time_point accepted{};
    std::time_t accepted_epoch = 0;
    double cpu_user_at_accept = 0;
    double cpu_system_at_accept = 0;
    RequestFields request;
    std::chrono::microseconds last_duration{0};
    double last_cpu_percent = 0;
    std::size_t last_memory = 0;
  };

  void add_active(int delta);

  std::string pool_;
  std::string process_manager_;
  std::time_t start_epoch_;
  std::vector<std::unique_ptr<Slot>> slots_;
  std::atomic<int> listen_fd_{-1};
  std::atomic<std::uint64_t> accepted_conn_{0};
  std::atomic<int> idle_{0};
  std::atomic<int> active_{0};
  std::atomic<int> max_active_{0};
  std::atomic<unsigned> max_children_reached_{0};
  std::atomic<std::uint64_t> slow_requests_{0};
  std::atomic<int> listen_queue_{0};
  std::atomic<int> max_listen_queue_{0};
  std::atomic<unsigned> listen_queue_len_{0};
};

// This thread's CPU time so far (getrusage RUSAGE_THREAD), user and system seconds.
void thread_cpu_seconds(double& user, double& system);

}  // namespace zfpm::obs
