#pragma once
// Small system helpers shared by the master and the pool children. Private to proc/.
#include <string>

#include "zfpm/unique_fd.hpp"

namespace zfpm::proc {

// php-fpm's ZLOG_SYSERROR suffix for the current errno: ": Permission denied (13)".
std::string syserror();

// setrlimit with soft = hard = value; a negative value is unlimited (rlimit_core = unlimited).
bool set_rlimit(int resource, int value);

// pipe2(O_CLOEXEC), each end with its owner; false (errno set) when it fails.
bool make_pipe(UniqueFd& read_end, UniqueFd& write_end);

}  // namespace zfpm::proc
