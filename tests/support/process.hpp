// Child processes for the integration tests: a server under test (zfpm, nginx) with its output in a
// log file, a short-lived command with captured output, and a temporary directory.
#pragma once

#include <sys/types.h>

#include <chrono>
#include <csignal>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace zfpm::test {

using namespace std::chrono_literals;

// mkdtemp'd directory, removed recursively on destruction.
class TempDir {
 public:
  TempDir();
  ~TempDir();
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;

  const std::string& path() const { return path_; }
  std::string file(std::string_view name) const { return path_ + "/" + std::string(name); }
  // Writes (creating parent folders) and returns the absolute path.
  std::string write(std::string_view name, std::string_view content) const;
  std::string make_dir(std::string_view name) const;

 private:
  std::string path_;
};

// How a child ended.
struct ExitStatus {
  bool exited = false;          // returned from main / called exit()
  int code = -1;                // exit code when exited
  int signal = 0;               // terminating signal otherwise
  bool needed_sigkill = false;  // did not exit within the bound after the polite signal
  bool clean() const { return exited && code == 0 && !needed_sigkill; }
  std::string describe() const;
};

// A long-running server: fork/exec'd in its own process group, stdout and stderr appended to a
// temporary log file. The destructor kills whatever is still running (by pid and its group).
class ServerProcess {
 public:
  ServerProcess();
  ~ServerProcess();
  ServerProcess(const ServerProcess&) = delete;
  ServerProcess& operator=(const ServerProcess&) = delete;

  void start(const std::vector<std::string>& argv);

  // Polls connect() every 20 ms. Throws TestError with the log if the process exits first or the
  // bound passes.
  void wait_until_connectable(std::string_view address, std::chrono::milliseconds bound = 10s);

  // Polls the log every 20 ms until a line satisfies the predicate; returns that line or nullopt.
  // Only lines starting at byte `from` (a previous log_size()) are looked at.
  std::optional<std::string> wait_for_log_line(
      const std::function<bool(std::string_view)>& predicate, std::chrono::milliseconds bound = 5s,
      size_t from = 0) const;
  std::optional<std::string> wait_for_log(std::string_view needle,
                                          std::chrono::milliseconds bound = 5s,
                                          size_t from = 0) const;

  // Sends `sig` to the pid, waits up to `bound`, then SIGKILLs. Idempotent.
  ExitStatus stop(int sig = SIGTERM, std::chrono::milliseconds bound = 10s);

  bool running();
  pid_t pid() const { return pid_; }
  std::string log() const;
  size_t log_size() const;
  const std::string& log_path() const { return log_path_; }
  // Processes (not zombies) still in the server's process group, e.g. children it forked.
  std::vector<pid_t> group_members() const;

 private:
  bool reap(bool block);
  pid_t pid_ = -1;
  std::optional<ExitStatus> status_;
  std::string log_path_;
};

struct CommandResult {
  ExitStatus status;
  std::string out;
  std::string err;
};

// Runs argv to completion (bounded; SIGKILL after `bound`), feeding `input` on stdin. When `env`
// is given it is the whole environment of the child (like `env -i`).
CommandResult run_command(
    const std::vector<std::string>& argv,
    const std::optional<std::map<std::string, std::string>>& env = std::nullopt,
    std::string_view input = {}, std::chrono::milliseconds bound = 20s);

std::string read_file(const std::string& path);
bool is_executable(const std::string& path);

}  // namespace zfpm::test
