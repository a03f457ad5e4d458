#include "request_env.hpp"

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

}  // namespace

RequestEnv::RequestEnv(const fcgi::Params& params, fcgi::Role role) {
  entries_.reserve(params.size() + 8);
  set("FCGI_ROLE", role_name(role));
  for (std::size_t i = 0; i < params.size(); ++i) {
    auto pair = params[i];
    // Borrowed: decoded params are NUL-terminated and live as long as the request.
    if (auto it = index_.find(pair.name); it != index_.end()) {
      entries_[it->second].value = pair.value;
    } else {
      index_.emplace(pair.name, entries_.size());
      entries_.push_back(Slot{pair.name, pair.value});
    }
  }
}

std::string_view RequestEnv::keep(std::string_view text) {
  const std::string& stored = owned_.emplace_back(text);
  return std::string_view(stored.data(), stored.size());
}

const char* RequestEnv::get(std::string_view name) const {
  auto it = index_.find(name);
  return it == index_.end() ? nullptr : entries_[it->second].value.data();
}

const char* RequestEnv::set(std::string_view name, std::string_view value) {
  std::string_view stored = keep(value);
  if (auto it = index_.find(name); it != index_.end()) {
    entries_[it->second].value = stored;
  } else {
    std::string_view stored_name = keep(name);
    index_.emplace(stored_name, entries_.size());
    entries_.push_back(Slot{stored_name, stored});
  }
  return stored.data();
}

void RequestEnv::remove(std::string_view name) {
  auto it = index_.find(name);
  if (it == index_.end()) return;
  // fcgi_hash_del: the slot stays in the list, unseen; a later set appends a new one.
  entries_[it->second].live = false;
  index_.erase(it);
}

}  // namespace zfpm::php
