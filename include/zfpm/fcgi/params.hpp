#pragma once
// FastCGI name-value pairs (PARAMS stream, GET_VALUES): 1-byte lengths below 128, 4-byte lengths
// with the high bit set otherwise. Params decodes the stream in place into "name\0value\0" pairs
// and indexes them by offset: a request's params cost one buffer, no larger than the stream;
// moving them never invalidates anything; and every name and value is a C string (the view's
// data()[size()] is '\0'), which PHP borrows for the request's life.
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace zfpm::fcgi {

struct ParamLimits {
  std::size_t max_count = 1000;            // pairs in one request
  std::size_t max_name_length = 4096;      // bytes in one name
  std::size_t max_value_length = 1 << 20;  // bytes in one value
};

class Params {
 public:
  struct Pair {
    std::string_view name;
    std::string_view value;
  };

  // Takes ownership of a complete PARAMS stream and indexes it. On malformed input (a length
  // running past the end, a limit exceeded) returns nullopt and sets *error to a short reason,
  // and *over_limit to whether a limit (rather than the encoding) was the problem.
  static std::optional<Params> decode(std::string raw, const ParamLimits& limits,
                                      std::string* error, bool* over_limit = nullptr);

  std::size_t size() const { return entries_.size(); }
  bool empty() const { return entries_.empty(); }
  Pair operator[](std::size_t i) const;  // arrival order

  // Value of the last pair with this name (a later duplicate wins, as in php-fpm's hash), or
  // nullopt when absent.
  std::optional<std::string_view> find(std::string_view name) const;

  // Adds a pair after decoding (e.g. a computed SCRIPT_FILENAME); it becomes the newest pair.
  void add(std::string_view name, std::string_view value);

 private:
  struct Entry {
    std::uint32_t name_offset, name_length, value_offset, value_length;
  };
  std::string raw_;
  std::vector<Entry> entries_;
};

// Appends one name-value pair in wire form.
void append_name_value(std::string& out, std::string_view name, std::string_view value);

}  // namespace zfpm::fcgi
