#include "zfpm/pool/worker_pool.hpp"

#include <doctest/doctest.h>
#include <poll.h>
#include <spdlog/sinks/ostream_sink.h>
#include <spdlog/spdlog.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <set>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

// The pool's own threads, with a body that records what they do instead of running PHP.
namespace zfpm::pool {
namespace {

using namespace std::chrono_literals;
using Clock = std::chrono::steady_clock;

thread_local unsigned t_worker = 0;  // the calling pool thread's id

struct Event {
  unsigned worker;
  Clock::time_point at;
};

// What the threads did; the test waits on it.
class Record {
 public:
  template <typename Predicate>
  bool wait_until(Predicate done, Clock::duration limit = 10s) {
    std::unique_lock lock(mutex_);
    return changed_.wait_for(lock, limit, [&] { return done(*this); });
  }
  // Looks at the record, or changes it, under its lock.
  template <typename Body>
  auto with(Body body) {
    std::lock_guard lock(mutex_);
    changed_.notify_all();
    return body(*this);
  }
  void note(std::vector<Event>& events) {
    std::lock_guard lock(mutex_);
    events.push_back({t_worker, Clock::now()});
    changed_.notify_all();
  }
  // A job blocks its worker while jobs are held.
  void serve() {
    std::unique_lock lock(mutex_);
    served.push_back({t_worker, Clock::now()});
    changed_.notify_all();
    changed_.wait(lock, [&] { return !hold_jobs; });
  }
  void release_jobs() {
    std::lock_guard lock(mutex_);
    hold_jobs = false;
    changed_.notify_all();
  }
  std::size_t running() const { return started.size() - left.size(); }

  std::vector<Event> started, left, served;
  bool hold_jobs = false;

  // The front end's side (intake): clients waiting for a leader, and who led.
  int clients = 0;
  int leading = 0;
  int most_leading = 0;
  std::vector<unsigned> leaders;

 private:
  std::mutex mutex_;
  std::condition_variable changed_;
  friend class FakeFrontEnd;
};

// A front end whose leader takes the clients the test gives it (Record::clients), and is woken
// through the pool's eventfd as Server::lead is.
class FakeFrontEnd {
 public:
  explicit FakeFrontEnd(Record& record) : record_(record) {}

  WorkerPool::LeadResult lead(Job& job, int wake_fd) {
    {
      std::lock_guard lock(record_.mutex_);
      record_.leaders.push_back(t_worker);
      record_.most_leading = std::max(record_.most_leading, ++record_.leading);
      record_.changed_.notify_all();
    }
    for (;;) {
      pollfd wake{wake_fd, POLLIN, 0};
      const bool woken = ::poll(&wake, 1, 5) > 0;
      std::lock_guard lock(record_.mutex_);
      if (woken) {
        std::uint64_t count;
        (void)!::read(wake_fd, &count, sizeof count);
        --record_.leading;
        return WorkerPool::LeadResult::Woken;
      }
      if (record_.clients > 0) {
        --record_.clients;
        --record_.leading;
        job = Job{};
        return WorkerPool::LeadResult::Got;
      }
    }
  }

 private:
  Record& record_;
};

// A pool whose threads record their start, their jobs and their end.
struct TestPool {
  explicit TestPool(WorkerPool::Settings settings) {
    settings.batch_scheduling = false;
    pool.emplace(settings, [this](unsigned id) {
      t_worker = id;
      record.note(record.started);
      Job job;
      while (pool->next(job)) {
        record.serve();
        job = Job{};
      }
      record.note(record.left);
    });
  }
  ~TestPool() {
    record.release_jobs();
    pool->stop(5s);
  }

  Record record;
  std::optional<WorkerPool> pool;
};

// The default logger's lines while it lives.
class CapturedLog {
 public:
  CapturedLog() : previous_(spdlog::default_logger()) {
    auto logger = std::make_shared<spdlog::logger>(
        "captured", std::make_shared<spdlog::sinks::ostream_sink_mt>(out_));
    logger->set_pattern("%v");
    logger->set_level(spdlog::level::info);
    spdlog::set_default_logger(logger);
  }
  ~CapturedLog() { spdlog::set_default_logger(previous_); }
  std::vector<std::string> lines_with(const std::string& text) {
    spdlog::default_logger()->flush();
    std::vector<std::string> found;
    std::istringstream in(out_.str());
    for (std::string line; std::getline(in, line);) {
      if (line.find(text) != std::string::npos) found.push_back(line);
    }
    return found;
  }

 private:
  std::ostringstream out_;
  std::shared_ptr<spdlog::logger> previous_;
};

TEST_CASE("a static pool starts every thread, and each job goes to a thread of its own") {
  WorkerPool::Settings settings;
  settings.workers = 3;
  settings.mode = PmMode::Static;
  TestPool test(settings);
  int done = 0;
  test.pool->set_on_job_done([&] { test.record.with([&](Record&) { return ++done; }); });
  test.record.hold_jobs = true;
  REQUIRE(test.pool->start());
  REQUIRE(test.record.wait_until([](Record& r) { return r.started.size() == 3; }));
  for (int i = 0; i < 3; ++i) CHECK(test.pool->submit(Job{}));
  REQUIRE(test.record.wait_until([](Record& r) { return r.served.size() == 3; }));
  std::set<unsigned> workers;
  test.record.with([&](Record& r) {
    for (const auto& served : r.served) workers.insert(served.worker);
    return 0;
  });
  CHECK(workers == std::set<unsigned>{1, 2, 3});
  test.record.release_jobs();
  CHECK(test.record.wait_until([&](Record&) { return done == 3; }));
  CHECK(test.pool->stop(5s));
  CHECK(test.record.with([](Record& r) { return r.left.size(); }) == 3);
  CHECK_FALSE(test.pool->submit(Job{}));  // a stopped pool takes nothing
}

TEST_CASE(
    "pm = dynamic starts 1, 2, 4... threads a tick while too few are idle, and from 8 on "
    "says it seems busy") {
  CapturedLog log;
  WorkerPool::Settings settings;
  settings.name = "www";
  settings.workers = 32;
  settings.mode = PmMode::Dynamic;
  settings.start_servers = 1;
  settings.min_spare_servers = 24;
  settings.max_spare_servers = 32;
  settings.max_spawn_rate = 32;
  settings.maintenance_tick = 200ms;
  TestPool test(settings);
  const auto start = Clock::now();
  REQUIRE(test.pool->start());
  // Ticks 1 to 3 start 1, 2 and 4: 8 in all; tick 4 starts 8, tick 5 the 8 still missing.
  REQUIRE(test.record.wait_until([](Record& r) { return r.started.size() >= 24; }));
  const auto busy = log.lines_with("seems busy");
  REQUIRE(busy.size() >= 2);
  CHECK(busy[0].find("spawning 8 children") != std::string::npos);
  CHECK(busy[0].ends_with("and 8 total children"));
  CHECK(busy[1].find("spawning 16 children") != std::string::npos);
  CHECK(busy[1].ends_with("and 16 total children"));
  CHECK(busy[0].starts_with("[pool www] seems busy"));
  const auto eighth = test.record.with([](Record& r) { return r.started[7].at; });
  CHECK(eighth - start >= 3 * settings.maintenance_tick);  // three ticks went by
  CHECK(test.record.with([](Record& r) { return r.started.size(); }) <= 32);
}

TEST_CASE("pm = dynamic lets one idle thread beyond pm.max_spare_servers leave a tick") {
  WorkerPool::Settings settings;
  settings.workers = 8;
  settings.mode = PmMode::Dynamic;
  settings.start_servers = 8;
  settings.min_spare_servers = 1;
  settings.max_spare_servers = 2;
  settings.maintenance_tick = 150ms;
  TestPool test(settings);
  const auto start = Clock::now();
  REQUIRE(test.pool->start());
  REQUIRE(test.record.wait_until([](Record& r) { return r.left.size() == 6; }));
  const auto left = test.record.with([](Record& r) { return r.left; });
  for (std::size_t i = 0; i < left.size(); ++i) {
    CAPTURE(i);
    // The i-th leaves at the (i+1)-th tick at the earliest: never two in one tick.
    CHECK(left[i].at - start >= static_cast<long>(i + 1) * settings.maintenance_tick);
  }
  // With max_spare_servers idle, nobody else leaves, and nobody is started again.
  std::this_thread::sleep_for(4 * settings.maintenance_tick);
  CHECK(test.record.with([](Record& r) { return r.left.size(); }) == 6);
  CHECK(test.record.with([](Record& r) { return r.started.size(); }) == 8);
}

TEST_CASE(
    "one idle thread leads at a time, and the lead passes on when the leader takes a "
    "client") {
  WorkerPool::Settings settings;
  settings.workers = 3;
  settings.mode = PmMode::Static;
  TestPool test(settings);
  FakeFrontEnd front(test.record);
  test.pool->set_intake(
      {.pull = nullptr, .lead = [&](Job& job, int wake_fd, std::chrono::milliseconds) {
         return front.lead(job, wake_fd);
       }});
  test.record.hold_jobs = true;
  REQUIRE(test.pool->start());
  REQUIRE(test.record.wait_until([](Record& r) { return r.leaders.size() == 1; }));

  test.record.with([](Record& r) { return ++r.clients; });
  REQUIRE(test.record.wait_until(
      [](Record& r) { return r.served.size() == 1 && r.leaders.size() == 2; }));
  test.record.with([](Record& r) {
    CHECK(r.served[0].worker == r.leaders[0]);  // the leader serves the client it took
    CHECK(r.leaders[1] != r.leaders[0]);        // and another leads meanwhile
    return 0;
  });

  test.record.with([](Record& r) { return ++r.clients; });
  REQUIRE(test.record.wait_until(
      [](Record& r) { return r.served.size() == 2 && r.leaders.size() == 3; }));
  test.record.with([](Record& r) {
    CHECK(r.served[1].worker == r.leaders[1]);
    CHECK(r.leaders[2] != r.leaders[0]);  // busy with the first client
    CHECK(r.leaders[2] != r.leaders[1]);  // busy with the second
    CHECK(r.most_leading == 1);
    return 0;
  });
  test.record.release_jobs();
  CHECK(test.pool->stop(5s));  // the leader is woken out of its wait to leave
  CHECK(test.record.with([](Record& r) { return r.left.size(); }) == 3);
}

}  // namespace
}  // namespace zfpm::pool
