#include "zfpm/fcgi/output_sink.hpp"

#include "zfpm/fcgi/encoder.hpp"

namespace zfpm::fcgi {

void OutputSink::begin(std::shared_ptr<ResponseChannel> channel, std::uint16_t request_id,
                       bool keep_conn) {
  channel_ = std::move(channel);
  request_id_ = request_id;
  keep_conn_ = keep_conn;
  buffer_.clear();
  if (buffer_.capacity() < kHandOffBytes) buffer_.reserve(kHandOffBytes + kHandOffBytes / 4);
}

bool OutputSink::append(int type, std::string_view data) {
  if (aborted()) return false;
  append_stream(buffer_, static_cast<RecordType>(type), request_id_, data);
  if (buffer_.size() >= kHandOffBytes) return flush();
  return true;
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
  return ok;
}

void OutputSink::end(std::uint32_t app_status) {
  if (!channel_) return;
  append_end_request(buffer_, request_id_, app_status, ProtocolStatus::RequestComplete);
  auto channel = std::move(channel_);
  channel->finish(buffer_, keep_conn_);
  buffer_.clear();
  if (buffer_.capacity() > kKeptBytes) buffer_ = std::string();  // after a big unbuffered echo
}

}  // namespace zfpm::fcgi
