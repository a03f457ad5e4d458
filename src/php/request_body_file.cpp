#include "request_body_file.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>

namespace zfpm::php {

RequestBodyFile::~RequestBodyFile() {
  if (fd_ >= 0) ::close(fd_);
}

bool RequestBodyFile::open(const char* path) {
  // O_CLOEXEC, unlike php-fpm: another worker thread's exec() must not inherit it.
  fd_ = ::open(path, O_RDONLY | O_CLOEXEC);
  return fd_ >= 0;
}

std::size_t RequestBodyFile::read(std::span<char> out) {
  std::size_t done = 0;
  while (fd_ >= 0 && done < out.size()) {
    ssize_t n = ::read(fd_, out.data() + done, out.size() - done);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) break;
    done += static_cast<std::size_t>(n);
  }
  return done;
}

}  // namespace zfpm::php
