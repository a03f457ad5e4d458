#include "zfpm/config/config.hpp"

#include <algorithm>
#include <cctype>

namespace zfpm::config {

PoolConfig* Config::find_pool(std::string_view name) {
  auto same = [name](const PoolConfig& pool) {
    return pool.name.size() == name.size() &&
           std::equal(name.begin(), name.end(), pool.name.begin(), [](char a, char b) {
             return std::tolower(static_cast<unsigned char>(a)) ==
                    std::tolower(static_cast<unsigned char>(b));
           });
  };
  auto found = std::find_if(pools.begin(), pools.end(), same);
  return found == pools.end() ? nullptr : &*found;
}

bool has_errors(const Diagnostics& diagnostics) {
  return std::any_of(diagnostics.begin(), diagnostics.end(), [](const Error& e) {
    return e.level == Level::Error || e.level == Level::Alert;
  });
}

const char* level_name(Level level) {
  switch (level) {
    case Level::Notice:
      return "NOTICE";
    case Level::Warning:
      return "WARNING";
    case Level::Error:
      return "ERROR";
    case Level::Alert:
      return "ALERT";
  }
  return "ERROR";
}

const char* to_string(LogLevel level) {
  switch (level) {
    case LogLevel::Debug:
      return "debug";
    case LogLevel::Notice:
      return "notice";
    case LogLevel::Warning:
      return "warning";
    case LogLevel::Error:
      return "error";
    case LogLevel::Alert:
      return "alert";
  }
  return "unknown value";
}

const char* to_string(PmStyle style) {
  switch (style) {
    case PmStyle::Static:
      return "static";
    case PmStyle::Dynamic:
      return "dynamic";
    case PmStyle::Ondemand:
      return "ondemand";
  }
  return "static";
}

}  // namespace zfpm::config
