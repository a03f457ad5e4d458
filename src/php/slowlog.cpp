#include "slowlog.hpp"

#include <fcntl.h>
#include <spdlog/spdlog.h>
#include <unistd.h>

#include <cerrno>
#include <cstdint>
#include <cstring>

#include "watchdog.hpp"

extern "C" {
#include <Zend/zend_compile.h>
}

namespace zfpm::php::slowlog {
namespace {

// fpm_php_trace.c reads each string into a 1024-byte buffer.
constexpr std::size_t kMaxText = 1023;

// Appends to a fixed buffer; once something does not fit, the buffer is full and stays so.
class Writer {
 public:
  Writer(char* out, std::size_t capacity) : out_(out), capacity_(capacity) {}

  void text(const char* s, std::size_t max = kMaxText) {
    for (std::size_t i = 0; s && s[i] && i < max; ++i) put(s[i]);
  }
  void number(std::uint64_t value) {
    char digits[20];
    std::size_t n = 0;
    do {
      digits[n++] = static_cast<char>('0' + value % 10);
      value /= 10;
    } while (value);
    while (n) put(digits[--n]);
  }
  // php-fpm's "%016lx".
  void hex16(std::uintptr_t value) {
    for (int shift = 60; shift >= 0; shift -= 4) put("0123456789abcdef"[(value >> shift) & 0xf]);
  }

  std::size_t size() const { return size_; }
  bool full() const { return full_; }
  void rewind(std::size_t size) {
    size_ = size;
    full_ = false;
  }

 private:
  void put(char c) {
    if (size_ < capacity_) {
      out_[size_++] = c;
    } else {
      full_ = true;
    }
  }

  char* out_;
  std::size_t capacity_;
  std::size_t size_ = 0;
  bool full_ = false;
};

// fpm_php_trace.c: valid_ptr — non-null and aligned.
template <typename T>
bool valid(const T* p) {
  return p && reinterpret_cast<std::uintptr_t>(p) % sizeof(long) == 0;
}

// The file and line the frame was called from: the nearest user-code frame below it.
void append_call_site(Writer& out, const zend_execute_data* frame) {
  const char* file = nullptr;
  std::uint32_t line = 0;
  for (const zend_execute_data* prev = frame->prev_execute_data; prev;
       prev = prev->prev_execute_data) {
    const zend_function* function = prev->func;
    if (!valid(function)) break;
    if (ZEND_USER_CODE(function->type)) {
      if (valid(function->op_array.filename)) file = ZSTR_VAL(function->op_array.filename);
      if (valid(prev->opline)) line = prev->opline->lineno;
      break;
    }
  }
  out.text(" ");
  out.text(file && *file ? file : "unknown");
  out.text(":");
  out.number(line);
  out.text("\n");
}

// fpm_php_trace_dump's loop, reading this thread's own frames instead of a stopped child's.
void append_frames(Writer& out, const zend_execute_data* frame, int depth) {
  for (; frame && depth > 0; --depth) {
    const std::size_t before = out.size();
    const zend_function* function = frame->func;
    const char* name = "???";
    if (valid(function)) {
      if (function->common.function_name) {
        name = ZSTR_VAL(function->common.function_name);
      } else {
        const std::uint32_t kind = ZEND_CALL_KIND_EX(Z_TYPE_INFO(frame->This));
        if (kind == ZEND_CALL_TOP_CODE) return;  // the script itself: the trace ends
        name = "[INCLUDE_OR_EVAL]";
      }
    }
    out.text("[0x");
    out.hex16(reinterpret_cast<std::uintptr_t>(frame));
    out.text("] ");
    out.text(name);
    out.text("()");
    append_call_site(out, frame);
    if (out.full()) {
      out.rewind(before);  // a frame whole or not at all
      return;
    }
    frame = frame->prev_execute_data;
  }
}

void append_to_file(const char* path, const char* data, std::size_t size) {
  // Opened per entry, as php-fpm does (fopen "a+"): a rotated file is picked up.
  int fd = ::open(path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0644);
  if (fd < 0) return;  // nowhere to say so from a signal handler; create_file() logged it
  while (size > 0) {
    ssize_t n = ::write(fd, data, size);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) break;
    data += n;
    size -= static_cast<std::size_t>(n);
  }
  ::close(fd);
}

}  // namespace

void create_file(const std::string& path) {
  int fd = ::open(path.c_str(), O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0644);
  if (fd < 0) {
    spdlog::error("unable to open slowlog ({}): {} ({})", path, std::strerror(errno), errno);
    return;
  }
  ::close(fd);
}

void write_entry(watchdog::Slot& slot, const zend_execute_data* top) {
  const watchdog::Settings& settings = watchdog::settings();
  if (settings.slowlog.empty() || !slot.trace_buffer) return;
  Writer out(slot.trace_buffer.get(), slot.trace_capacity);
  out.text(slot.trace_header, sizeof slot.trace_header);
  out.text("script_filename = ");
  out.text(slot.script);
  out.text("\nrequest = ");
  out.text(slot.method);
  out.text(" ");
  out.text(slot.uri);
  if (slot.query[0]) {
    out.text("?");
    out.text(slot.query);
  }
  out.text("\n");
  append_frames(out, top, settings.trace_depth);
  append_to_file(settings.slowlog.c_str(), slot.trace_buffer.get(), out.size());
}

}  // namespace zfpm::php::slowlog
