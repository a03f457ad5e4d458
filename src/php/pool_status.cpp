#include "pool_status.hpp"

#include <algorithm>

#include <spdlog/spdlog.h>
#include <unistd.h>

#include <cstdlib>
#include <memory>
#include <mutex>

#include "sapi.hpp"
#include "zfpm/obs/access_format.hpp"
#include "zfpm/obs/access_log.hpp"

namespace zfpm::php::pool_status {
namespace {

struct PoolState {
  std::unique_ptr<obs::Scoreboard> scoreboard;
  std::optional<obs::AccessFormat> access_format;
  obs::AccessLog access_log;
  std::vector<std::string> suppress_paths;
  Endpoints endpoints;
};

std::once_flag once;
PoolState* state = nullptr;  // created once, never destroyed: workers may outlive main's frames

// Per worker thread, so that nothing with a destructor is a local where PHP can longjmp: what
// fpm_request_info saw, for the access log line.
thread_local obs::RequestFields current_fields;

std::string pool_name(const RuntimeSettings& settings) {
  return settings.pool.name.empty() ? std::string("www") : settings.pool.name;
}

void create(const RuntimeSettings& settings, unsigned workers) {
  auto* created = new PoolState;
  const auto& pool = settings.pool;
  const char* pm = pool.pm.style ? config::to_string(*pool.pm.style) : "static";
  unsigned prepared = workers;  // static: every thread starts with the pool
  if (pool.pm.style == config::PmStyle::Dynamic) {
    prepared = static_cast<unsigned>(std::max(pool.pm.start_servers, 0));
  } else if (pool.pm.style == config::PmStyle::Ondemand) {
    prepared = 0;
  }
  created->scoreboard =
      std::make_unique<obs::Scoreboard>(pool_name(settings), pm, workers, prepared);
  created->suppress_paths = pool.access.suppress_path;
  created->endpoints.status_path = pool.pm.status_path.value_or("");
  created->endpoints.ping_path = pool.ping.path.value_or("");
  created->endpoints.ping_response = pool.ping.response.value_or("pong");
  if (pool.access.log && !pool.access.log->empty()) {
    const std::string format(pool.access.format.value_or(std::string(obs::kDefaultAccessFormat)));
    std::string error;
    created->access_format = obs::parse_access_format(format, &error);
    if (!created->access_format) {
      spdlog::warn("{}", error);
      spdlog::error("[pool {}] wrong format for access.format '{}'", pool_name(settings), format);
    } else if (!created->access_log.open(*pool.access.log, &error)) {
      spdlog::error("{}", error);
      created->access_format.reset();
    } else {
      obs::set_process_access_log(&created->access_log);
    }
  }
  state = created;
}

obs::Scoreboard* board() { return state ? state->scoreboard.get() : nullptr; }

// WorkerPool numbers its workers from 1; the scoreboard's slots from 0.
unsigned slot_of(unsigned worker) { return worker - 1; }

// atol, as php-fpm reads CONTENT_LENGTH.
std::size_t content_length(const char* text) {
  if (!text) return 0;
  const long value = std::atol(text);
  return value > 0 ? static_cast<std::size_t>(value) : 0;
}

}  // namespace

void prepare(const RuntimeSettings& settings, unsigned workers) {
  try {
    std::call_once(once, [&] { create(settings, workers); });
  } catch (const std::exception& e) {
    spdlog::error("status scoreboard: {}", e.what());
  }
}

void worker_started(const RuntimeSettings& settings, unsigned workers, unsigned worker, long tid) {
  try {
    std::call_once(once, [&] { create(settings, workers); });
    if (auto* b = board()) b->worker_started(slot_of(worker), tid);
  } catch (const std::exception& e) {
    spdlog::error("status scoreboard: {}", e.what());
  }
}

void worker_stopped(unsigned worker) {
  if (auto* b = board()) b->worker_stopped(slot_of(worker));
}

void request_accepted(unsigned worker) {
  if (auto* b = board()) b->request_accepted(slot_of(worker));
}

void request_idle(unsigned worker) {
  if (auto* b = board()) b->request_idle(slot_of(worker));
}

void request_info(const RequestContext& ctx) noexcept {
  try {
    const sapi_request_info& info = SG(request_info);
    obs::RequestFields fields;
    if (info.request_method) fields.method = info.request_method;
    if (info.request_uri) {
      fields.uri = info.request_uri;
      // php-fpm sets these whenever SCRIPT_FILENAME or PATH_TRANSLATED came, found or not.
      if (const char* query = ctx.env.get("QUERY_STRING")) fields.query = query;
      fields.content_length = content_length(ctx.env.get("CONTENT_LENGTH"));
    }
    if (info.auth_user) fields.user = info.auth_user;
    if (info.path_translated) fields.script = info.path_translated;
    current_fields = fields;
    if (auto* b = board(); b && ctx.worker) b->request_info(slot_of(ctx.worker->id), std::move(fields));
  } catch (...) {
  }
}

void request_running(const RequestContext& ctx) noexcept {
  if (auto* b = board(); b && ctx.worker) b->request_running(slot_of(ctx.worker->id));
}

void request_finishing(const RequestContext& ctx) noexcept {
  if (auto* b = board(); b && ctx.worker) b->request_finishing(slot_of(ctx.worker->id));
}

void request_ended(const RequestContext& ctx) noexcept {
  try {
    auto* b = board();
    if (!b || !ctx.worker) return;
    const obs::RequestMeasures measures =
        b->request_ended(slot_of(ctx.worker->id), zend_memory_peak_usage(1));
    if (!state->access_format) return;
    const obs::RequestFields& fields = current_fields;
    obs::AccessEntry entry;
    entry.pool = b->pool();
    entry.method = fields.method;
    entry.uri = fields.uri;
    entry.query = fields.query;
    entry.user = fields.user;
    entry.script = fields.script;
    entry.client_ip = ctx.request ? std::string_view(ctx.request->client_ip) : std::string_view();
    // The suppress check reads SG's content length, the line the scoreboard's: both atol.
    entry.content_length = fields.content_length;
    entry.status = SG(sapi_headers).http_response_code;
    entry.duration_us = static_cast<long>(measures.duration.count());
    entry.cpu_user = measures.cpu_user;
    entry.cpu_system = measures.cpu_system;
    entry.memory = measures.memory;
    entry.accepted_epoch = measures.accepted_epoch;
    entry.now_epoch = std::time(nullptr);
    entry.pid = static_cast<long>(::getpid());
    entry.ppid = static_cast<long>(::getppid());
    if (obs::access_suppressed(entry, state->suppress_paths)) return;
    entry.param = [&ctx](const std::string& name) { return ctx.env.get(name.c_str()); };
    zend_llist_position position;
    auto* header = static_cast<sapi_header_struct*>(
        zend_llist_get_first_ex(&SG(sapi_headers).headers, &position));
    for (; header; header = static_cast<sapi_header_struct*>(
                       zend_llist_get_next_ex(&SG(sapi_headers).headers, &position))) {
      if (header->header_len) entry.headers.emplace_back(header->header, header->header_len);
    }
    const std::string line = obs::render_access_line(*state->access_format, entry);
    if (!line.empty()) state->access_log.write(line);
  } catch (const std::exception& e) {
    spdlog::error("access log: {}", e.what());
  } catch (...) {
  }
}

obs::Scoreboard* scoreboard() { return board(); }

const Endpoints& endpoints() {
  static const Endpoints none;
  return state ? state->endpoints : none;
}

}  // namespace zfpm::php::pool_status

namespace zfpm::php {

void note_max_children_reached() {
  if (auto* board = pool_status::scoreboard()) board->note_max_children_reached();
}

}  // namespace zfpm::php
