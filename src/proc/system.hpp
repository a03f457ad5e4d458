#pragma once
// Small system helpers shared by the master and the pool children. Private to proc/.
#include <string>

namespace zfpm::proc {

// php-fpm's ZLOG_SYSERROR suffix for the current errno: ": Permission denied (13)".
std::string syserror();

// setrlimit with soft = hard = value; a negative value is unlimited (rlimit_core = unlimited).
bool set_rlimit(int resource, int value);

}  // namespace zfpm::proc
