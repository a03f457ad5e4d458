#include "zfpm/fcgi/reply.hpp"

#include <string>
#include <utility>
#include <vector>

#include "zfpm/fcgi/encoder.hpp"

namespace zfpm::fcgi {

Reply reply_to(const GetValues& asked, unsigned max_workers) {
  std::vector<std::pair<std::string, std::string>> answer;
  for (const auto& name : asked.names) {
    if (name == "FCGI_MAX_CONNS" || name == "FCGI_MAX_REQS") {
      answer.emplace_back(name, std::to_string(max_workers));
    } else if (name == "FCGI_MPXS_CONNS") {
      answer.emplace_back(name, "0");
    }
  }
  Reply reply;
  append_get_values_result(reply.records, answer);
  return reply;
}

Reply reply_to(const BeginRejected& rejected) {
  Reply reply;
  append_end_request(reply.records, rejected.request_id, 0, rejected.status);
  reply.close_after = rejected.status != ProtocolStatus::CantMpxConn && !rejected.keep_conn;
  return reply;
}

Reply reply_to(const UnknownManagement& unknown) {
  Reply reply;
  append_unknown_type(reply.records, unknown.type);
  return reply;
}

Reply reply_to(const Aborted& aborted) {
  Reply reply;
  append_end_request(reply.records, aborted.request_id, 0, ProtocolStatus::RequestComplete);
  reply.close_after = !aborted.keep_conn;
  return reply;
}

Reply reply_to(const OverLimit& refused) {
  const char* reason =
      refused.http_status == 431 ? "Request Header Fields Too Large" : "Content Too Large";
  const std::string text = "zfpm: request over a limit: " + refused.what;
  Reply reply;
  append_stream(reply.records, RecordType::Stdout, refused.request_id,
                "Status: " + std::to_string(refused.http_status) + " " + reason +
                    "\r\nContent-Type: text/plain\r\n\r\n" + text + "\n");
  append_stream_end(reply.records, RecordType::Stdout, refused.request_id);
  append_stream(reply.records, RecordType::Stderr, refused.request_id, text);
  append_stream_end(reply.records, RecordType::Stderr, refused.request_id);
  append_end_request(reply.records, refused.request_id, 0, ProtocolStatus::RequestComplete);
  reply.close_after = !refused.keep_conn;
  return reply;
}

}  // namespace zfpm::fcgi
