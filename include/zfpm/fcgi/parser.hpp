#pragma once
// The FastCGI record parser: a pure state machine, bytes in, events out. It never touches a socket,
// so it is unit tested and fuzzed on bytes. Records may be split at any byte across feed() calls
// and many may arrive in one call.
#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <variant>
#include <vector>

#include "zfpm/fcgi/body.hpp"
#include "zfpm/fcgi/params.hpp"
#include "zfpm/fcgi/protocol.hpp"
#include "zfpm/fcgi/request.hpp"

namespace zfpm::fcgi {

struct ParserLimits {
  std::size_t max_params_bytes = 1 << 20;                 // whole PARAMS stream of one request
  std::uint64_t max_body_bytes = std::uint64_t{1} << 30;  // whole STDIN stream (1 GiB)
  std::size_t body_memory_bytes = 1 << 20;                // kept in memory; beyond it, spooled
  ParamLimits params;
};

// PARAMS and STDIN both ended: the request can run.
struct RequestReady {
  Request request;
};
// BEGIN_REQUEST that will not be served: answer END_REQUEST with this status and go on.
// UnknownRole for AUTHORIZER/FILTER/unknown roles; CantMpxConn for a second request while one is
// open on this connection.
struct BeginRejected {
  std::uint16_t request_id;
  ProtocolStatus status;
  // The rejected BEGIN_REQUEST's FCGI_KEEP_CONN: without it the connection closes after the
  // END_REQUEST (spec 5.1). Meaningless for CantMpxConn, where the open request decides.
  bool keep_conn = false;
};
// FCGI_GET_VALUES on the management id: the variable names asked for.
struct GetValues {
  std::vector<std::string> names;
};
// A management record (id 0) of a type we do not know: answer FCGI_UNKNOWN_TYPE.
struct UnknownManagement {
  std::uint8_t type;
};
// ABORT_REQUEST for the open request.
struct Aborted {
  std::uint16_t request_id;
  bool running = false;    // already handed out by RequestReady; else it never runs
  bool keep_conn = false;  // the aborted request's FCGI_KEEP_CONN
};
// A request over a configured limit (params size, count or lengths: HTTP 431; body size: 413).
// The parser drops the rest of its records as they come, and reports it once both of its streams
// have ended, so that the answer (reply_to) reaches a peer that has sent all it had; the
// connection then goes on as after any request.
struct OverLimit {
  std::uint16_t request_id;
  bool keep_conn = false;
  int http_status = 413;
  std::string what;
};
// The request cannot go on; the parser stays failed and the connection must be closed.
struct ProtocolError {
  enum class Kind {
    Malformed,  // the peer broke the protocol
    Limit,      // a management record over a limit (a request's own limits are OverLimit)
    Storage,    // the body could not be spooled (disk full): our failure, not the peer's
  };
  std::string what;
  Kind kind = Kind::Malformed;
};

using Event = std::variant<RequestReady, BeginRejected, GetValues, UnknownManagement, Aborted,
                           OverLimit, ProtocolError>;

class Parser {
 public:
  // Without a spool factory, bodies stay in memory up to max_body_bytes.
  explicit Parser(ParserLimits limits = {}, SpoolFactory spool_factory = {});

  // Consumes all of bytes, appending events in order. After a ProtocolError, further input is
  // ignored. After Aborted for a request still receiving, no RequestReady follows for it: the
  // owner answers END_REQUEST and calls request_finished().
  void feed(std::span<const char> bytes, std::vector<Event>& events);

  // The request handed out by RequestReady has ended (END_REQUEST sent): a new BEGIN_REQUEST is
  // accepted again. Until then a BEGIN_REQUEST is rejected with CantMpxConn and an ABORT_REQUEST
  // for that id is still reported.
  void request_finished();

  bool failed() const { return state_ == State::Failed; }
  // True between BEGIN_REQUEST and the end of STDIN: a partial request is pending (slow client).
  bool mid_request() const { return phase_ == Phase::Receiving; }
  // True when no record and no request is partly received: the connection is idle.
  bool between_requests() const {
    return phase_ == Phase::Idle && at_record_boundary();
  }
  // True when no record is partly received (the bytes fed so far end where a record ends).
  bool at_record_boundary() const { return state_ == State::Header && header_filled_ == 0; }

 private:
  enum class State { Header, Content, Padding, Failed };
  enum class Phase { Idle, Receiving, Running };
  // Where the current record's content goes: stream data for the open request is appended
  // straight to its destination so a large body is copied once, not twice.
  enum class Sink { Content, ParamsRaw, Body, Discard };

  void on_header(std::vector<Event>& events);
  Sink choose_sink(std::vector<Event>& events);
  void end_content(std::vector<Event>& events);
  void on_record(std::vector<Event>& events);
  void on_begin(std::vector<Event>& events);
  void on_management(std::vector<Event>& events);
  void on_stream(std::vector<Event>& events);
  void on_abort(std::vector<Event>& events);
  void maybe_ready(std::vector<Event>& events);
  void fail(std::vector<Event>& events, std::string what,
            ProtocolError::Kind kind = ProtocolError::Kind::Malformed);
  // The open request is over a limit: what it buffered goes, its later records are dropped.
  void refuse(int http_status, std::string what);
  void append_body(std::span<const char> bytes, std::vector<Event>& events);
  std::string& sink();

  ParserLimits limits_;
  BodyStorage body_storage_;
  State state_ = State::Header;
  Phase phase_ = Phase::Idle;

  // Current record.
  char header_bytes_[kHeaderSize] = {};
  std::size_t header_filled_ = 0;
  RecordHeader header_;
  std::string content_;
  Sink sink_ = Sink::Content;
  std::size_t content_left_ = 0;
  std::size_t padding_left_ = 0;

  // Current request.
  Request request_;
  std::string params_raw_;
  bool params_done_ = false;
  bool stdin_done_ = false;
  std::optional<OverLimit> over_limit_;  // refused: its records are dropped until both streams end
};

}  // namespace zfpm::fcgi
