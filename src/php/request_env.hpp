#pragma once
// A request's FastCGI environment as php-fpm keeps it (main/fastcgi.c: fcgi_hash): FCGI_ROLE
// first, then the params in arrival order; a repeated name replaces the value where the name
// first appeared; a removed name disappears, and setting it again appends it anew. Iteration is
// newest first, which is the order of the params in $_SERVER. init_request_info rewrites it
// (SCRIPT_NAME, PATH_INFO, ORIG_*), and $_SERVER, getenv() and getallheaders() read it.
//
// Values are C strings that stay valid for the env's whole life (PHP borrows them as
// SG(request_info) fields): decoded values point into the request's Params, values set later
// live in the env and are never freed before it. Pure: no PHP, no I/O.
#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "zfpm/fcgi/params.hpp"
#include "zfpm/fcgi/protocol.hpp"

namespace zfpm::php {

class RequestEnv {
 public:
  struct Entry {
    std::string_view name;
    std::string_view value;  // value.data() is NUL-terminated
  };

  RequestEnv() = default;
  // FCGI_ROLE (fastcgi.c: fcgi_read_request sets it before the params), then every param.
  RequestEnv(const fcgi::Params& params, fcgi::Role role);
  // Moving keeps every C string valid (owned buffers and borrowed params do not move).
  RequestEnv(RequestEnv&&) = default;
  RequestEnv& operator=(RequestEnv&&) = default;

  // The value, or nullptr when absent or removed.
  const char* get(std::string_view name) const;
  // Replaces (in place) or appends; returns the stored C string.
  const char* set(std::string_view name, std::string_view value);
  // fpm's FCGI_PUTENV(name, NULL).
  void remove(std::string_view name);

  // Live entries, newest first.
  template <typename F>
  void for_each(F&& visit) const {
    for (std::size_t i = entries_.size(); i-- > 0;) {
      if (entries_[i].live) visit(Entry{entries_[i].name, entries_[i].value});
    }
  }

 private:
  struct Slot {
    std::string_view name;
    std::string_view value;
    bool live = true;
  };
  std::string_view keep(std::string_view text);
  // The table's position for name: its newest slot's (index + 1), or an empty position (0).
  std::uint32_t& position(std::string_view name);
  void grow();

  std::vector<Slot> entries_;  // insertion order
  // Open addressing over entries_, a power of two at most half full; a name keeps its position
  // when removed (the slot goes dead), and a later set points it at the new slot. One flat
  // allocation per request instead of one node per param.
  std::vector<std::uint32_t> table_;
  std::vector<std::unique_ptr<char[]>> owned_;  // names and values set after decoding
};

}  // namespace zfpm::php
