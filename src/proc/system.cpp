#include "system.hpp"

#include <sys/resource.h>

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

}  // namespace zfpm::proc
