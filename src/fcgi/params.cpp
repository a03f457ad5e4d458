#include "zfpm/fcgi/params.hpp"

#include <cstdint>
#include <cstring>
#include <limits>
#include <stdexcept>
#include <utility>

namespace zfpm::fcgi {
namespace {

constexpr std::size_t kMaxOneByteLength = 0x7f;
constexpr std::uint32_t kFourByteFlag = 0x80000000u;

// Reads one length at raw[pos]: a byte below 0x80 is the length itself; otherwise it starts a
// 4-byte big-endian length whose high bit is only the marker (spec section 3.4).
bool read_length(std::string_view raw, std::size_t& pos, std::uint32_t& length) {
  if (pos >= raw.size()) return false;
  const auto first = static_cast<unsigned char>(raw[pos]);
  if ((first & 0x80) == 0) {
    length = first;
    pos += 1;
    return true;
  }
  if (raw.size() - pos < 4) return false;
  std::uint32_t value = 0;
  for (std::size_t i = 0; i < 4; ++i) {
    value = (value << 8) | static_cast<unsigned char>(raw[pos + i]);
  }
  length = value & ~kFourByteFlag;
  pos += 4;
  return true;
}

void append_length(std::string& out, std::size_t length) {
  if (length <= kMaxOneByteLength) {
    out.push_back(static_cast<char>(length));
    return;
  }
  if (length > 0x7fffffffu) throw std::length_error("FastCGI name or value longer than 2^31-1");
  const auto value = static_cast<std::uint32_t>(length) | kFourByteFlag;
  out.push_back(static_cast<char>(value >> 24));
  out.push_back(static_cast<char>((value >> 16) & 0xff));
  out.push_back(static_cast<char>((value >> 8) & 0xff));
  out.push_back(static_cast<char>(value & 0xff));
}

}  // namespace

std::optional<Params> Params::decode(std::string raw, const ParamLimits& limits, std::string* error,
                                     bool* over_limit) {
  const auto set_error = [error](std::string what) {
    if (error != nullptr) *error = std::move(what);
  };
  const auto set_limit_error = [&](std::string what) {
    if (over_limit != nullptr) *over_limit = true;
    set_error(std::move(what));
  };
  // Entries hold 32-bit offsets; the parser's max_params_bytes keeps real streams far below this.
  if (raw.size() > std::numeric_limits<std::uint32_t>::max()) {
    set_error("params stream larger than 4 GiB");
    return std::nullopt;
  }

  // Decoded in place: each pair's name and value move left over its length bytes and each gets a
  // NUL after it, so PHP can borrow them as C strings. Every pair has at least two length bytes,
  // so the write position never passes the read position and the buffer never grows.
  Params params;
  const std::string_view view = raw;
  std::size_t pos = 0;
  std::size_t out = 0;
  while (pos < view.size()) {
    if (params.entries_.size() >= limits.max_count) {
      set_limit_error("too many params (limit " + std::to_string(limits.max_count) + ")");
      return std::nullopt;
    }
    std::uint32_t name_length = 0;
    std::uint32_t value_length = 0;
    if (!read_length(view, pos, name_length) || !read_length(view, pos, value_length)) {
      set_error("name-value pair runs past the end of the stream");
      return std::nullopt;
    }
    if (name_length > limits.max_name_length) {
      set_limit_error("param name longer than " + std::to_string(limits.max_name_length) +
                      " bytes");
      return std::nullopt;
    }
    if (value_length > limits.max_value_length) {
      set_limit_error("param value longer than " + std::to_string(limits.max_value_length) +
                      " bytes");
      return std::nullopt;
    }
    // Compared as a remainder so that a huge length cannot overflow pos.
    const std::size_t left = view.size() - pos;
    if (name_length > left || value_length > left - name_length) {
      set_error("name-value pair runs past the end of the stream");
      return std::nullopt;
    }
    const auto name_offset = static_cast<std::uint32_t>(out);
    std::memmove(raw.data() + out, raw.data() + pos, name_length);
    out += name_length;
    raw[out++] = '\0';
    const auto value_offset = static_cast<std::uint32_t>(out);
    std::memmove(raw.data() + out, raw.data() + pos + name_length, value_length);
    out += value_length;
    raw[out++] = '\0';
    params.entries_.push_back(Entry{name_offset, name_length, value_offset, value_length});
    pos += std::size_t{name_length} + value_length;
  }
  raw.resize(out);
  params.raw_ = std::move(raw);
  return params;
}

Params::Pair Params::operator[](std::size_t i) const {
  const Entry& e = entries_.at(i);
  const std::string_view raw = raw_;
  return Pair{raw.substr(e.name_offset, e.name_length), raw.substr(e.value_offset, e.value_length)};
}

std::optional<std::string_view> Params::find(std::string_view name) const {
  const std::string_view raw = raw_;
  for (auto it = entries_.rbegin(); it != entries_.rend(); ++it) {
    if (raw.substr(it->name_offset, it->name_length) == name) {
      return raw.substr(it->value_offset, it->value_length);
    }
  }
  return std::nullopt;
}

void Params::add(std::string_view name, std::string_view value) {
  const std::size_t limit = std::numeric_limits<std::uint32_t>::max();
  if (name.size() > limit - 2 || value.size() > limit - 2 - name.size() ||
      raw_.size() > limit - 2 - name.size() - value.size()) {
    throw std::length_error("Params larger than 4 GiB");
  }
  const auto name_offset = static_cast<std::uint32_t>(raw_.size());
  raw_.append(name).push_back('\0');
  const auto value_offset = static_cast<std::uint32_t>(raw_.size());
  raw_.append(value).push_back('\0');
  entries_.push_back(Entry{name_offset, static_cast<std::uint32_t>(name.size()), value_offset,
                           static_cast<std::uint32_t>(value.size())});
}

void append_name_value(std::string& out, std::string_view name, std::string_view value) {
  append_length(out, name.size());
  append_length(out, value.size());
  out.append(name);
  out.append(value);
}

}  // namespace zfpm::fcgi
