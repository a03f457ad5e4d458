#include "worker_output.hpp"

#include <fcntl.h>
#include <poll.h>
#include <spdlog/spdlog.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <string_view>

#include "system.hpp"
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
  UniqueFd out_read, out_write, err_read, err_write;
  if (!make_pipe(out_read, out_write) || !make_pipe(err_read, err_write)) {
    spdlog::error("[pool {}] failed to create the pipe for worker output: {}", pool_,
                  std::strerror(errno));
    return false;
  }
  ::dup2(out_write.get(), STDOUT_FILENO);
  ::dup2(err_write.get(), STDERR_FILENO);
  // stdout and stderr are the only write ends left: the reader sees the end when they close.
  out_write.reset();
  err_write.reset();
  reader_ = std::thread([this, out = std::move(out_read), err = std::move(err_read)]() mutable {
    read_loop(std::move(out), std::move(err));
  });
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

void WorkerOutput::read_loop(UniqueFd out_fd, UniqueFd err_fd) {
  struct Stream {
    UniqueFd fd;
    const char* name;
    std::string pending;
  } streams[2] = {{std::move(out_fd), "stdout", {}}, {std::move(err_fd), "stderr", {}}};
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
    pollfd fds[2] = {{streams[0].fd.get(), POLLIN, 0}, {streams[1].fd.get(), POLLIN, 0}};
    if (::poll(fds, 2, -1) < 0) {
      if (errno == EINTR) continue;
      break;
    }
    for (int i = 0; i < 2; ++i) {
      Stream& stream = streams[i];
      if (!stream.fd || !(fds[i].revents & (POLLIN | POLLHUP | POLLERR))) continue;
      ssize_t n = ::read(stream.fd.get(), buffer, sizeof buffer);
      if (n < 0 && errno == EINTR) continue;
      if (n <= 0) {
        if (!stream.pending.empty()) emit(stream, stream.pending, continued[i], false);
        stream.pending.clear();
        stream.fd.reset();
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
}

}  // namespace zfpm::proc
