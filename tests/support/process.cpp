#include "process.hpp"

#include <fcntl.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <thread>

#include "socket.hpp"

namespace zfpm::test {

namespace fs = std::filesystem;

namespace {

std::string make_temp_file(const char* pattern) {
  std::string path = std::string(fs::temp_directory_path()) + "/" + pattern;
  int fd = ::mkstemp(path.data());
  if (fd < 0) throw TestError("mkstemp " + path + ": " + std::strerror(errno));
  ::close(fd);
  return path;
}

// argv/envp as the char* arrays exec wants, built before fork (the child may only call
// async-signal-safe functions: the test runner has threads).
struct ExecArgs {
  explicit ExecArgs(const std::vector<std::string>& args) : storage(args) {
    for (auto& s : storage) pointers.push_back(s.data());
    pointers.push_back(nullptr);
  }
  std::vector<std::string> storage;
  std::vector<char*> pointers;
};

std::vector<std::string> env_strings(const std::map<std::string, std::string>& env) {
  std::vector<std::string> out;
  for (const auto& [k, v] : env) out.push_back(k + "=" + v);
  return out;
}

[[noreturn]] void exec_child(const ExecArgs& argv, const ExecArgs* envp, int in_fd, int out_fd,
                             int err_fd) {
  ::setpgid(0, 0);
  // If the test runner dies, its servers must not outlive it holding ports.
  ::prctl(PR_SET_PDEATHSIG, SIGKILL);
  ::dup2(in_fd, STDIN_FILENO);
  ::dup2(out_fd, STDOUT_FILENO);
  ::dup2(err_fd, STDERR_FILENO);
  // Undo the runner's SIG_IGN for SIGPIPE: exec keeps ignored signals ignored.
  ::signal(SIGPIPE, SIG_DFL);
  if (envp) {
    ::execve(argv.pointers[0], argv.pointers.data(), envp->pointers.data());
  } else {
    ::execv(argv.pointers[0], argv.pointers.data());
  }
  const char msg[] = "exec failed: ";
  (void)!::write(STDERR_FILENO, msg, sizeof msg - 1);
  (void)!::write(STDERR_FILENO, argv.pointers[0], std::strlen(argv.pointers[0]));
  (void)!::write(STDERR_FILENO, "\n", 1);
  ::_exit(127);
}

ExitStatus status_from_wait(int raw) {
  ExitStatus s;
  if (WIFEXITED(raw)) {
    s.exited = true;
    s.code = WEXITSTATUS(raw);
  } else if (WIFSIGNALED(raw)) {
    s.signal = WTERMSIG(raw);
  }
  return s;
}

pid_t spawn(const ExecArgs& argv, const ExecArgs* envp, int in_fd, int out_fd, int err_fd) {
  pid_t pid = ::fork();
  if (pid < 0) throw TestError(std::string("fork: ") + std::strerror(errno));
  if (pid == 0) exec_child(argv, envp, in_fd, out_fd, err_fd);
  ::setpgid(pid, pid);  // also from the parent, so the group exists before we signal it
  return pid;
}

}  // namespace

// --- TempDir -------------------------------------------------------------------------------------

TempDir::TempDir() {
  std::string pattern = std::string(fs::temp_directory_path()) + "/zfpm-test.XXXXXX";
  if (::mkdtemp(pattern.data()) == nullptr)
    throw TestError(std::string("mkdtemp: ") + std::strerror(errno));
  path_ = pattern;
  ::chmod(path_.c_str(), 0755);
}

TempDir::~TempDir() {
  std::error_code ec;
  fs::remove_all(path_, ec);
}

std::string TempDir::write(std::string_view name, std::string_view content) const {
  std::string full = file(name);
  fs::create_directories(fs::path(full).parent_path());
  std::ofstream out(full, std::ios::binary | std::ios::trunc);
  out.write(content.data(), static_cast<std::streamsize>(content.size()));
  if (!out) throw TestError("cannot write " + full);
  return full;
}

std::string TempDir::make_dir(std::string_view name) const {
  std::string full = file(name);
  fs::create_directories(full);
  return full;
}

// --- ExitStatus ----------------------------------------------------------------------------------

std::string ExitStatus::describe() const {
  std::string s =
      exited
          ? "exited with code " + std::to_string(code)
          : (signal ? "killed by signal " + std::to_string(signal) + " (" + strsignal(signal) + ")"
                    : std::string("still running"));
  if (needed_sigkill) s += " (did not exit in time; needed SIGKILL)";
  return s;
}

// --- ServerProcess -------------------------------------------------------------------------------

ServerProcess::ServerProcess() : log_path_(make_temp_file("zfpm-test-log.XXXXXX")) {}

ServerProcess::~ServerProcess() {
  if (pid_ > 0) {
    if (!status_) {
      ::kill(pid_, SIGKILL);
      reap(true);
    }
    ::kill(-pid_, SIGKILL);  // anything the server forked and left behind
  }
  if (!std::getenv("ZFPM_TEST_KEEP_LOGS")) ::unlink(log_path_.c_str());
}

void ServerProcess::start(const std::vector<std::string>& argv) {
  if (pid_ > 0) throw TestError("ServerProcess started twice");
  if (argv.empty()) throw TestError("ServerProcess::start: empty argv");
  ExecArgs args(argv);
  Fd log(::open(log_path_.c_str(), O_WRONLY | O_APPEND | O_CLOEXEC));
  Fd null_in(::open("/dev/null", O_RDONLY | O_CLOEXEC));
  if (!log || !null_in) throw TestError("cannot open log " + log_path_ + " or /dev/null");
  pid_ = spawn(args, nullptr, null_in.get(), log.get(), log.get());
}

bool ServerProcess::reap(bool block) {
  if (status_) return true;
  int raw = 0;
  pid_t r;
  do {
    r = ::waitpid(pid_, &raw, block ? 0 : WNOHANG);
  } while (r < 0 && errno == EINTR);
  if (r == pid_) {
    status_ = status_from_wait(raw);
    return true;
  }
  return false;
}

bool ServerProcess::running() { return pid_ > 0 && !reap(false); }

void ServerProcess::wait_until_connectable(std::string_view address,
                                           std::chrono::milliseconds bound) {
  Address target = Address::parse(address);
  auto deadline = std::chrono::steady_clock::now() + bound;
  int last_errno = 0;
  while (true) {
    if (!running()) {
      throw TestError(log_path_ + ": server " + (status_ ? status_->describe() : "not started") +
                      " before accepting connections on " + target.to_string() + "; its log:\n" +
                      log());
    }
    if (try_connect(target, &last_errno)) return;
    if (std::chrono::steady_clock::now() >= deadline) {
      throw TestError("server pid " + std::to_string(pid_) + " did not accept connections on " +
                      target.to_string() + " within " + std::to_string(bound.count()) +
                      " ms (last: " + std::strerror(last_errno) + "); its log:\n" + log());
    }
    std::this_thread::sleep_for(20ms);
  }
}

std::optional<std::string> ServerProcess::wait_for_log_line(
    const std::function<bool(std::string_view)>& predicate, std::chrono::milliseconds bound,
    size_t from) const {
  auto deadline = std::chrono::steady_clock::now() + bound;
  while (true) {
    std::string text = log();
    std::string_view rest =
        from < text.size() ? std::string_view(text).substr(from) : std::string_view{};
    while (!rest.empty()) {
      auto nl = rest.find('\n');
      std::string_view line = rest.substr(0, nl);
      if (predicate(line)) return std::string(line);
      if (nl == std::string_view::npos) break;
      rest.remove_prefix(nl + 1);
    }
    if (std::chrono::steady_clock::now() >= deadline) return std::nullopt;
    std::this_thread::sleep_for(20ms);
  }
}

std::optional<std::string> ServerProcess::wait_for_log(std::string_view needle,
                                                       std::chrono::milliseconds bound,
                                                       size_t from) const {
  return wait_for_log_line(
      [needle](std::string_view line) { return line.find(needle) != std::string_view::npos; },
      bound, from);
}

ExitStatus ServerProcess::stop(int sig, std::chrono::milliseconds bound) {
  if (pid_ <= 0) throw TestError("ServerProcess::stop before start");
  if (status_) return *status_;
  ::kill(pid_, sig);
  auto deadline = std::chrono::steady_clock::now() + bound;
  while (!reap(false)) {
    if (std::chrono::steady_clock::now() >= deadline) {
      ::kill(pid_, SIGKILL);
      reap(true);
      status_->needed_sigkill = true;
      break;
    }
    std::this_thread::sleep_for(10ms);
  }
  return *status_;
}

std::string ServerProcess::log() const { return read_file(log_path_); }

size_t ServerProcess::log_size() const {
  struct stat st {};
  return ::stat(log_path_.c_str(), &st) == 0 ? static_cast<size_t>(st.st_size) : 0;
}

std::vector<pid_t> ServerProcess::group_members() const {
  std::vector<pid_t> members;
  if (pid_ <= 0) return members;
  std::error_code ec;
  for (const auto& entry : fs::directory_iterator("/proc", ec)) {
    std::string name = entry.path().filename();
    if (name.empty() || name.find_first_not_of("0123456789") != std::string::npos) continue;
    std::string stat = read_file(entry.path().string() + "/stat");
    // pid (comm) state ppid pgrp ... — comm may hold spaces and parentheses: parse after the last
    // ')'.
    auto close = stat.rfind(')');
    if (close == std::string::npos) continue;
    std::istringstream rest(stat.substr(close + 1));
    char state = 0;
    pid_t ppid = 0, pgrp = 0;
    if (rest >> state >> ppid >> pgrp && pgrp == pid_ && state != 'Z')
      members.push_back(std::stoi(name));
  }
  return members;
}

// --- one-shot commands ---------------------------------------------------------------------------

CommandResult run_command(const std::vector<std::string>& argv,
                          const std::optional<std::map<std::string, std::string>>& env,
                          std::string_view input, std::chrono::milliseconds bound) {
  if (argv.empty()) throw TestError("run_command: empty argv");
  // Files rather than pipes: no deadlock whatever the child writes, and nothing to poll.
  std::string in_path = make_temp_file("zfpm-test-in.XXXXXX");
  std::string out_path = make_temp_file("zfpm-test-out.XXXXXX");
  std::string err_path = make_temp_file("zfpm-test-err.XXXXXX");
  { std::ofstream(in_path, std::ios::binary) << input; }
  ExecArgs args(argv);
  std::optional<ExecArgs> envp;
  if (env) envp.emplace(env_strings(*env));
  Fd in(::open(in_path.c_str(), O_RDONLY | O_CLOEXEC));
  Fd out(::open(out_path.c_str(), O_WRONLY | O_CLOEXEC));
  Fd err(::open(err_path.c_str(), O_WRONLY | O_CLOEXEC));
  pid_t pid = spawn(args, envp ? &*envp : nullptr, in.get(), out.get(), err.get());

  CommandResult result;
  auto deadline = std::chrono::steady_clock::now() + bound;
  int raw = 0;
  bool killed = false;
  while (true) {
    pid_t r = ::waitpid(pid, &raw, WNOHANG);
    if (r == pid) break;
    if (r < 0 && errno != EINTR) throw TestError(std::string("waitpid: ") + std::strerror(errno));
    if (!killed && std::chrono::steady_clock::now() >= deadline) {
      ::kill(-pid, SIGKILL);
      killed = true;
    }
    std::this_thread::sleep_for(5ms);
  }
  result.status = status_from_wait(raw);
  result.status.needed_sigkill = killed;
  result.out = read_file(out_path);
  result.err = read_file(err_path);
  for (const auto& p : {in_path, out_path, err_path}) ::unlink(p.c_str());
  return result;
}

std::string read_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream buffer;
  buffer << in.rdbuf();
  return buffer.str();
}

bool is_executable(const std::string& path) { return ::access(path.c_str(), X_OK) == 0; }

}  // namespace zfpm::test
