#pragma once
// A request's STDIN stream as the front end received it. Small bodies stay in memory; once a body
// passes its memory threshold, all of it moves to a spool (in zfpm an unlinked temp file, see
// net/body_spool.hpp), so a large upload costs disk, not memory, and a slow upload never holds a
// PHP worker: the worker gets the body whole. Pure: what a spool is belongs to whoever makes it.
#include <cstddef>
#include <cstdint>
#include <functional>
#include <limits>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>

namespace zfpm::fcgi {

class BodySpool {
 public:
  virtual ~BodySpool() = default;
  // Appends at the end; false, with *error set, when the storage fails (disk full, I/O error).
  virtual bool append(std::span<const char> bytes, std::string* error) = 0;
  // Copies up to out.size() bytes from offset; returns how many (0 at the end or on error).
  // Called only once writing is over, possibly from another thread.
  virtual std::size_t read(std::uint64_t offset, std::span<char> out) const = 0;
};

// Makes an empty spool, or returns null with *error set.
using SpoolFactory = std::function<std::unique_ptr<BodySpool>(std::string* error)>;

// Where a body may grow: in memory up to memory_limit bytes, then in a spool from the factory.
// Without a factory the body stays in memory whatever its size (the parser's max_body_bytes still
// bounds it).
struct BodyStorage {
  std::size_t memory_limit = std::numeric_limits<std::size_t>::max();
  SpoolFactory spool_factory;
};

class Body {
 public:
  Body() = default;
  Body(Body&&) noexcept = default;
  Body& operator=(Body&&) noexcept = default;

  // Appends; moves to a spool when the memory limit would be passed. False, with *error set,
  // when spooling fails; the body is then incomplete and must not be used.
  bool append(std::span<const char> bytes, const BodyStorage& storage, std::string* error);

  // Makes room for the size the request announced (CONTENT_LENGTH) when it is within the memory
  // limit, so the body grows by one allocation instead of a doubling series of copies.
  void reserve(std::uint64_t expected, const BodyStorage& storage);

  std::uint64_t size() const { return size_; }
  bool empty() const { return size_ == 0; }
  bool spooled() const { return spool_ != nullptr; }

  // Copies up to out.size() bytes from offset; returns how many (0 at the end).
  std::size_t read(std::uint64_t offset, std::span<char> out) const;

  // The whole body when it is held in memory (not spooled); valid until the body changes.
  std::optional<std::string_view> in_memory() const {
    if (spool_) return std::nullopt;
    return std::string_view(memory_);
  }

  // All of it in one string: for tests and small bodies only.
  std::string to_string() const;
  friend bool operator==(const Body& body, std::string_view text) {
    return body.size() == text.size() && body.to_string() == text;
  }

 private:
  std::string memory_;
  std::unique_ptr<BodySpool> spool_;
  std::uint64_t size_ = 0;
};

}  // namespace zfpm::fcgi
