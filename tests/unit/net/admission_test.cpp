// Flow control: slots = workers + queue; new connections reserve one until their first request;
// keep-alive requests wait in order for a slot; accepting resumes only when there is room, and
// shares the freed slots with waiting requests.
#include "zfpm/net/admission.hpp"

#include <doctest/doctest.h>

#include <string>
#include <vector>

using zfpm::net::Admission;
using Refusal = Admission::Refusal;
using Pull = Admission::Pull;

TEST_CASE("accepting stops once new connections could fill every slot, and resumes on room") {
  Admission admission(3, 100);
  int resumed = 0;
  admission.set_on_room([&] { ++resumed; });
  CHECK(admission.try_open() == Refusal::None);
  CHECK(admission.try_open() == Refusal::None);
  CHECK(admission.try_open() == Refusal::None);
  CHECK(admission.try_open() == Refusal::Busy);
  CHECK(resumed == 0);

  admission.first_request();  // the first connection's slot now carries its request
  CHECK(admission.try_open() == Refusal::Busy);
  admission.job_done();  // ...which a worker finished
  CHECK(resumed == 1);
  CHECK(admission.try_open() == Refusal::None);
}

TEST_CASE("a connection that leaves before its first request gives its reservation back") {
  Admission admission(1, 100);
  int resumed = 0;
  admission.set_on_room([&] { ++resumed; });
  CHECK(admission.try_open() == Refusal::None);
  CHECK(admission.try_open() == Refusal::Busy);
  admission.close(true);
  CHECK(resumed == 1);
  CHECK(admission.open_connections() == 0);
  CHECK(admission.try_open() == Refusal::None);
}

TEST_CASE("keep-alive requests beyond the slots wait in arrival order, before new accepts") {
  Admission admission(2, 100);
  std::vector<std::string> granted;
  CHECK(admission.try_request([&] { granted.push_back("a"); }));
  CHECK(admission.try_request([&] { granted.push_back("b"); }));
  CHECK_FALSE(admission.try_request([&] { granted.push_back("c"); }));
  CHECK_FALSE(admission.try_request([&] { granted.push_back("d"); }));
  CHECK(admission.waiting() == 2);

  admission.job_done();
  CHECK(granted == std::vector<std::string>{"c"});
  admission.job_done();
  CHECK(granted == std::vector<std::string>{"c", "d"});
  CHECK(admission.try_open() == Refusal::Busy);  // both slots carry c and d
  admission.job_done();
  CHECK(admission.try_open() == Refusal::None);
}

TEST_CASE("while requests wait, a connection in the listen queue gets every other free slot") {
  Admission admission(2, 100);
  int resumed = 0;
  admission.set_on_room([&] { ++resumed; });
  std::vector<std::string> granted;
  CHECK(admission.try_request([] {}));
  CHECK(admission.try_request([] {}));
  CHECK_FALSE(admission.try_request([&] { granted.push_back("c"); }));
  CHECK_FALSE(admission.try_request([&] { granted.push_back("d"); }));
  CHECK(admission.try_open() == Refusal::Busy);  // a connection waits in the listen queue

  admission.job_done();  // the oldest waiter first
  CHECK(granted == std::vector<std::string>{"c"});
  CHECK(resumed == 0);
  admission.job_done();  // then the listen queue's turn: the slot is kept for it
  CHECK(granted == std::vector<std::string>{"c"});
  CHECK(resumed == 1);
  CHECK(admission.try_open() == Refusal::None);
  CHECK(admission.try_open() == Refusal::Busy);  // one slot, one connection
  admission.job_done();                          // and back to the waiting request
  CHECK(granted == std::vector<std::string>{"c", "d"});
}

TEST_CASE("max connections refuses accepts while that many are open, whatever the slots") {
  Admission admission(100, 2);
  int resumed = 0;
  admission.set_on_room([&] { ++resumed; });
  CHECK(admission.try_open() == Refusal::None);
  CHECK(admission.try_open() == Refusal::None);
  admission.first_request();
  admission.first_request();
  admission.job_done();
  admission.job_done();
  CHECK(admission.try_open() == Refusal::MaxConnections);
  admission.close(false);
  CHECK(resumed == 1);
  CHECK(admission.try_open() == Refusal::None);
}

TEST_CASE("a granted slot that is not used is given to the next waiter") {
  Admission admission(1, 100);
  int second = 0;
  CHECK(admission.try_request([] {}));
  CHECK_FALSE(admission.try_request([&] { admission.job_done(); }));  // gone by the time
  CHECK_FALSE(admission.try_request([&] { ++second; }));
  admission.job_done();
  CHECK(second == 1);
  CHECK(admission.waiting() == 0);
}

TEST_CASE("a worker pulls its next client with its own slot, unless requests wait or it is full") {
  Admission admission(2, 3);
  CHECK(admission.try_request([] {}));             // a worker runs a request
  CHECK(admission.try_pull(false) == Pull::Take);  // ...and takes its next client itself
  CHECK(admission.open_connections() == 1);
  CHECK(admission.try_request([] {}));
  std::vector<std::string> granted;
  CHECK_FALSE(admission.try_request([&] { granted.push_back("waiting"); }));
  CHECK(admission.try_pull(false) == Pull::Wait);  // a keep-alive request waits: it goes first
  admission.job_done();
  CHECK(granted == std::vector<std::string>{"waiting"});
  CHECK(admission.try_pull(false) == Pull::Take);
  CHECK(admission.try_pull(false) == Pull::Take);
  CHECK(admission.try_pull(false) == Pull::Full);  // max connections (3) are open
  admission.close(false);
  CHECK(admission.open_connections() == 2);
}

TEST_CASE("while requests wait, a listen queue someone looked at gets every other freed slot") {
  Admission admission(2, 100);
  CHECK(admission.try_request([] {}));  // two workers busy with keep-alive requests
  CHECK(admission.try_request([] {}));
  std::vector<std::string> granted;
  CHECK_FALSE(admission.try_request([&] { granted.push_back("a"); }));
  CHECK_FALSE(admission.try_request([&] { granted.push_back("b"); }));
  CHECK_FALSE(admission.try_request([&] { granted.push_back("c"); }));
  CHECK(admission.try_pull(false) ==
        Pull::Wait);                              // requests wait: the worker may not take a client
  CHECK(admission.try_pull(true) == Pull::Wait);  // nor while jobs wait in the pool
  admission.listener_waiting();                   // ...but it saw one in the listen queue
  admission.job_done();                           // a request first,
  CHECK(granted == std::vector<std::string>{"a"});
  admission.job_done();  // then a slot kept for the listen queue,
  CHECK(granted == std::vector<std::string>{"a"});
  // which the next finishing worker uses for that client, jobs queued or not, giving its kept
  // slot to the next request.
  CHECK(admission.try_pull(true) == Pull::Turn);
  CHECK(granted == std::vector<std::string>{"a", "b"});
  CHECK(admission.open_connections() == 1);
  CHECK(admission.try_pull(true) == Pull::Wait);  // that turn is used
  admission.job_done();
  CHECK(granted == std::vector<std::string>{"a", "b", "c"});
}

TEST_CASE(
    "with jobs queued in the pool and no request waiting, the listen queue still gets a turn") {
  Admission admission(2, 100);
  int resumed = 0;
  admission.set_on_room([&] { ++resumed; });
  CHECK(admission.try_request([] {}));  // both slots carry jobs: one running, one queued
  CHECK(admission.try_request([] {}));
  CHECK(admission.try_pull(true) == Pull::Wait);  // the finishing worker may not take one yet
  admission.listener_waiting();                   // ...but saw one waiting
  admission.job_done();                           // its slot is kept for that client,
  CHECK(resumed == 1);
  CHECK_FALSE(admission.try_request([] {}));      // not given to the next keep-alive request,
  CHECK(admission.try_pull(true) == Pull::Turn);  // and the next finishing worker takes it
  CHECK(admission.open_connections() == 1);
}

TEST_CASE("a pulled client handed to the I/O thread reserves a slot of its own") {
  Admission admission(2, 100);
  CHECK(admission.try_request([] {}));
  CHECK(admission.try_pull(false) == Pull::Take);
  admission.reserve();   // its request was still arriving
  admission.job_done();  // the worker is free: one slot carries the reservation
  CHECK(admission.try_open() == Refusal::None);
  CHECK(admission.try_open() == Refusal::Busy);
  admission.first_request();
  admission.job_done();
  CHECK(admission.try_open() == Refusal::None);
}
