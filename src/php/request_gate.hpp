#pragma once
// Which threads of the process are inside PHP, and a way to have none: every PHP request (and a
// worker's context creation and teardown) passes this gate, and an opcache restart runs only
// while it is closed and nobody is inside. opcache's own guard, an fcntl read lock per request
// (ZendAccelerator.c: accel_activate_add, accel_is_inactive), cannot see locks its own process
// holds, so among threads it lets a restart run under every other request's feet (php-src
// GH-18517). The gate covers every pool of the process: pm.status_listen's workers run PHP too.
#include <chrono>

namespace zfpm::php::request_gate {

// Before PHP's request startup on a worker thread: waits while the gate is closed. leave() after
// the request's shutdown. Not reentrant: a thread is inside once.
void enter();
void leave();

struct Closing {
  bool quiet = false;    // nobody inside: the gate stays closed until open()
  unsigned running = 0;  // threads inside when the gate closed
  unsigned left = 0;     // threads still inside when `bound` passed (quiet is false)
};

// From a thread that is not inside: closes the gate, so that threads arriving wait in enter(),
// and waits until nobody is inside, at most `bound`. When the bound passes first, the gate opens
// again and the threads still inside become holdouts.
Closing close(std::chrono::milliseconds bound);
void open();

// The threads inside when the last close() gave up that have not left since.
unsigned holdouts();

}  // namespace zfpm::php::request_gate
