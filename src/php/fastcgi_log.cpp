#include "fastcgi_log.hpp"

#include <string>

#include "cgi_ini.hpp"

namespace zfpm::php {

void log_to_web_server(RequestContext& ctx, std::string_view message) noexcept {
  if (message.empty() || ctx.finished || !ctx.sink->active() || !cgi_ini::fastcgi_logging()) {
    return;
  }
  try {
    // One record per message: nginx logs each STDERR record it reads as one line.
    std::string text;
    if (ctx.log_started) text = "; ";
    text += message;
    ctx.log_started = true;
    ctx.sink->write_stderr(text);
  } catch (...) {
    // Out of memory while encoding: the message is lost, the request goes on.
  }
}

}  // namespace zfpm::php
