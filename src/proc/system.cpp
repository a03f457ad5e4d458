#include "system.hpp"

#include <fcntl.h>
#include <sys/resource.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

namespace zfpm::proc {

std::string syserror() {
  const int error = errno;
  return std::string(": ") + std::strerror(error) + " (" + std::to_string(error) + ")";
}

bool set_rlimit(int resource, int value) {
  rlimit limit{};
  limit.rlim_cur = limit.rlim_max = value < 0 ? RLIM_INFINITY : static_cast<rlim_t>(value);
  return ::setrlimit(resource, &limit) == 0;
}

bool make_pipe(UniqueFd& read_end, UniqueFd& write_end) {
  int fds[2];
  if (::pipe2(fds, O_CLOEXEC) != 0) return false;
  read_end.reset(fds[0]);
  write_end.reset(fds[1]);
  return true;
}

}  // namespace zfpm::proc
