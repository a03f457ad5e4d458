#pragma once
// The access.log file (fpm_log.c): opened O_WRONLY|O_APPEND|O_CREAT, mode 0600, close-on-exec.
// Each line goes out whole in one write(2): with O_APPEND, lines from concurrent worker threads
// never interleave. reopen() (SIGUSR1, log rotation) opens the path again and dup2()s the new file
// onto the same descriptor, so a writer never sees a closed one.
#include <mutex>
#include <string>
#include <string_view>

namespace zfpm::obs {

class AccessLog {
 public:
  AccessLog() = default;
  ~AccessLog();
  AccessLog(const AccessLog&) = delete;
  AccessLog& operator=(const AccessLog&) = delete;

  // False with *error ("failed to open access log (path): reason") when it cannot.
  bool open(const std::string& path, std::string* error);
  bool is_open() const { return fd_ >= 0; }
  const std::string& path() const { return path_; }

  // One line, '\n' included. Thread-safe.
  void write(std::string_view line) const;

  // Opens the path again onto the same descriptor; false (and *error) when it cannot, the old
  // file then stays in use.
  bool reopen(std::string* error);

 private:
  std::string path_;
  int fd_ = -1;
  std::mutex reopen_mutex_;
};

// The process's access log (one pool per process), for the SIGUSR1 handler: reopens it and logs
// php-fpm's NOTICE "access log file re-opened". True when there is none to reopen.
bool reopen_access_log();
// Set by whoever opens the pool's access log (php/); null to unset.
void set_process_access_log(AccessLog* log);

}  // namespace zfpm::obs
