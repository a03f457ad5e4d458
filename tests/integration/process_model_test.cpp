// The master and its pool children (docs/process-model.md): a crashing script costs only the
// requests its child held, the child comes back on the same listen socket, SIGQUIT finishes what
// was accepted, SIGUSR2 reloads with the same master pid and no failed request, and one pool's
// crashes never reach another pool.
#include <doctest/doctest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <atomic>
#include <csignal>
#include <future>
#include <thread>
#include <vector>

#include "fcgi_client.hpp"
#include "zfpm_server.hpp"

using namespace zfpm::test;

namespace {

using Clock = std::chrono::steady_clock;

constexpr const char* hello_php = "<?php echo 'hello ', getmypid();";
constexpr const char* sleep_php = "<?php usleep((int)($_GET['ms'] ?? 300) * 1000); echo 'slept';";
// posix_kill on the pool's own process: what an extension's segfault looks like from outside
// (11 is SIGSEGV; the constant comes with pcntl, which is not built).
constexpr const char* crash_php = "<?php posix_kill(getmypid(), 11); sleep(5); echo 'alive';";
constexpr const char* ini_php = "<?php echo ini_get('memory_limit');";

// One request on a fresh connection; "" on any failure (refused, reset, cut short).
std::string try_get(const std::string& address, const std::string& script,
                    const std::string& query = {}) {
  try {
    auto connection = FcgiConnection::open(address, 10s);
    auto response = connection.request(params_for(script, {.query = query}));
    if (response.protocol_status != 0) return "";
    return response.body;
  } catch (const std::exception&) {
    return "";
  }
}

// Requests in a loop from `threads` threads until stopped; counts what failed.
class Load {
 public:
  Load(std::string address, std::string script, std::string expect_prefix, int threads = 4)
      : address_(std::move(address)), script_(std::move(script)), expect_(std::move(expect_prefix)) {
    for (int i = 0; i < threads; ++i) {
      threads_.emplace_back([this] {
        while (!stop_.load()) {
          auto body = try_get(address_, script_);
          (body.starts_with(expect_) ? ok_ : failed_).fetch_add(1);
        }
      });
    }
  }
  ~Load() { stop(); }
  void stop() {
    stop_ = true;
    for (auto& thread : threads_) {
      if (thread.joinable()) thread.join();
    }
  }
  int ok() const { return ok_.load(); }
  int failed() const { return failed_.load(); }

 private:
  std::string address_, script_, expect_;
  std::atomic<bool> stop_{false};
  std::atomic<int> ok_{0}, failed_{0};
  std::vector<std::thread> threads_;
};

std::size_t count_of(const std::string& text, std::string_view needle) {
  std::size_t n = 0;
  for (auto at = text.find(needle); at != std::string::npos; at = text.find(needle, at + 1)) ++n;
  return n;
}

}  // namespace

TEST_CASE("a segfaulting script fails, its pool child restarts, and every later request succeeds") {
  ZfpmServer server({.workers = 10, .pool_config = "\n"});
  INFO("zfpm log:\n", server.process.log());
  auto hello = server.script("hello.php", hello_php);
  auto slow = server.script("sleep.php", sleep_php);
  auto crash = server.script("crash.php", crash_php);
  const pid_t first_child = server.pool_pid();
  REQUIRE(try_get(server.address(), hello).starts_with("hello"));

  // 8 requests in flight in the child that is about to die.
  std::vector<std::future<std::string>> others;
  for (int i = 0; i < 8; ++i) {
    others.push_back(std::async(std::launch::async,
                                [&] { return try_get(server.address(), slow, "ms=400"); }));
  }
  std::this_thread::sleep_for(100ms);
  const auto crashed_at = Clock::now();
  CHECK(try_get(server.address(), crash).empty());  // the crashing request fails
  for (auto& other : others) other.get();           // those 8 may fail with it: same process

  // From the crash to the first good answer: connections wait in the backlog meanwhile.
  Clock::time_point recovered{};
  for (int attempt = 0; attempt < 500; ++attempt) {
    if (try_get(server.address(), hello).starts_with("hello")) {
      recovered = Clock::now();
      break;
    }
    std::this_thread::sleep_for(10ms);
  }
  REQUIRE(recovered != Clock::time_point{});
  auto failing = std::chrono::duration_cast<std::chrono::milliseconds>(recovered - crashed_at);
  MESSAGE("time with failing requests after the crash: ", failing.count(), " ms");

  int failed = 0;
  for (int i = 0; i < 50; ++i) failed += try_get(server.address(), hello).starts_with("hello") ? 0 : 1;
  CHECK(failed == 0);
  CHECK(server.process.running());
  CHECK(server.pool_pid() != first_child);
  const auto log = server.process.log();
#ifdef ZFPM_SANITIZER_BUILD
  // ASan's own SEGV handler reports the crash and exits with 1.
  CHECK(log.find("[pool www] child " + std::to_string(first_child) + " exited with code 1 after") !=
        std::string::npos);
#else
  CHECK(log.find("[pool www] child " + std::to_string(first_child) +
                 " exited on signal 11 (SIGSEGV) after") != std::string::npos);
#endif
  CHECK(log.find("NOTICE: [pool www] child " + std::to_string(server.pool_pid()) + " started") !=
        std::string::npos);
}

// Sends `clients` slow requests, then SIGQUIT: every one must be answered and the master exit 0.
void check_graceful_stop(const std::string& pool_config, int clients) {
  ZfpmServer server({.workers = 2, .pool_config = pool_config});
  INFO("zfpm log:\n", server.process.log());
  auto slow = server.script("sleep.php", sleep_php);
  std::vector<std::future<std::string>> requests;
  for (int i = 0; i < clients; ++i) {
    requests.push_back(std::async(std::launch::async,
                                  [&] { return try_get(server.address(), slow, "ms=500"); }));
  }
  std::this_thread::sleep_for(200ms);
  ::kill(server.process.pid(), SIGQUIT);
  for (auto& request : requests) CHECK(request.get() == "slept");
  auto status = server.process.stop(SIGQUIT, 15s);
  CHECK_MESSAGE(status.clean(), status.describe());
  const auto log = server.process.log();
  CHECK(log.find("NOTICE: Finishing ...") != std::string::npos);
  CHECK(log.find("NOTICE: exiting, bye-bye!") != std::string::npos);
}

TEST_CASE("SIGQUIT finishes every request already accepted, then the master exits 0") {
  SUBCASE("pm = ondemand: 2 run, 2 wait inside zfpm for a worker (the queue), all 4 accepted") {
    check_graceful_stop("pm = ondemand\n", 4);
  }
  SUBCASE("pm = static: each worker accepted its client itself and runs its request") {
    // Clients beyond the free workers would still be in the kernel's backlog, reset when the
    // master exits, as with php-fpm.
    check_graceful_stop("\n", 2);
  }
  SUBCASE("pm = dynamic: the workers accepted their clients, one started for the second") {
    check_graceful_stop("pm = dynamic\npm.start_servers = 1\npm.min_spare_servers = 1\n"
                        "pm.max_spare_servers = 1\n",
                        2);
  }
}

TEST_CASE("SIGUSR2 under load: same master pid, new configuration, not one failed request") {
  ZfpmServer server({.workers = 4, .pool_config = "php_admin_value[memory_limit] = 70M\n"});
  INFO("zfpm log:\n", server.process.log());
  auto hello = server.script("hello.php", hello_php);
  auto ini = server.script("ini.php", ini_php);
  REQUIRE(try_get(server.address(), ini) == "70M");
  const pid_t master = server.process.pid();

  Load load(server.address(), hello, "hello");
  std::string config = read_file(server.config_file);
  for (int reload = 1; reload <= 3; ++reload) {
    std::this_thread::sleep_for(700ms);
    const std::string limit = std::to_string(70 + reload) + "M";
    auto at = config.find("memory_limit] = ");
    config.replace(at + 16, config.find('\n', at) - at - 16, limit);
    server.docroot.write("php-fpm.conf", config);
    const auto from = server.process.log_size();
    ::kill(master, SIGUSR2);
    REQUIRE(server.process.wait_for_log("ready to handle connections", 10s, from));
    // The old child finishes its requests and leaves.
    REQUIRE(server.process.wait_for_log_line(
        [](std::string_view line) { return line.find("exited with code 0") != std::string::npos; },
        10s, from));
    CHECK(try_get(server.address(), ini) == limit);
  }
  std::this_thread::sleep_for(500ms);
  load.stop();
  MESSAGE("requests during 3 reloads: ", load.ok(), " ok, ", load.failed(), " failed");
  CHECK(load.ok() > 0);
  CHECK(load.failed() == 0);
  CHECK(server.process.pid() == master);
  CHECK(server.process.running());
  const auto log = server.process.log();
  CHECK(count_of(log, "NOTICE: Reloading in progress ...") == 3);
  CHECK(count_of(log, "NOTICE: using inherited socket fd=") == 3);
}

TEST_CASE("SIGUSR2 with a broken configuration keeps serving the old one") {
  ZfpmServer server({.workers = 2, .pool_config = "\n"});
  INFO("zfpm log:\n", server.process.log());
  auto hello = server.script("hello.php", hello_php);
  server.docroot.write("php-fpm.conf", "[global]\nno_such_directive = 1\n");
  const auto from = server.process.log_size();
  ::kill(server.process.pid(), SIGUSR2);
  REQUIRE(server.process.wait_for_log("reload cancelled", 5s, from));
  CHECK(try_get(server.address(), hello).starts_with("hello"));
  CHECK(server.process.running());
}

TEST_CASE("two pools with their own users and php_admin_values: one crashing never fails the other") {
  TempDir dir;
  ::chmod(dir.path().c_str(), 0755);  // the pools' users read their scripts here
  const std::string a = "127.0.0.1:" + std::to_string(free_tcp_port());
  const std::string b = "127.0.0.1:" + std::to_string(free_tcp_port());
  auto config = dir.write("php-fpm.conf",
                          "[global]\nerror_log = /proc/self/fd/2\n"
                          "[crashy]\nlisten = " + a + "\nuser = nobody\npm = static\n"
                          "pm.max_children = 2\nphp_admin_value[memory_limit] = 40M\n"
                          "[steady]\nlisten = " + b + "\nuser = www-data\npm = static\n"
                          "pm.max_children = 2\nphp_admin_value[memory_limit] = 50M\n");
  auto who = dir.write("who.php",
                       "<?php echo posix_getpwuid(posix_geteuid())['name'], ' ', "
                       "ini_get('memory_limit');");
  auto crash = dir.write("crash.php", crash_php);
  for (const auto& file : {config, who, crash}) ::chmod(file.c_str(), 0644);
  ServerProcess process;
  process.start({zfpm_binary(), "-F", "-O", "-n", "-y", config});
  process.wait_until_connectable(a);
  process.wait_until_connectable(b);
  REQUIRE(process.wait_for_log("ready to handle connections", 10s));
  INFO("zfpm log:\n", process.log());
  CHECK(try_get(a, who) == "nobody 40M");
  CHECK(try_get(b, who) == "www-data 50M");

  Load steady(b, who, "www-data 50M", 2);
  for (int i = 0; i < 5; ++i) {
    CHECK(try_get(a, crash).empty());
    std::this_thread::sleep_for(200ms);
  }
  steady.stop();
  MESSAGE("pool steady while pool crashy crashed 5 times: ", steady.ok(), " ok, ",
          steady.failed(), " failed");
  CHECK(steady.ok() > 0);
  CHECK(steady.failed() == 0);
  CHECK(count_of(process.log(), "[pool crashy] child") >= 5);
  auto status = process.stop(SIGTERM);
  CHECK_MESSAGE(status.clean(), status.describe());
}
