#include "zfpm/fcgi/parser.hpp"

#include <algorithm>
#include <charconv>
#include <cstring>
#include <utility>

namespace zfpm::fcgi {
namespace {

std::uint16_t read_u16(const char* p) {
  return static_cast<std::uint16_t>((static_cast<unsigned char>(p[0]) << 8) |
                                    static_cast<unsigned char>(p[1]));
}

constexpr std::size_t kBeginBodySize = 8;

// Written so that it cannot overflow, whatever the configured limit.
bool exceeds(std::uint64_t have, std::uint64_t more, std::uint64_t limit) {
  return more > limit || have > limit - more;
}

}  // namespace

Parser::Parser(ParserLimits limits, SpoolFactory spool_factory)
    : limits_(limits), body_storage_{limits.body_memory_bytes, std::move(spool_factory)} {}

void Parser::feed(std::span<const char> bytes, std::vector<Event>& events) {
  std::size_t pos = 0;
  while (pos < bytes.size()) {
    const std::size_t available = bytes.size() - pos;
    switch (state_) {
      case State::Header: {
        const std::size_t n = std::min(kHeaderSize - header_filled_, available);
        std::memcpy(header_bytes_ + header_filled_, bytes.data() + pos, n);
        header_filled_ += n;
        pos += n;
        if (header_filled_ == kHeaderSize) {
          header_filled_ = 0;
          on_header(events);
        }
        break;
      }
      case State::Content: {
        const std::size_t n = std::min(content_left_, available);
        if (sink_ == Sink::Body) {
          append_body(bytes.subspan(pos, n), events);
          if (state_ == State::Failed) return;
        } else if (sink_ != Sink::Discard) {
          sink().append(bytes.data() + pos, n);
        }
        content_left_ -= n;
        pos += n;
        if (content_left_ == 0) end_content(events);
        break;
      }
      case State::Padding: {
        const std::size_t n = std::min(padding_left_, available);
        padding_left_ -= n;
        pos += n;
        if (padding_left_ == 0) state_ = State::Header;
        break;
      }
      case State::Failed:
        return;
    }
  }
}

void Parser::request_finished() {
  phase_ = Phase::Idle;
  over_limit_.reset();
  request_ = Request{};
  params_raw_.clear();
  params_done_ = false;
  stdin_done_ = false;
}

void Parser::on_header(std::vector<Event>& events) {
  const char* h = header_bytes_;
  header_.version = static_cast<std::uint8_t>(h[0]);
  header_.type = static_cast<RecordType>(static_cast<std::uint8_t>(h[1]));
  header_.request_id = read_u16(h + 2);
  header_.content_length = read_u16(h + 4);
  header_.padding_length = static_cast<std::uint8_t>(h[6]);
  // h[7] is reserved; nginx sends 0 but the spec gives it no meaning, so it is not checked.

  if (header_.version != kVersion1) {
    fail(events, "unsupported FastCGI version " + std::to_string(header_.version));
    return;
  }
  content_left_ = header_.content_length;
  padding_left_ = header_.padding_length;
  sink_ = choose_sink(events);
  if (state_ == State::Failed) return;
  if (sink_ == Sink::Content) {
    content_.clear();
    content_.reserve(header_.content_length);
  }
  if (content_left_ == 0) {
    end_content(events);
  } else {
    state_ = State::Content;
  }
}

// Decides, before any content arrives, what the record's bytes are for, so that length errors are
// reported at the header and ignored records are never buffered.
Parser::Sink Parser::choose_sink(std::vector<Event>& events) {
  const std::size_t length = header_.content_length;
  if (header_.request_id == kManagementId) {
    return header_.type == RecordType::GetValues ? Sink::Content : Sink::Discard;
  }
  const bool open = phase_ == Phase::Receiving && header_.request_id == request_.id;
  switch (header_.type) {
    case RecordType::BeginRequest:
      if (length != kBeginBodySize) {
        fail(events, "BEGIN_REQUEST content is " + std::to_string(length) + " bytes, expected 8");
      }
      return Sink::Content;
    case RecordType::Params:
      if (!open || params_done_ || length == 0 || over_limit_) return Sink::Discard;
      if (exceeds(params_raw_.size(), length, limits_.max_params_bytes)) {
        refuse(431, "PARAMS stream larger than max_params_bytes (" +
                        std::to_string(limits_.max_params_bytes) + " bytes)");
        return Sink::Discard;
      }
      return Sink::ParamsRaw;
    case RecordType::Stdin:
      if (!open || stdin_done_ || length == 0 || over_limit_) return Sink::Discard;
      if (exceeds(request_.body.size(), length, limits_.max_body_bytes)) {
        refuse(413, "STDIN stream larger than max_body_bytes (" +
                        std::to_string(limits_.max_body_bytes) + " bytes)");
        return Sink::Discard;
      }
      return Sink::Body;
    default:
      // ABORT_REQUEST needs no content; DATA (FILTER only), server-to-client types and unknown
      // types on a request id are ignored like records for inactive requests.
      return Sink::Discard;
  }
}

void Parser::end_content(std::vector<Event>& events) {
  // The next state is set first: on_record may fail, and Failed must stick.
  state_ = padding_left_ > 0 ? State::Padding : State::Header;
  on_record(events);
}

std::string& Parser::sink() {
  switch (sink_) {
    case Sink::ParamsRaw:
      return params_raw_;
    case Sink::Body:  // appended by append_body
    case Sink::Content:
    case Sink::Discard:
      break;
  }
  return content_;
}

void Parser::on_record(std::vector<Event>& events) {
  if (header_.request_id == kManagementId) {
    on_management(events);
    return;
  }
  switch (header_.type) {
    case RecordType::BeginRequest:
      on_begin(events);
      break;
    case RecordType::AbortRequest:
      on_abort(events);
      break;
    case RecordType::Params:
    case RecordType::Stdin:
      on_stream(events);
      break;
    default:
      break;
  }
}

void Parser::on_management(std::vector<Event>& events) {
  if (header_.type != RecordType::GetValues) {
    events.emplace_back(UnknownManagement{static_cast<std::uint8_t>(header_.type)});
    return;
  }
  std::string error;
  bool over_limit = false;
  auto pairs = Params::decode(std::move(content_), limits_.params, &error, &over_limit);
  content_.clear();  // moved-from: give it a known state for the next record
  if (!pairs) {
    fail(events, "malformed GET_VALUES: " + error,
         over_limit ? ProtocolError::Kind::Limit : ProtocolError::Kind::Malformed);
    return;
  }
  GetValues query;
  query.names.reserve(pairs->size());
  for (std::size_t i = 0; i < pairs->size(); ++i) {
    query.names.emplace_back((*pairs)[i].name);
  }
  events.emplace_back(std::move(query));
}

void Parser::on_begin(std::vector<Event>& events) {
  const std::uint16_t id = header_.request_id;
  const std::uint16_t role = read_u16(content_.data());
  const bool keep_conn = (static_cast<std::uint8_t>(content_[2]) & kKeepConn) != 0;
  if (phase_ != Phase::Idle) {
    // One request per connection, as php-fpm (FCGI_MPXS_CONNS is 0); the open one is untouched.
    events.emplace_back(BeginRejected{id, ProtocolStatus::CantMpxConn, keep_conn});
    return;
  }
  if (role != static_cast<std::uint16_t>(Role::Responder)) {
    events.emplace_back(BeginRejected{id, ProtocolStatus::UnknownRole, keep_conn});
    return;
  }
  // Everything is reset here, not only in request_finished(): a record that was streaming into
  // the old request when it was finished may have appended to it since.
  request_ = Request{};
  request_.id = id;
  request_.role = Role::Responder;
  request_.keep_conn = keep_conn;
  params_raw_.clear();
  params_done_ = false;
  stdin_done_ = false;
  over_limit_.reset();
  phase_ = Phase::Receiving;
}

void Parser::on_abort(std::vector<Event>& events) {
  if (phase_ == Phase::Idle || header_.request_id != request_.id) return;
  events.emplace_back(Aborted{request_.id, phase_ == Phase::Running, request_.keep_conn});
  if (phase_ == Phase::Receiving) {
    // The request will never run: drop what was buffered and let no RequestReady follow.
    const std::uint16_t id = request_.id;
    request_ = Request{};
    request_.id = id;
    params_raw_.clear();
    over_limit_.reset();
    phase_ = Phase::Running;
  }
}

void Parser::on_stream(std::vector<Event>& events) {
  if (phase_ != Phase::Receiving || header_.request_id != request_.id) return;
  // Non-empty records were already appended by feed(); only the end of a stream matters here.
  if (header_.content_length != 0) return;
  if (header_.type == RecordType::Params) {
    if (params_done_) return;
    params_done_ = true;
    if (!over_limit_) {
      std::string error;
      bool over_limit = false;
      auto params = Params::decode(std::move(params_raw_), limits_.params, &error, &over_limit);
      params_raw_.clear();
      if (params) {
        request_.params = std::move(*params);
      } else if (over_limit) {
        refuse(431, error);
      } else {
        fail(events, "malformed params: " + error);
        return;
      }
    }
  } else {
    if (stdin_done_) return;
    stdin_done_ = true;
  }
  maybe_ready(events);
}

void Parser::maybe_ready(std::vector<Event>& events) {
  if (!params_done_ || !stdin_done_) return;
  const std::uint16_t id = request_.id;
  if (over_limit_) {
    events.emplace_back(std::move(*over_limit_));
    over_limit_.reset();
  } else {
    events.emplace_back(RequestReady{std::move(request_)});
  }
  // Keep the id: ABORT_REQUEST for a running request is still reported.
  request_ = Request{};
  request_.id = id;
  phase_ = Phase::Running;
}

void Parser::refuse(int http_status, std::string what) {
  over_limit_ = OverLimit{request_.id, request_.keep_conn, http_status, std::move(what)};
  // What it holds goes now (a spooled body's file with it); the id and FCGI_KEEP_CONN stay.
  const std::uint16_t id = request_.id;
  const bool keep_conn = request_.keep_conn;
  request_ = Request{};
  request_.id = id;
  request_.keep_conn = keep_conn;
  params_raw_.clear();
  params_raw_.shrink_to_fit();
}

void Parser::append_body(std::span<const char> bytes, std::vector<Event>& events) {
  if (request_.body.empty()) {
    // The first STDIN bytes: the size the web server announced, when it did (a client that
    // announces a body and sends none costs nothing).
    const auto announced = request_.params.find("CONTENT_LENGTH");
    std::uint64_t expected = 0;
    if (announced &&
        std::from_chars(announced->data(), announced->data() + announced->size(), expected).ec ==
            std::errc{}) {
      request_.body.reserve(std::min(expected, limits_.max_body_bytes), body_storage_);
    }
  }
  std::string error;
  if (!request_.body.append(bytes, body_storage_, &error)) {
    fail(events, error, ProtocolError::Kind::Storage);
  }
}

void Parser::fail(std::vector<Event>& events, std::string what, ProtocolError::Kind kind) {
  state_ = State::Failed;
  events.emplace_back(ProtocolError{std::move(what), kind});
}

}  // namespace zfpm::fcgi
