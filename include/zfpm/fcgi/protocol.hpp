#pragma once
// FastCGI 1.0 wire constants (the FastCGI specification, section 8).
#include <cstddef>
#include <cstdint>

namespace zfpm::fcgi {

inline constexpr std::uint8_t kVersion1 = 1;
inline constexpr std::size_t kHeaderSize = 8;
inline constexpr std::size_t kMaxContentLength = 65535;
inline constexpr std::uint16_t kManagementId = 0;
inline constexpr std::uint8_t kKeepConn = 1;  // FCGI_KEEP_CONN in BEGIN_REQUEST flags

enum class RecordType : std::uint8_t {
  BeginRequest = 1,
  AbortRequest = 2,
  EndRequest = 3,
  Params = 4,
  Stdin = 5,
  Stdout = 6,
  Stderr = 7,
  Data = 8,
  GetValues = 9,
  GetValuesResult = 10,
  UnknownType = 11,
};

enum class Role : std::uint16_t { Responder = 1, Authorizer = 2, Filter = 3 };

enum class ProtocolStatus : std::uint8_t {
  RequestComplete = 0,
  CantMpxConn = 1,
  Overloaded = 2,
  UnknownRole = 3,
};

struct RecordHeader {
  std::uint8_t version = kVersion1;
  RecordType type = RecordType::UnknownType;
  std::uint16_t request_id = 0;
  std::uint16_t content_length = 0;
  std::uint8_t padding_length = 0;
};

}  // namespace zfpm::fcgi
