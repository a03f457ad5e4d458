#pragma once
// Builds FastCGI records. Stream data is cut into records of at most 65528 content bytes (the
// largest multiple of 8 under 65535), each padded to a multiple of 8; an empty input appends
// nothing (php-fpm sends no zero-length stream record before END_REQUEST, and neither do we).
// append_get_values_result leaves out pairs that would not fit in its single record.
#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <utility>

#include "zfpm/fcgi/protocol.hpp"

namespace zfpm::fcgi {

// Appends an 8-byte record header; the caller appends content_length bytes and the padding.
void append_header(std::string& out, RecordType type, std::uint16_t request_id,
                   std::uint16_t content_length, std::uint8_t padding_length);

// STDOUT / STDERR (or, for clients, PARAMS / STDIN) data as records.
void append_stream(std::string& out, RecordType type, std::uint16_t request_id,
                   std::string_view data);

// The zero-length record that closes a stream (clients close PARAMS and STDIN with it).
void append_stream_end(std::string& out, RecordType type, std::uint16_t request_id);

void append_end_request(std::string& out, std::uint16_t request_id, std::uint32_t app_status,
                        ProtocolStatus status);

void append_get_values_result(std::string& out,
                              std::span<const std::pair<std::string, std::string>> values);

void append_unknown_type(std::string& out, std::uint8_t type);

// Client side, for tests and the load generator.
void append_begin_request(std::string& out, std::uint16_t request_id, Role role, bool keep_conn);

}  // namespace zfpm::fcgi
