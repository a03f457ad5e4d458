#include "zfpm/obs/log.hpp"

#include <spdlog/pattern_formatter.h>
#include <spdlog/sinks/stdout_sinks.h>

#include <memory>

namespace zfpm::obs {
namespace {

// php-fpm's zlog level words (fpm/zlog.c); spdlog's info is php-fpm's NOTICE.
std::string_view fpm_level_name(spdlog::level::level_enum level) {
  switch (level) {
    case spdlog::level::trace:
    case spdlog::level::debug:
      return "DEBUG";
    case spdlog::level::info:
      return "NOTICE";
    case spdlog::level::warn:
      return "WARNING";
    case spdlog::level::err:
      return "ERROR";
    case spdlog::level::critical:
      return "ALERT";
    default:
      return "NOTICE";
  }
}

class FpmLevelFlag final : public spdlog::custom_flag_formatter {
 public:
  void format(const spdlog::details::log_msg& msg, const std::tm&,
              spdlog::memory_buf_t& dest) override {
    auto name = fpm_level_name(msg.level);
    dest.append(name.data(), name.data() + name.size());
  }
  std::unique_ptr<custom_flag_formatter> clone() const override {
    return std::make_unique<FpmLevelFlag>();
  }
};

}  // namespace

std::optional<spdlog::level::level_enum> parse_log_level(std::string_view name) {
  if (name == "debug") return spdlog::level::debug;
  if (name == "notice") return spdlog::level::info;
  if (name == "warning") return spdlog::level::warn;
  if (name == "error") return spdlog::level::err;
  if (name == "alert") return spdlog::level::critical;
  return std::nullopt;
}

void init_logging(spdlog::level::level_enum level) {
  auto logger = std::make_shared<spdlog::logger>("zfpm",
                                                 std::make_shared<spdlog::sinks::stderr_sink_mt>());
  auto formatter = std::make_unique<spdlog::pattern_formatter>();
  formatter->add_flag<FpmLevelFlag>('*').set_pattern("[%d-%b-%Y %H:%M:%S] %*: %v");
  logger->set_formatter(std::move(formatter));
  logger->set_level(level);
  // One line per event, written at once: the stderr sink flushes on every message.
  logger->flush_on(spdlog::level::trace);
  spdlog::set_default_logger(std::move(logger));
}

}  // namespace zfpm::obs
