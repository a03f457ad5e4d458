#include "response_reader.hpp"

#include <algorithm>
#include <cctype>
#include <charconv>

namespace zfpm::load {

namespace {

constexpr std::uint8_t kVersion1 = 1;
constexpr std::uint8_t kEndRequest = 3;
constexpr std::uint8_t kStdout = 6;
constexpr std::uint8_t kStderr = 7;
constexpr std::uint8_t kUnknownType = 11;
constexpr std::size_t kEndRequestBodySize = 8;

bool iequals(std::string_view a, std::string_view b) {
  return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin(), [](char x, char y) {
           return std::tolower(static_cast<unsigned char>(x)) ==
                  std::tolower(static_cast<unsigned char>(y));
         });
}

}  // namespace

ResponseReader::ResponseReader(std::uint16_t request_id, std::size_t keep_stdout_limit,
                               std::size_t skip)
    : request_id_(request_id), keep_limit_(keep_stdout_limit), skip_(skip) {}

void ResponseReader::fail(std::string why) {
  state_ = State::failed;
  error_ = std::move(why);
}

std::size_t ResponseReader::feed(std::string_view bytes) {
  // The previous response's END_REQUEST padding, when it arrived after that response ended.
  std::size_t used = std::min(bytes.size(), skip_);
  skip_ -= used;
  while (state_ == State::reading && used < bytes.size()) {
    std::string_view rest = bytes.substr(used);
    switch (phase_) {
      case Phase::header: {
        std::size_t take = std::min(rest.size(), sizeof header_ - header_fill_);
        std::copy_n(rest.data(), take, header_ + header_fill_);
        header_fill_ += take;
        used += take;
        if (header_fill_ < sizeof header_) break;
        header_fill_ = 0;
        if (header_[0] != kVersion1) {
          fail("record version " + std::to_string(header_[0]));
          break;
        }
        type_ = header_[1];
        auto id = static_cast<std::uint16_t>(header_[2] << 8 | header_[3]);
        content_length_ = static_cast<std::uint16_t>(header_[4] << 8 | header_[5]);
        padding_length_ = header_[6];
        // Management records (id 0) may come unasked only as UNKNOWN_TYPE replies, which we never
        // provoke; anything but our id is a server mixing up connections.
        if (id != request_id_) {
          fail("record for request id " + std::to_string(id));
          break;
        }
        if (type_ != kStdout && type_ != kStderr && type_ != kEndRequest) {
          fail("unexpected record type " + std::to_string(type_) +
               (type_ == kUnknownType ? " (UNKNOWN_TYPE)" : ""));
          break;
        }
        if (type_ == kEndRequest && content_length_ != kEndRequestBodySize) {
          fail("END_REQUEST of length " + std::to_string(content_length_));
          break;
        }
        content_.clear();
        remaining_ = content_length_;
        phase_ = Phase::content;
        if (remaining_ == 0) on_record_content();
        break;
      }
      case Phase::content: {
        std::size_t take = std::min(rest.size(), remaining_);
        std::string_view chunk = rest.substr(0, take);
        if (type_ == kEndRequest) {
          content_.append(chunk);
        } else {
          std::string& sink = type_ == kStdout ? stdout_ : stderr_;
          if (sink.size() < keep_limit_) {
            sink.append(chunk.substr(0, std::min(chunk.size(), keep_limit_ - sink.size())));
          }
          if (type_ == kStdout) stdout_bytes_ += take;
        }
        used += take;
        remaining_ -= take;
        if (remaining_ == 0) on_record_content();
        break;
      }
      case Phase::padding: {
        std::size_t take = std::min(rest.size(), remaining_);
        used += take;
        remaining_ -= take;
        if (remaining_ == 0) phase_ = Phase::header;
        break;
      }
    }
  }
  // END_REQUEST's padding belongs to this response: swallow what of it has arrived.
  if (state_ == State::complete && remaining_ > 0) {
    std::size_t take = std::min(bytes.size() - used, remaining_);
    used += take;
    remaining_ -= take;
  }
  return used;
}

// Called when the current record's content is complete; moves on to its padding (or the next
// header) and, for END_REQUEST, finishes the response.
bool ResponseReader::on_record_content() {
  if (type_ == kEndRequest) {
    auto* b = reinterpret_cast<const unsigned char*>(content_.data());
    app_status_ = std::uint32_t{b[0]} << 24 | std::uint32_t{b[1]} << 16 | std::uint32_t{b[2]} << 8 |
                  std::uint32_t{b[3]};
    protocol_status_ = b[4];
    // The padding after END_REQUEST is not waited for (the answer is complete without it); what
    // has not arrived yet is skipped by the next response on the connection (pending_padding).
    remaining_ = padding_length_;
    state_ = State::complete;
    return false;
  }
  remaining_ = padding_length_;
  phase_ = remaining_ == 0 ? Phase::header : Phase::padding;
  return true;
}

std::optional<int> ResponseReader::http_status() const { return cgi_status(stdout_); }

std::optional<int> cgi_status(std::string_view data) {
  // The header block ends at the first empty line; CGI scripts may end lines with \n alone.
  std::size_t pos = 0;
  while (pos < data.size()) {
    std::size_t eol = data.find('\n', pos);
    if (eol == std::string_view::npos) return std::nullopt;  // block never ended
    std::string_view line = data.substr(pos, eol - pos);
    if (line.ends_with('\r')) line.remove_suffix(1);
    if (line.empty()) return 200;
    pos = eol + 1;
    auto colon = line.find(':');
    if (colon == std::string_view::npos || !iequals(line.substr(0, colon), "status")) continue;
    std::string_view value = line.substr(colon + 1);
    while (value.starts_with(' ') || value.starts_with('\t')) value.remove_prefix(1);
    int status = 0;
    auto [end, ec] = std::from_chars(value.data(), value.data() + value.size(), status);
    if (ec != std::errc{} || status < 100 || status > 999) return std::nullopt;
    (void)end;  // the reason phrase after the code is free text
    return status;
  }
  return std::nullopt;
}

}  // namespace zfpm::load
