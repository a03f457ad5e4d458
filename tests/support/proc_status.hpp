// A process's memory and descriptors from /proc, for tests that bound them.
#pragma once

#include <sys/types.h>

#include <cstddef>
#include <string_view>

namespace zfpm::test {

// A "Vm...:" field of /proc/<pid>/status in KiB (VmRSS, VmHWM = peak RSS); 0 if unreadable.
std::size_t vm_kib(pid_t pid, std::string_view field);

// Entries in /proc/<pid>/fd.
std::size_t open_fds(pid_t pid);

}  // namespace zfpm::test
