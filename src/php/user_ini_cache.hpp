#pragma once
// The parsed .user.ini settings of each script directory, kept for user_ini.cache_ttl seconds
// (fpm_main.c: php_cgi_ini_activate_user_config). php-fpm keeps one cache per child; zfpm's
// worker threads share one, behind a mutex. Entries are immutable once stored, so a request keeps
// reading the settings it got while another thread replaces them. Pure: no PHP, no I/O.
#include <cstddef>
#include <ctime>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <unordered_map>
#include <utility>
#include <vector>

namespace zfpm::php {

// name = value pairs in the order they are applied (a later one for the same name wins).
using UserIniSettings = std::vector<std::pair<std::string, std::string>>;

class UserIniCache {
 public:
  // Bounds the memory a stream of requests for made-up directories can take: when full, expired
  // entries go first, then all of them.
  explicit UserIniCache(std::size_t max_entries = 4096) : max_entries_(max_entries) {}

  // The settings for `directory` unless they expired: php-fpm rescans when `now > expires`.
  std::shared_ptr<const UserIniSettings> find(std::string_view directory, std::time_t now) const;

  // Stores settings scanned at `now`, valid for `ttl` seconds; returns what was stored.
  std::shared_ptr<const UserIniSettings> store(std::string_view directory, std::time_t now,
                                               std::time_t ttl, UserIniSettings settings);

  std::size_t size() const;

 private:
  struct Entry {
    std::time_t expires = 0;
    std::shared_ptr<const UserIniSettings> settings;
  };
  std::size_t max_entries_;
  mutable std::mutex mutex_;
  std::unordered_map<std::string, Entry> entries_;
};

}  // namespace zfpm::php
