#include "zfpm/obs/log.hpp"

#include <fcntl.h>
#include <spdlog/pattern_formatter.h>
#include <spdlog/sinks/base_sink.h>
#include <spdlog/sinks/syslog_sink.h>
#include <syslog.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <memory>
#include <mutex>

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

// A whole formatted line per write(2), on a descriptor opened O_APPEND: lines of the master and
// of every child (which share the descriptor) never interleave.
class FdSink final : public spdlog::sinks::base_sink<std::mutex> {
 public:
  FdSink(int fd, std::string path, bool owned = false)
      : fd_(fd), path_(std::move(path)), owned_(owned || !path_.empty()) {}
  ~FdSink() override {
    if (owned_ && fd_ >= 0) ::close(fd_);
  }

  bool is_stderr() const { return fd_ == STDERR_FILENO; }

  void write_raw(std::string_view line) {
    std::lock_guard lock(mutex_);
    std::string text(line);
    text += '\n';
    write_all(text.data(), text.size());
  }

  bool reopen(std::string* error) {
    std::lock_guard lock(mutex_);
    if (path_.empty()) return true;
    int fd = open_log_file(path_, error);
    if (fd < 0) return false;
    ::dup2(fd, fd_);  // same number: a child forked earlier keeps writing to the old file
    ::close(fd);
    return true;
  }

 protected:
  void sink_it_(const spdlog::details::log_msg& msg) override {
    spdlog::memory_buf_t line;
    formatter_->format(msg, line);
    write_all(line.data(), line.size());
  }
  void flush_() override {}

 private:
  void write_all(const char* at, std::size_t left) {
    while (left > 0) {
      ssize_t n = ::write(fd_, at, left);
      if (n < 0 && errno == EINTR) continue;
      if (n <= 0) return;
      at += n;
      left -= static_cast<std::size_t>(n);
    }
  }

  int fd_;
  std::string path_;  // "" for stderr
  bool owned_;
};

// log_format = json: the message as a JSON string, with the time, level and process.
class JsonMessageFlag final : public spdlog::custom_flag_formatter {
 public:
  void format(const spdlog::details::log_msg& msg, const std::tm&,
              spdlog::memory_buf_t& dest) override {
    dest.push_back('"');
    for (char c : msg.payload) {
      const auto byte = static_cast<unsigned char>(c);
      if (c == '"' || c == '\\') {
        dest.push_back('\\');
        dest.push_back(c);
      } else if (c == '\n') {
        dest.append(std::string_view("\\n"));
      } else if (c == '\t') {
        dest.append(std::string_view("\\t"));
      } else if (byte < 0x20) {
        char escaped[8];
        std::snprintf(escaped, sizeof escaped, "\\u%04x", byte);
        dest.append(std::string_view(escaped));
      } else {
        dest.push_back(c);
      }
    }
    dest.push_back('"');
  }
  std::unique_ptr<custom_flag_formatter> clone() const override {
    return std::make_unique<JsonMessageFlag>();
  }
};

bool json_lines_ = false;

std::shared_ptr<FdSink> file_sink_;
std::shared_ptr<FdSink> fd_sink_;  // the current one when the log is not syslog

void install(spdlog::sink_ptr sink, bool fpm_format) {
  auto level = spdlog::default_logger() ? spdlog::default_logger()->level() : spdlog::level::info;
  auto logger = std::make_shared<spdlog::logger>("zfpm", std::move(sink));
  auto formatter = std::make_unique<spdlog::pattern_formatter>();
  formatter->add_flag<FpmLevelFlag>('*');
  formatter->add_flag<JsonMessageFlag>('J');
  if (json_lines_) {
    formatter->set_pattern(R"({"time":"%Y-%m-%dT%H:%M:%S.%e%z","level":"%*","pid":%P,"message":%J})");
  } else {
    // syslog stamps its own time and priority: the message alone, as php-fpm sends it.
    formatter->set_pattern(fpm_format ? "[%d-%b-%Y %H:%M:%S] %*: %v" : "%*: %v");
  }
  logger->set_formatter(std::move(formatter));
  logger->set_level(level);
  logger->flush_on(spdlog::level::trace);
  spdlog::set_default_logger(std::move(logger));
}

int syslog_facility(const std::string& name) {
  static const std::pair<const char*, int> kFacilities[] = {
      {"auth", LOG_AUTH},     {"authpriv", LOG_AUTHPRIV}, {"cron", LOG_CRON},
      {"daemon", LOG_DAEMON}, {"ftp", LOG_FTP},           {"kern", LOG_KERN},
      {"lpr", LOG_LPR},       {"mail", LOG_MAIL},         {"news", LOG_NEWS},
      {"syslog", LOG_SYSLOG}, {"user", LOG_USER},         {"uucp", LOG_UUCP},
      {"local0", LOG_LOCAL0}, {"local1", LOG_LOCAL1},     {"local2", LOG_LOCAL2},
      {"local3", LOG_LOCAL3}, {"local4", LOG_LOCAL4},     {"local5", LOG_LOCAL5},
      {"local6", LOG_LOCAL6}, {"local7", LOG_LOCAL7}};
  for (const auto& [text, value] : kFacilities) {
    if (name == text) return value;
  }
  return -1;
}

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
  fd_sink_ = std::make_shared<FdSink>(STDERR_FILENO, "");
  install(fd_sink_, true);
  spdlog::set_level(level);
  file_sink_.reset();
}

void set_json_lines(bool json) {
  json_lines_ = json;
  if (fd_sink_) install(fd_sink_, true);
}

void keep_stderr_log() {
  if (!fd_sink_ || !fd_sink_->is_stderr()) return;
  int copy = ::fcntl(STDERR_FILENO, F_DUPFD_CLOEXEC, 3);
  if (copy < 0) return;
  fd_sink_ = std::make_shared<FdSink>(copy, "", true);
  install(fd_sink_, true);
}

void log_raw_line(std::string_view line) {
  if (fd_sink_) {
    fd_sink_->write_raw(line);
  } else {
    spdlog::warn("{}", line);  // syslog: one message per line
  }
}

int open_log_file(const std::string& path, std::string* error) {
  int fd = ::open(path.c_str(), O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0600);
  if (fd < 0 && error) {
    int e = errno;
    *error = std::string(std::strerror(e)) + " (" + std::to_string(e) + ")";
  }
  return fd;
}

bool log_to_file(const std::string& path, std::string* error) {
  int fd = open_log_file(path, error);
  if (fd < 0) return false;
  // Not close-on-exec: a reload hands the same file on (the new image opens it again anyway).
  file_sink_ = std::make_shared<FdSink>(fd, path);
  fd_sink_ = file_sink_;
  install(file_sink_, true);
  return true;
}

bool log_to_syslog(const std::string& ident, const std::string& facility, std::string* error) {
  int value = syslog_facility(facility);
  if (value < 0) {
    if (error) *error = "unknown syslog facility '" + facility + "'";
    return false;
  }
  install(std::make_shared<spdlog::sinks::syslog_sink_mt>(ident, LOG_PID, value, true), false);
  file_sink_.reset();
  fd_sink_.reset();
  return true;
}

bool reopen_log(std::string* error) {
  return !file_sink_ || file_sink_->reopen(error);
}

}  // namespace zfpm::obs
