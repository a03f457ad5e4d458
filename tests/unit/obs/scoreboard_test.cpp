#include "zfpm/obs/scoreboard.hpp"

#include <doctest/doctest.h>

using namespace zfpm::obs;

TEST_CASE("a request moves its worker from idle to active and counts as accepted") {
  Scoreboard board("www", "static", 3, 3);
  board.worker_started(0, 11);
  board.worker_started(1, 12);
  auto s = board.snapshot(true);
  CHECK(s.idle == 3);  // the third thread is on its way: it counts already
  CHECK(s.active == 0);
  REQUIRE(s.slots.size() == 3);
  CHECK(s.slots[0].tid == 11);
  CHECK(s.slots[0].worker == 1);  // numbered as zfpm_worker_info() numbers workers
  CHECK(s.slots[2].tid == 0);

  board.request_accepted(0);
  board.request_info(0, {.method = "GET", .uri = "/a.php", .query = "x=1", .user = "",
                         .script = "/srv/a.php", .content_length = 3});
  board.request_running(0);
  s = board.snapshot(true);
  CHECK(s.accepted_conn == 1);
  CHECK(s.idle == 2);
  CHECK(s.active == 1);
  CHECK(s.max_active == 1);
  CHECK(s.slots[0].stage == Stage::Running);
  CHECK(s.slots[0].requests == 1);
  CHECK(s.slots[0].request.uri == "/a.php");
  CHECK(s.slots[0].last_memory == 0);

  const auto measures = board.request_ended(0, 4096);
  CHECK(measures.memory == 4096);
  CHECK(measures.duration.count() >= 0);
  CHECK(board.snapshot(true).slots[0].stage == Stage::Finishing);
  board.request_idle(0);
  s = board.snapshot(true);
  CHECK(s.idle == 3);
  CHECK(s.active == 0);
  CHECK(s.slots[0].stage == Stage::Idle);
  CHECK(s.slots[0].last_memory == 4096);
  CHECK(s.slots[0].request.method == "GET");  // the last request stays on show
}

TEST_CASE("max active processes keeps the highest concurrency seen") {
  Scoreboard board("www", "static", 2, 2);
  board.worker_started(0, 1);
  board.worker_started(1, 2);
  board.request_accepted(0);
  board.request_accepted(1);
  board.request_idle(0);
  board.request_idle(1);
  const auto s = board.snapshot(false);
  CHECK(s.idle == 2);
  CHECK(s.max_active == 2);
  CHECK(s.active == 0);
  CHECK(s.accepted_conn == 2);
  CHECK(s.slots.empty());
}

TEST_CASE("slow requests and max children reached are counted from outside") {
  Scoreboard board("www", "dynamic", 1, 1);
  board.note_slow_request();
  board.note_slow_request();
  board.note_max_children_reached();
  const auto s = board.snapshot(false);
  CHECK(s.slow_requests == 2);
  CHECK(s.max_children_reached == 1);
  CHECK(s.process_manager == "dynamic");
}

TEST_CASE("a stopped worker leaves the counts") {
  Scoreboard board("www", "static", 2, 2);
  board.worker_started(0, 1);
  board.worker_started(1, 2);
  board.request_accepted(1);
  board.worker_stopped(0);
  board.worker_stopped(1);
  auto s = board.snapshot(true);
  CHECK(s.idle == 0);
  CHECK(s.active == 0);
  CHECK(s.slots.empty());
  board.worker_started(0, 7);  // a replacement thread takes the slot again
  s = board.snapshot(true);
  CHECK(s.idle == 1);
  REQUIRE(s.slots.size() == 1);
  CHECK(s.slots[0].tid == 7);
}

TEST_CASE("the listen queue of a socket without TCP_INFO reads 0") {
  Scoreboard board("www", "static", 1, 1);
  board.set_listen_socket(0);  // stdin: not a TCP socket
  const auto s = board.snapshot(false);
  CHECK(s.listen_queue == 0);
  CHECK(s.listen_queue_len == 0);
}

TEST_CASE("a dynamic or ondemand pool counts only the threads it started with, then the others as they start") {
  Scoreboard board("www", "ondemand", 3, 0);
  CHECK(board.snapshot(false).idle == 0);
  board.worker_started(1, 4242);
  CHECK(board.snapshot(false).idle == 1);
  board.worker_stopped(1);
  CHECK(board.snapshot(false).idle == 0);
}
