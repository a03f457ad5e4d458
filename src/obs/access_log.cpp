#include "zfpm/obs/access_log.hpp"

#include <fcntl.h>
#include <spdlog/spdlog.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <cstring>

namespace zfpm::obs {
namespace {

std::atomic<AccessLog*> process_log{nullptr};

int open_log(const std::string& path) {
  return ::open(path.c_str(), O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, S_IRUSR | S_IWUSR);
}

}  // namespace

AccessLog::~AccessLog() {
  if (process_log.load() == this) process_log.store(nullptr);
  if (fd_ >= 0) ::close(fd_);
}

bool AccessLog::open(const std::string& path, std::string* error) {
  const int fd = open_log(path);
  if (fd < 0) {
    if (error) *error = "failed to open access log (" + path + "): " + std::strerror(errno);
    return false;
  }
  if (fd_ >= 0) ::close(fd_);
  fd_ = fd;
  path_ = path;
  return true;
}

void AccessLog::write(std::string_view line) const {
  // A regular file takes the whole line at once; the loop only matters for a full disk or a
  // pipe (/dev/stderr), where the rest follows as soon as it can.
  while (!line.empty()) {
    const ssize_t n = ::write(fd_, line.data(), line.size());
    if (n < 0) {
      if (errno == EINTR) continue;
      return;  // php-fpm ignores write errors too (zend_quiet_write)
    }
    line.remove_prefix(static_cast<std::size_t>(n));
  }
}

bool AccessLog::reopen(std::string* error) {
  std::lock_guard lock(reopen_mutex_);
  if (fd_ < 0) return true;
  const int fd = open_log(path_);
  if (fd < 0) {
    if (error) *error = "failed to open access log (" + path_ + "): " + std::strerror(errno);
    return false;
  }
  // dup2 swaps the file under the same number atomically; O_CLOEXEC is per descriptor, so it is
  // set again (dup3).
  const int result = ::dup3(fd, fd_, O_CLOEXEC);
  const int saved = errno;
  ::close(fd);
  if (result < 0) {
    if (error) *error = "failed to reopen access log (" + path_ + "): " + std::strerror(saved);
    return false;
  }
  return true;
}

bool reopen_access_log() {
  AccessLog* log = process_log.load();
  if (!log || !log->is_open()) return true;
  std::string error;
  if (!log->reopen(&error)) {
    spdlog::error("{}", error);
    return false;
  }
  spdlog::info("access log file re-opened");
  return true;
}

void set_process_access_log(AccessLog* log) { process_log.store(log); }

}  // namespace zfpm::obs
