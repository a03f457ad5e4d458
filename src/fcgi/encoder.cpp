#include "zfpm/fcgi/encoder.hpp"

#include <algorithm>

#include "zfpm/fcgi/params.hpp"

namespace zfpm::fcgi {
namespace {

// The largest multiple of 8 that fits in a record: full chunks then need no padding, and every
// record stays aligned as the spec recommends (section 3.3).
constexpr std::size_t kMaxChunk = kMaxContentLength - kMaxContentLength % 8;
static_assert(kMaxChunk == 65528);

constexpr std::size_t padding_for(std::size_t length) { return (8 - length % 8) % 8; }

void append_u16(std::string& out, std::uint16_t value) {
  out.push_back(static_cast<char>(value >> 8));
  out.push_back(static_cast<char>(value & 0xff));
}

void append_u32(std::string& out, std::uint32_t value) {
  append_u16(out, static_cast<std::uint16_t>(value >> 16));
  append_u16(out, static_cast<std::uint16_t>(value & 0xffff));
}

// Appends a record with its padding; content must fit in one record.
void append_record(std::string& out, RecordType type, std::uint16_t request_id,
                   std::string_view content) {
  const std::size_t padding = padding_for(content.size());
  append_header(out, type, request_id, static_cast<std::uint16_t>(content.size()),
                static_cast<std::uint8_t>(padding));
  out.append(content);
  out.append(padding, '\0');
}

}  // namespace

void append_header(std::string& out, RecordType type, std::uint16_t request_id,
                   std::uint16_t content_length, std::uint8_t padding_length) {
  out.push_back(static_cast<char>(kVersion1));
  out.push_back(static_cast<char>(type));
  append_u16(out, request_id);
  append_u16(out, content_length);
  out.push_back(static_cast<char>(padding_length));
  out.push_back('\0');
}

void append_stream(std::string& out, RecordType type, std::uint16_t request_id,
                   std::string_view data) {
  if (data.empty()) return;
  const std::size_t full = data.size() / kMaxChunk;
  const std::size_t tail = data.size() % kMaxChunk;
  std::size_t total = full * (kHeaderSize + kMaxChunk);
  if (tail > 0) total += kHeaderSize + tail + padding_for(tail);
  out.reserve(out.size() + total);
  while (!data.empty()) {
    const std::size_t n = std::min(data.size(), kMaxChunk);
    append_record(out, type, request_id, data.substr(0, n));
    data.remove_prefix(n);
  }
}

void append_stream_end(std::string& out, RecordType type, std::uint16_t request_id) {
  append_header(out, type, request_id, 0, 0);
}

void append_end_request(std::string& out, std::uint16_t request_id, std::uint32_t app_status,
                        ProtocolStatus status) {
  out.reserve(out.size() + kHeaderSize + 8);
  append_header(out, RecordType::EndRequest, request_id, 8, 0);
  append_u32(out, app_status);
  out.push_back(static_cast<char>(status));
  out.append(3, '\0');
}

void append_get_values_result(std::string& out,
                              std::span<const std::pair<std::string, std::string>> values) {
  std::string body;
  for (const auto& [name, value] : values) {
    const std::size_t before = body.size();
    append_name_value(body, name, value);
    // Everything must go in one record; a pair that would overflow it is left out rather than
    // corrupting the length field (our own variables are a few bytes each).
    if (body.size() > kMaxContentLength) {
      body.resize(before);
      break;
    }
  }
  out.reserve(out.size() + kHeaderSize + body.size() + padding_for(body.size()));
  append_record(out, RecordType::GetValuesResult, kManagementId, body);
}

void append_unknown_type(std::string& out, std::uint8_t type) {
  out.reserve(out.size() + kHeaderSize + 8);
  append_header(out, RecordType::UnknownType, kManagementId, 8, 0);
  out.push_back(static_cast<char>(type));
  out.append(7, '\0');
}

void append_begin_request(std::string& out, std::uint16_t request_id, Role role, bool keep_conn) {
  out.reserve(out.size() + kHeaderSize + 8);
  append_header(out, RecordType::BeginRequest, request_id, 8, 0);
  append_u16(out, static_cast<std::uint16_t>(role));
  out.push_back(static_cast<char>(keep_conn ? kKeepConn : 0));
  out.append(5, '\0');
}

}  // namespace zfpm::fcgi
