#include "daemon.hpp"

#include <fcntl.h>
#include <poll.h>
#include <spdlog/spdlog.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>

#include "system.hpp"
#include "zfpm/cli/exit_code.hpp"

namespace zfpm::proc {
namespace {

constexpr int kAckTimeoutMs = 10'000;

}  // namespace

UniqueFd daemonize() {
  UniqueFd read_end, write_end;
  if (!make_pipe(read_end, write_end)) {
    spdlog::error("failed to create pipe{}", syserror());
    return {};
  }
  pid_t pid = ::fork();
  if (pid < 0) {
    spdlog::error("failed to daemonize{}", syserror());
    return {};
  }
  if (pid > 0) {
    write_end.reset();
    pollfd waiting{read_end.get(), POLLIN, 0};
    int ready = ::poll(&waiting, 1, kAckTimeoutMs);
    char word = 0;
    if (ready == 1 && ::read(read_end.get(), &word, 1) == 1 && word == 1) ::_exit(0);
    if (ready == 0) {
      spdlog::error("the master process didn't send back its status (via the pipe to the calling process)");
    }
    ::_exit(cli::to_int(cli::ExitCode::Software));
  }
  read_end.reset();
  ::setsid();
  return write_end;
}

void daemon_ready(UniqueFd& fd, bool ok) {
  if (!fd) return;
  char word = ok ? 1 : 0;
  (void)!::write(fd.get(), &word, 1);
  fd.reset();
}

void detach_stdio(int log_fd) {
  int null = ::open("/dev/null", O_RDWR);
  if (null < 0) return;
  ::dup2(null, STDIN_FILENO);
  ::dup2(null, STDOUT_FILENO);
  ::dup2(log_fd >= 0 ? log_fd : null, STDERR_FILENO);
  if (null > STDERR_FILENO) ::close(null);
}

bool write_pid_file(const std::string& path) {
  int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (fd < 0) {
    spdlog::error("Unable to create the PID file ({}){}", path, syserror());
    return false;
  }
  std::string text = std::to_string(::getpid());
  bool ok = ::write(fd, text.data(), text.size()) == static_cast<ssize_t>(text.size());
  ::close(fd);
  if (!ok) spdlog::error("Unable to write to the PID file ({}){}", path, syserror());
  return ok;
}

void remove_pid_file(const std::string& path) { ::unlink(path.c_str()); }

void notify_systemd(const std::string& state) {
  const char* socket_path = std::getenv("NOTIFY_SOCKET");
  if (!socket_path || !*socket_path) return;
  sockaddr_un address{};
  address.sun_family = AF_UNIX;
  std::size_t length = std::strlen(socket_path);
  if (length >= sizeof address.sun_path) return;
  std::memcpy(address.sun_path, socket_path, length);
  if (address.sun_path[0] == '@') address.sun_path[0] = '\0';  // abstract namespace
  int fd = ::socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return;
  ::sendto(fd, state.data(), state.size(), MSG_NOSIGNAL, reinterpret_cast<sockaddr*>(&address),
           static_cast<socklen_t>(offsetof(sockaddr_un, sun_path) + length));
  ::close(fd);
}

}  // namespace zfpm::proc
