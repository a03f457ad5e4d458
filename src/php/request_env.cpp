#include "request_env.hpp"

#include <cstring>

namespace zfpm::php {
namespace {

std::string_view role_name(fcgi::Role role) {
  switch (role) {
    case fcgi::Role::Authorizer:
      return "AUTHORIZER";
    case fcgi::Role::Filter:
      return "FILTER";
    case fcgi::Role::Responder:
      break;
  }
  return "RESPONDER";
}

// Names are short, header-like and share prefixes ("HTTP_", "REQUEST_"): the first and the last
// eight bytes and the length, mixed by multiplication, tell them apart in a few instructions.
std::uint32_t hash_of(std::string_view name) {
  const std::size_t n = name.size();
  std::uint64_t head = 0;
  std::uint64_t tail = 0;
  if (n > 0) std::memcpy(&head, name.data(), n < 8 ? n : 8);
  if (n > 8) std::memcpy(&tail, name.data() + n - 8, 8);
  std::uint64_t h = (head * 0x9E3779B97F4A7C15ull) ^ (tail * 0xC2B2AE3D27D4EB4Full) ^ n;
  h ^= h >> 29;
  h *= 0xBF58476D1CE4E5B9ull;
  return static_cast<std::uint32_t>(h >> 32);
}

std::size_t table_size_for(std::size_t entries) {
  std::size_t size = 32;
  while (size < 2 * entries) size *= 2;
  return size;
}

}  // namespace

RequestEnv::RequestEnv(const fcgi::Params& params, fcgi::Role role) {
  entries_.reserve(params.size() + 8);
  table_.assign(table_size_for(entries_.capacity()), 0);
  set("FCGI_ROLE", role_name(role));
  for (std::size_t i = 0; i < params.size(); ++i) {
    auto pair = params[i];
    // Borrowed: decoded params are NUL-terminated and live as long as the request.
    std::uint32_t& at = position(pair.name);
    if (at != 0) {
      entries_[at - 1].value = pair.value;
    } else {
      entries_.push_back(Slot{pair.name, pair.value});
      at = static_cast<std::uint32_t>(entries_.size());
      if (2 * entries_.size() > table_.size()) grow();
    }
  }
}

std::uint32_t& RequestEnv::position(std::string_view name) {
  if (table_.empty()) table_.assign(table_size_for(0), 0);
  const std::size_t mask = table_.size() - 1;
  for (std::size_t i = hash_of(name) & mask;; i = (i + 1) & mask) {
    std::uint32_t& at = table_[i];
    if (at == 0 || entries_[at - 1].name == name) return at;
  }
}

void RequestEnv::grow() {
  table_.assign(table_.size() * 2, 0);
  // Oldest first, so a name's newest slot ends up in its position.
  for (std::size_t i = 0; i < entries_.size(); ++i) {
    position(entries_[i].name) = static_cast<std::uint32_t>(i + 1);
  }
}

std::string_view RequestEnv::keep(std::string_view text) {
  auto& stored = owned_.emplace_back(std::make_unique_for_overwrite<char[]>(text.size() + 1));
  if (!text.empty()) std::memcpy(stored.get(), text.data(), text.size());
  stored[text.size()] = '\0';
  return std::string_view(stored.get(), text.size());
}

const char* RequestEnv::get(std::string_view name) const {
  if (table_.empty()) return nullptr;
  const std::size_t mask = table_.size() - 1;
  for (std::size_t i = hash_of(name) & mask;; i = (i + 1) & mask) {
    const std::uint32_t at = table_[i];
    if (at == 0) return nullptr;
    const Slot& slot = entries_[at - 1];
    if (slot.name == name) return slot.live ? slot.value.data() : nullptr;
  }
}

const char* RequestEnv::set(std::string_view name, std::string_view value) {
  std::string_view stored = keep(value);
  std::uint32_t& at = position(name);
  if (at != 0 && entries_[at - 1].live) {
    entries_[at - 1].value = stored;
  } else {
    // New, or removed earlier: a new slot, newest in the listing (fcgi_hash_set after a del).
    const std::string_view stored_name = at != 0 ? entries_[at - 1].name : keep(name);
    entries_.push_back(Slot{stored_name, stored});
    at = static_cast<std::uint32_t>(entries_.size());
    if (2 * entries_.size() > table_.size()) grow();
  }
  return stored.data();
}

void RequestEnv::remove(std::string_view name) {
  if (table_.empty()) return;
  // fcgi_hash_del: the slot stays in the list, unseen; a later set appends a new one.
  const std::uint32_t at = position(name);
  if (at != 0) entries_[at - 1].live = false;
}

}  // namespace zfpm::php
