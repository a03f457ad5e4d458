#pragma once
// Flow control between the front end and the workers: when all are busy nobody accepts, so
// excess connections wait in the kernel's backlog (docs/internals.md, "Admission", has the calls
// each caller makes). There are `slots` places for requests: one per worker plus a small queue.
// A slot is taken by
//   - a request handed to the pool, until its worker is free again (job_done), and
//   - a new connection, until its first request is ready (reserved): so accepting stops as soon
//     as the connections already inside could fill every slot.
// With pm = static or dynamic the workers accept for themselves (net/server.hpp): an idle one via
// try_open, one that just finished through try_pull, keeping its slot.
// A keep-alive connection's next request takes a free slot, or waits in a FIFO. While requests
// wait and new connections wait in the listen queue too, freed slots alternate between the two
// (the listener is resumed with the slot kept for it), so that neither starves the other: a
// connection in the listen queue is not left there for as long as keep-alive requests keep
// coming. Memory is thus bounded by the slots and the open connections (at most
// max_connections), never by load.
//
// Thread-safe: connections call it from their strands, workers from their threads. Callbacks run
// outside the lock, on the thread that freed the slot: they must post, not run, real work.
#include <cstddef>
#include <deque>
#include <functional>
#include <mutex>
#include <vector>

namespace zfpm::net {

class Admission {
 public:
  enum class Refusal { None, Busy, MaxConnections };

  Admission(std::size_t slots, std::size_t max_connections);

  // Called when accepting may resume after a refusal.
  void set_on_room(std::function<void()> on_room);

  // Before accept(): None means a connection may be accepted; it holds one reserved slot.
  Refusal try_open();
  // The connection is gone (or the accept found nobody); `reserved` if it still held its slot.
  void close(bool reserved);
  // A new connection's first request is ready: its reserved slot now carries the request.
  void first_request();
  // A later request is ready: true if it has a slot now; otherwise `grant` is called when one is
  // given to it (the slot is then already counted; a grantee that no longer wants it calls
  // job_done()).
  bool try_request(std::function<void()> grant);
  // A worker finished a request (or a granted slot was not used).
  void job_done();
  // A worker about to accept a connection itself, keeping its slot for that connection's first
  // request. It may (Take, Turn) when nothing waits, neither a keep-alive request for a slot nor,
  // `queued` false, a job for a worker; or when the listen queue's turn has come (a slot is kept
  // for it: that slot then goes to the requests that wait). Never past max_connections. The
  // connection then counts as open; close(false) when it goes (or was not there).
  enum class Pull {
    Take,  // nothing waits
    Turn,  // requests wait, and this is the listen queue's turn
    Wait,  // requests wait, and it is theirs
    Full,  // max_connections are open
  };
  Pull try_pull(bool queued);
  // Someone waits in the listen queue while requests wait too (a worker looked, since it may not
  // take them): the next free slots alternate between the two, as after a refused try_open.
  void listener_waiting();
  // A connection a worker accepted goes to the I/O thread with a reserved slot after all (its
  // request has not arrived whole); the worker's own slot is freed by job_done() as usual.
  void reserve();

  std::size_t slots() const { return slots_; }
  // For tests and the status page.
  std::size_t open_connections() const;
  std::size_t waiting() const;

 private:
  bool has_room() const { return jobs_ + reserved_ + kept_for_listener_ < slots_; }
  // Gives free slots to waiters; returns the grants to call and whether accepting may resume.
  void pump(std::vector<std::function<void()>>& grants, bool& resume);
  void run(std::vector<std::function<void()>>& grants, bool resume);

  const std::size_t slots_;
  const std::size_t max_connections_;
  mutable std::mutex mutex_;
  std::function<void()> on_room_;
  std::size_t jobs_ = 0;
  std::size_t reserved_ = 0;
  std::size_t open_ = 0;
  bool refused_ = false;               // a connection was left in the listen queue
  bool listener_turn_ = false;         // the next free slot goes to the listen queue
  std::size_t kept_for_listener_ = 0;  // slots given to the resumed listener, not yet taken
  std::deque<std::function<void()>> waiters_;
};

}  // namespace zfpm::net
