#include "worker_output.hpp"

#include <fcntl.h>
#include <poll.h>
#include <spdlog/spdlog.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <string_view>

#include "zfpm/obs/log.hpp"

namespace zfpm::proc {
namespace {

constexpr std::size_t kLongestPiece = 64 * 1024;

void to_dev_null(int fd) {
  int null = ::open("/dev/null", O_WRONLY | O_CLOEXEC);
  if (null < 0) return;
  ::dup2(null, fd);
  ::close(null);
}

}  // namespace

bool WorkerOutput::start(const config::PoolConfig& pool) {
  pool_ = pool.name;
  decorate_ = pool.decorate_workers_output;
  obs::keep_stderr_log();
  std::fflush(stdout);
  std::fflush(stderr);
  if (!pool.catch_workers_output) {
    to_dev_null(STDOUT_FILENO);
    to_dev_null(STDERR_FILENO);
    return true;
  }
  int out[2];
  int err[2];
  if (::pipe2(out, O_CLOEXEC) != 0) {
    spdlog::error("[pool {}] failed to create the pipe for worker output: {}", pool_,
                  std::strerror(errno));
    return false;
  }
  if (::pipe2(err, O_CLOEXEC) != 0) {
    spdlog::error("[pool {}] failed to create the pipe for worker output: {}", pool_,
                  std::strerror(errno));
    ::close(out[0]);
    ::close(out[1]);
    return false;
  }
  ::dup2(out[1], STDOUT_FILENO);
  ::dup2(err[1], STDERR_FILENO);
  ::close(out[1]);
  ::close(err[1]);
  reader_ = std::thread([this, out_fd = out[0], err_fd = err[0]] { read_loop(out_fd, err_fd); });
  return true;
}

void WorkerOutput::stop() {
  if (!reader_.joinable()) return;
  std::fflush(stdout);
  std::fflush(stderr);
  // The pipes' only write ends are stdout and stderr: the reader sees the end of both.
  to_dev_null(STDOUT_FILENO);
  to_dev_null(STDERR_FILENO);
  reader_.join();
}

void WorkerOutput::read_loop(int out_fd, int err_fd) {
  struct Stream {
    int fd;
    const char* name;
    std::string pending;
  } streams[2] = {{out_fd, "stdout", {}}, {err_fd, "stderr", {}}};
  const int pid = static_cast<int>(::getpid());
  auto emit = [&](const Stream& stream, std::string_view line, bool continued_from,
                  bool continues) {
    std::string text = std::string(continued_from ? "..." : "") + std::string(line) +
                       (continues ? "..." : "");
    if (decorate_) {
      spdlog::warn("[pool {}] child {} said into {}: \"{}\"", pool_, pid, stream.name, text);
    } else {
      obs::log_raw_line(text);
    }
  };
  bool continued[2] = {false, false};
  char buffer[16 * 1024];
  int open_streams = 2;
  while (open_streams > 0) {
    pollfd fds[2] = {{streams[0].fd, POLLIN, 0}, {streams[1].fd, POLLIN, 0}};
    if (::poll(fds, 2, -1) < 0) {
      if (errno == EINTR) continue;
      break;
    }
    for (int i = 0; i < 2; ++i) {
      Stream& stream = streams[i];
      if (stream.fd < 0 || !(fds[i].revents & (POLLIN | POLLHUP | POLLERR))) continue;
      ssize_t n = ::read(stream.fd, buffer, sizeof buffer);
      if (n < 0 && errno == EINTR) continue;
      if (n <= 0) {
        if (!stream.pending.empty()) emit(stream, stream.pending, continued[i], false);
        stream.pending.clear();
        ::close(stream.fd);
        stream.fd = -1;
        fds[i].fd = -1;
        --open_streams;
        continue;
      }
      stream.pending.append(buffer, static_cast<std::size_t>(n));
      std::size_t start = 0;
      for (std::size_t eol; (eol = stream.pending.find('\n', start)) != std::string::npos;
           start = eol + 1) {
        emit(stream, std::string_view(stream.pending).substr(start, eol - start), continued[i],
             false);
        continued[i] = false;
      }
      stream.pending.erase(0, start);
      while (stream.pending.size() > kLongestPiece) {
        emit(stream, std::string_view(stream.pending).substr(0, kLongestPiece), continued[i], true);
        continued[i] = true;
        stream.pending.erase(0, kLongestPiece);
      }
    }
  }
  for (auto& stream : streams) {
    if (stream.fd >= 0) ::close(stream.fd);
  }
}

}  // namespace zfpm::proc
