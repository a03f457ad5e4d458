#pragma once
// A reload re-executes the master in place (same pid), so its children stay its children. The
// old image tells the new one which they are through the environment, as it tells it the
// sockets (sockets.hpp): the new master asks them to finish once its own children are ready.
// Private to proc/.
#include <sys/types.h>

#include <chrono>
#include <string>
#include <vector>

namespace zfpm::proc {

struct InheritedChild {
  pid_t pid = -1;
  std::string pool_name;
  std::chrono::steady_clock::time_point started;  // CLOCK_MONOTONIC: the same across exec
};

// Sets (or, for an empty list, removes) the variable for the next image.
void export_children(const std::vector<InheritedChild>& children);
// Reads and removes it.
std::vector<InheritedChild> take_inherited_children();

}  // namespace zfpm::proc
