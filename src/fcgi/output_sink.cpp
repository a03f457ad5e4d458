#include "zfpm/fcgi/output_sink.hpp"

#include <algorithm>

#include "zfpm/fcgi/encoder.hpp"

namespace zfpm::fcgi {

void OutputSink::begin(std::shared_ptr<ResponseChannel> channel, std::uint16_t request_id,
                       bool keep_conn) {
  channel_ = std::move(channel);
  open_type_ = -1;
  request_id_ = request_id;
  keep_conn_ = keep_conn;
  buffer_.clear();
  if (buffer_.capacity() < kHandOffBytes) buffer_.reserve(kHandOffBytes + kHandOffBytes / 4);
}

namespace {

// Record header fields (FastCGI 1.0): content length at bytes 4-5, padding length at byte 6.
constexpr std::size_t kHeader = 8;
constexpr std::size_t kLargestRecord = 65528;  // the largest content that needs no padding

std::size_t content_length(const std::string& buffer, std::size_t at) {
  return (static_cast<unsigned char>(buffer[at + 4]) << 8) |
         static_cast<unsigned char>(buffer[at + 5]);
}

}  // namespace

bool OutputSink::append(int type, std::string_view data) {
  if (aborted()) return false;
  if (data.empty()) return true;  // an empty record would end the stream
  if (data.size() >= kHandOffBytes) return send_through(type, data);
  if (open_type_ == type) {
    // Grow the open record: drop its padding, add what fits, pad again.
    const std::size_t length = content_length(buffer_, open_record_);
    const std::size_t padding = static_cast<unsigned char>(buffer_[open_record_ + 6]);
    const std::size_t take = std::min(data.size(), kLargestRecord - length);
    buffer_.resize(buffer_.size() - padding);
    buffer_.append(data.substr(0, take));
    const std::size_t grown = length + take;
    const std::size_t pad = (8 - grown % 8) % 8;
    buffer_[open_record_ + 4] = static_cast<char>(grown >> 8);
    buffer_[open_record_ + 5] = static_cast<char>(grown & 0xff);
    buffer_[open_record_ + 6] = static_cast<char>(pad);
    buffer_.append(pad, '\0');
    data.remove_prefix(take);
    if (grown == kLargestRecord) open_type_ = -1;
  }
  if (!data.empty()) {
    const std::size_t last = data.size() % kLargestRecord;
    append_stream(buffer_, static_cast<RecordType>(type), request_id_, data);
    // The last record appended may grow with the next write.
    const std::size_t last_length = last == 0 ? kLargestRecord : last;
    open_record_ = buffer_.size() - kHeader - last_length - (8 - last_length % 8) % 8;
    open_type_ = last_length < kLargestRecord ? type : -1;
  }
  if (buffer_.size() >= kHandOffBytes) return flush();
  return true;
}

bool OutputSink::send_through(int type, std::string_view data) {
  open_type_ = -1;  // the buffered record stays as it is; the next ones follow it
  static constexpr char kPadding[8] = {};
  const std::size_t records = (data.size() + kLargestRecord - 1) / kLargestRecord;
  headers_.clear();
  for (std::size_t i = 0; i < records; ++i) {
    const std::size_t length = std::min(kLargestRecord, data.size() - i * kLargestRecord);
    append_header(headers_, static_cast<RecordType>(type), request_id_,
                  static_cast<std::uint16_t>(length),
                  static_cast<std::uint8_t>((8 - length % 8) % 8));
  }
  pieces_.clear();
  if (!buffer_.empty()) pieces_.push_back(buffer_);
  for (std::size_t i = 0; i < records; ++i) {
    const std::string_view content = data.substr(i * kLargestRecord, kLargestRecord);
    pieces_.push_back(std::string_view(headers_).substr(i * kHeader, kHeader));
    pieces_.push_back(content);
    if (const std::size_t pad = (8 - content.size() % 8) % 8) {
      pieces_.push_back(std::string_view(kPadding, pad));
    }
  }
  const bool ok = channel_->send(pieces_);
  buffer_.clear();
  return ok;
}

bool OutputSink::write_stdout(std::string_view data) {
  return append(static_cast<int>(RecordType::Stdout), data);
}

bool OutputSink::write_stderr(std::string_view data) {
  return append(static_cast<int>(RecordType::Stderr), data);
}

bool OutputSink::flush() {
  if (aborted()) return false;
  if (buffer_.empty()) return true;
  const bool ok = channel_->send(buffer_);
  buffer_.clear();
  open_type_ = -1;
  return ok;
}

void OutputSink::end(std::uint32_t app_status) {
  if (!channel_) return;
  open_type_ = -1;
  append_end_request(buffer_, request_id_, app_status, ProtocolStatus::RequestComplete);
  auto channel = std::move(channel_);
  channel->finish(buffer_, keep_conn_);
  buffer_.clear();
  if (buffer_.capacity() > kKeptBytes) buffer_ = std::string();  // after a big unbuffered echo
}

}  // namespace zfpm::fcgi
