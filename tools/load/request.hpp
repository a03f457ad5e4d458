#pragma once
// The bytes of one FastCGI request, built once and sent by every connection as they are: request
// id 1 (one request at a time per connection), BEGIN_REQUEST, PARAMS, STDIN, each stream closed by
// its empty record.
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "options.hpp"

namespace zfpm::load {

struct RequestBytes {
  std::string wire;
  std::vector<std::pair<std::string, std::string>> params;  // as sent, for --once diagnostics
};

// Reads --body FILE if given; nullopt with *error set when the file cannot be read.
std::optional<RequestBytes> build_request(const Options& options, std::string* error);

}  // namespace zfpm::load
