#include "pool_process.hpp"

#include <pwd.h>
#include <spdlog/spdlog.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "zfpm/php/runtime.hpp"

namespace zfpm::php {
namespace {

struct PoolEnvironment {
  bool clear = true;
  std::vector<std::pair<std::string, std::string>> variables;  // in the order they are set
};
std::optional<PoolEnvironment> environment_;

bool is_number(const std::string& text) {
  return !text.empty() && text.find_first_not_of("0123456789") == std::string::npos;
}

// fpm_unix.c: fpm_unix_conf_wp — as root, the pool user's name and home (none for a numeric
// user or no user); otherwise the current user's.
void add_user_and_home(const config::PoolConfig& pool, PoolEnvironment& out) {
  const passwd* entry = nullptr;
  if (::geteuid() == 0) {
    if (pool.user && !pool.user->empty() && !is_number(*pool.user)) {
      entry = ::getpwnam(pool.user->c_str());
    }
  } else {
    entry = ::getpwuid(::geteuid());
  }
  if (!entry) return;
  bool has_user = false;
  bool has_home = false;
  for (const auto& [name, value] : pool.env) {
    has_user = has_user || name == "USER";
    has_home = has_home || name == "HOME";
  }
  if (!has_user) out.variables.emplace_back("USER", entry->pw_name);
  if (!has_home) out.variables.emplace_back("HOME", entry->pw_dir);
}

}  // namespace

void prepare_process(const config::PoolConfig& pool) {
  PoolEnvironment env{.clear = pool.clear_env, .variables = {}};
  // php-fpm keeps env[] newest first and sets it from the head, so for a name given twice the
  // first line wins. "$NAME" is the environment zfpm was started with (fpm_env_conf_wp).
  for (auto it = pool.env.rbegin(); it != pool.env.rend(); ++it) {
    std::string value = it->value;
    if (value.starts_with('$')) {
      const char* from = std::getenv(value.c_str() + 1);
      value = from ? from : "";
    }
    env.variables.emplace_back(it->key, std::move(value));
  }
  add_user_and_home(pool, env);
  environment_ = std::move(env);
}

void pool_process::apply_environment() {
  if (!environment_) return;
  if (environment_->clear) ::clearenv();
  for (const auto& [name, value] : environment_->variables) {
    if (::setenv(name.c_str(), value.c_str(), 1) != 0) {
      spdlog::warn("env[{}]: setenv() failed: {}", name, std::strerror(errno));
    }
  }
  environment_.reset();
}

}  // namespace zfpm::php
