#include "zfpm/unique_fd.hpp"

#include <doctest/doctest.h>
#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <utility>

namespace zfpm {
namespace {

bool is_open(int fd) { return ::fcntl(fd, F_GETFD) != -1 || errno != EBADF; }

// A fresh descriptor (one end of a pipe; the other is closed at once).
int fresh_fd() {
  int fds[2];
  REQUIRE(::pipe2(fds, O_CLOEXEC) == 0);
  ::close(fds[1]);
  return fds[0];
}

TEST_CASE("a UniqueFd closes its descriptor when it goes") {
  const int fd = fresh_fd();
  {
    UniqueFd owner(fd);
    CHECK(owner);
    CHECK(owner.get() == fd);
    CHECK(is_open(fd));
  }
  CHECK_FALSE(is_open(fd));
}

TEST_CASE("moving a UniqueFd moves the ownership, and the old owner closes nothing") {
  const int fd = fresh_fd();
  UniqueFd first(fd);
  UniqueFd second(std::move(first));
  CHECK_FALSE(first);
  CHECK(second.get() == fd);
  first = UniqueFd();  // an empty owner going closes nothing
  CHECK(is_open(fd));
  UniqueFd third;
  third = std::move(second);
  CHECK(is_open(fd));
  third.reset();
  CHECK_FALSE(is_open(fd));
}

TEST_CASE("release gives the descriptor away open, and reset closes the old one") {
  const int kept = fresh_fd();
  int released = -1;
  {
    UniqueFd owner(kept);
    released = owner.release();
    CHECK_FALSE(owner);
  }
  CHECK(released == kept);
  CHECK(is_open(kept));

  const int other = fresh_fd();
  UniqueFd owner(kept);
  owner.reset(other);
  CHECK_FALSE(is_open(kept));
  CHECK(is_open(other));
  CHECK(owner.get() == other);
}

}  // namespace
}  // namespace zfpm
