#include "inherited_children.hpp"

#include <cstdlib>
#include <string_view>

namespace zfpm::proc {
namespace {

constexpr const char* kEnvName = "ZFPM_RELOAD_CHILDREN";

}  // namespace

// "pid:nanoseconds:pool;..." (the pool name last: it may hold a ':').
void export_children(const std::vector<InheritedChild>& children) {
  if (children.empty()) {
    ::unsetenv(kEnvName);
    return;
  }
  std::string value;
  for (const auto& child : children) {
    if (!value.empty()) value += ';';
    value += std::to_string(child.pid) + ':' +
             std::to_string(child.started.time_since_epoch().count()) + ':' + child.pool_name;
  }
  ::setenv(kEnvName, value.c_str(), 1);
}

std::vector<InheritedChild> take_inherited_children() {
  std::vector<InheritedChild> children;
  const char* value = std::getenv(kEnvName);
  if (!value) return children;
  std::string_view text = value;
  while (!text.empty()) {
    auto end = text.find(';');
    std::string_view entry = text.substr(0, end);
    text = end == std::string_view::npos ? std::string_view{} : text.substr(end + 1);
    auto first = entry.find(':');
    auto second = first == std::string_view::npos ? first : entry.find(':', first + 1);
    if (second == std::string_view::npos) continue;
    InheritedChild child;
    child.pid = static_cast<pid_t>(std::strtol(std::string(entry.substr(0, first)).c_str(), nullptr, 10));
    auto ns = std::strtoll(std::string(entry.substr(first + 1, second - first - 1)).c_str(), nullptr, 10);
    child.started = std::chrono::steady_clock::time_point(std::chrono::steady_clock::duration(ns));
    child.pool_name = std::string(entry.substr(second + 1));
    if (child.pid > 0) children.push_back(std::move(child));
  }
  ::unsetenv(kEnvName);
  return children;
}

}  // namespace zfpm::proc
