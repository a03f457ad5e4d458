#pragma once
// What a connection answers by itself, with no worker involved: the records for the parser's
// events that need no PHP, and whether the connection closes once they are sent. Pure: the
// connection (net/connection.cpp) only queues the bytes and follows `close_after`.
#include <string>

#include "zfpm/fcgi/parser.hpp"

namespace zfpm::fcgi {

struct Reply {
  std::string records;
  bool close_after = false;  // the connection closes once the records are out
};

// FCGI_GET_VALUES (spec 4.1): FCGI_MAX_CONNS and FCGI_MAX_REQS are the pool's workers (one
// request per connection at a time), FCGI_MPXS_CONNS is 0; other names are left out, in the order
// asked. The connection stays (php-fpm, fastcgi.c: fcgi_read_request, answers FCGI_MPXS_CONNS
// alone and closes; docs/protocol.md).
Reply reply_to(const GetValues& asked, unsigned max_workers);

// A refused BEGIN_REQUEST: END_REQUEST with its status. A refused role ends the connection too
// unless it asked to be kept (spec 5.1); a second request on a busy connection (CantMpxConn)
// leaves the running one alone.
Reply reply_to(const BeginRejected& rejected);

// A management record of a type zfpm does not know: FCGI_UNKNOWN_TYPE (spec 4.2).
Reply reply_to(const UnknownManagement& unknown);

// ABORT_REQUEST for a request that never reached a worker (still arriving, or taken back while
// it waited for one): it ends here, with END_REQUEST, and the connection stays only if the
// request asked for FCGI_KEEP_CONN. A request a worker runs is ended by the worker instead.
Reply reply_to(const Aborted& aborted);

// A request over a limit, once the peer has sent all of it: a CGI response with its status
// (413 Content Too Large, 431 Request Header Fields Too Large) and the reason as text, the reason
// on FCGI_STDERR too (nginx logs it as "FastCGI sent in stderr"), END_REQUEST; the connection stays
// only if the request asked for FCGI_KEEP_CONN.
Reply reply_to(const OverLimit& refused);

}  // namespace zfpm::fcgi
