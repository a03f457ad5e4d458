#include "user_ini_cache.hpp"

namespace zfpm::php {

std::shared_ptr<const UserIniSettings> UserIniCache::find(std::string_view directory,
                                                          std::time_t now) const {
  std::lock_guard lock(mutex_);
  auto it = entries_.find(std::string(directory));
  if (it == entries_.end() || now > it->second.expires) return nullptr;
  return it->second.settings;
}

std::shared_ptr<const UserIniSettings> UserIniCache::store(std::string_view directory,
                                                           std::time_t now, std::time_t ttl,
                                                           UserIniSettings settings) {
  auto stored = std::make_shared<const UserIniSettings>(std::move(settings));
  std::string key(directory);
  std::lock_guard lock(mutex_);
  if (entries_.size() >= max_entries_ && !entries_.contains(key)) {
    std::erase_if(entries_, [now](const auto& item) { return now > item.second.expires; });
    if (entries_.size() >= max_entries_) entries_.clear();
  }
  entries_[std::move(key)] = Entry{now + ttl, stored};
  return stored;
}

std::size_t UserIniCache::size() const {
  std::lock_guard lock(mutex_);
  return entries_.size();
}

}  // namespace zfpm::php
