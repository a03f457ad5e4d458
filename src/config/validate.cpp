#include "zfpm/config/validate.hpp"

#include <cctype>
#include <string>

namespace zfpm::config {

namespace {

class Checker {
 public:
  explicit Checker(Diagnostics& out) : out_(out) {}

  void global(const GlobalConfig& global) {
    // fpm_conf.c fpm_conf_post_process (ZLOG_MIN_LIMIT is 512).
    if (global.log_limit < 512) error("log_limit must be greater than 512");
    if (global.process.max < 0) error("process_max can't be negative");
    if (global.process.priority &&
        (*global.process.priority < -19 || *global.process.priority > 20)) {
      error("process.priority must be included into [-19,20]");
    }
  }

  // fpm_conf.c fpm_conf_process_all_pools, in its order.
  void pool(PoolConfig& pool) {
    pool_ = "[pool " + pool.name + "] ";
    if (pool.listen.address.empty()) alert("no listen address have been defined!");
    if (pool.process.priority && (*pool.process.priority < -19 || *pool.process.priority > 20)) {
      error("process.priority must be included into [-19,20]");
    }
    pm(pool);
    path(pool.pm.status_path, "status path", pool.pm.status_listen.has_value());
    path(pool.ping.path, "ping path", false);
    if (pool.ping.path && !pool.ping.path->empty()) {
      if (!pool.ping.response) {
        pool.ping.response = "pong";
      } else if (pool.ping.response->empty()) {
        error("the ping response page '' is not long enough");
      }
    } else {
      pool.ping.response.reset();
    }
    if (pool.access.log && !pool.access.log->empty() && !pool.access.format) {
      pool.access.format = "%R - %u %t \"%m %r\" %s";
    }
    bool has_slowlog = pool.slowlog && !pool.slowlog->empty();
    if (pool.request_slowlog_timeout.count() != 0) {
      if (!has_slowlog) error("'slowlog' must be specified for use with 'request_slowlog_timeout'");
      if (pool.request_terminate_timeout.count() != 0 &&
          pool.request_slowlog_timeout > pool.request_terminate_timeout) {
        error("'request_slowlog_timeout' (" + std::to_string(pool.request_slowlog_timeout.count()) +
              ") can't be greater than 'request_terminate_timeout' (" +
              std::to_string(pool.request_terminate_timeout.count()) + ")");
      }
    }
    if (pool.request_slowlog_trace_depth && *pool.request_slowlog_trace_depth != 0) {
      if (!has_slowlog) {
        error("'slowlog' must be specified for use with 'request_slowlog_trace_depth'");
      }
      if (*pool.request_slowlog_trace_depth < 0) {
        error("'request_slowlog_trace_depth' (" +
              std::to_string(*pool.request_slowlog_trace_depth) + ") must be a positive value");
      }
    }
    // chroot and chdir: absolute once prefixed (paths.hpp); whether they exist is for the code
    // that uses them.
  }

  // Two pools on one address; php-fpm names the later pool first.
  void listen_addresses(const std::vector<PoolConfig>& pools) {
    for (std::size_t i = 0; i < pools.size(); ++i) {
      for (std::size_t j = 0; j < pools.size(); ++j) {
        if (i == j || pools[i].listen.address.empty()) continue;
        if (pools[i].listen.address == pools[j].listen.address && i < j) {
          out_.push_back(
              {"", 0,
               "[pool " + pools[j].name +
                   "] unable to set listen address as it's already used in another pool '" +
                   pools[i].name + "'",
               Level::Error});
        }
      }
    }
  }

 private:
  void pm(PoolConfig& pool) {
    auto& pm = pool.pm;
    if (!pm.style) {
      alert("the process manager is missing (static, dynamic or ondemand)");
      return;
    }
    if (pm.max_children < 1) alert("pm.max_children must be a positive value");
    if (*pm.style == PmStyle::Dynamic) {
      auto n = [](int v) { return "(" + std::to_string(v) + ")"; };
      if (pm.min_spare_servers <= 0) {
        alert("pm.min_spare_servers" + n(pm.min_spare_servers) + " must be a positive value");
        return;
      }
      if (pm.max_spare_servers <= 0) {
        alert("pm.max_spare_servers" + n(pm.max_spare_servers) + " must be a positive value");
        return;
      }
      if (pm.min_spare_servers > pm.max_children || pm.max_spare_servers > pm.max_children) {
        alert("pm.min_spare_servers" + n(pm.min_spare_servers) + " and pm.max_spare_servers" +
              n(pm.max_spare_servers) + " cannot be greater than pm.max_children" +
              n(pm.max_children));
        return;
      }
      if (pm.max_spare_servers < pm.min_spare_servers) {
        alert("pm.max_spare_servers" + n(pm.max_spare_servers) +
              " must not be less than pm.min_spare_servers" + n(pm.min_spare_servers));
        return;
      }
      if (pm.start_servers <= 0) {
        pm.start_servers = pm.min_spare_servers + (pm.max_spare_servers - pm.min_spare_servers) / 2;
        report("pm.start_servers is not set. It's been set to " + std::to_string(pm.start_servers) +
                   ".",
               Level::Notice);
      } else if (pm.start_servers < pm.min_spare_servers ||
                 pm.start_servers > pm.max_spare_servers) {
        alert("pm.start_servers" + n(pm.start_servers) +
              " must not be less than pm.min_spare_servers" + n(pm.min_spare_servers) +
              " and not greater than pm.max_spare_servers" + n(pm.max_spare_servers));
        return;
      }
      if (pm.max_spawn_rate < 1) alert("pm.max_spawn_rate must be a positive value");
    } else if (*pm.style == PmStyle::Ondemand) {
      if (pm.process_idle_timeout.count() < 1) {
        alert("pm.process_idle_timeout(" + std::to_string(pm.process_idle_timeout.count()) +
              "s) must be greater than 0s");
      }
      if (pool.listen.backlog < -1) {
        report("listen.backlog(" + std::to_string(pool.listen.backlog) +
                   ") was too low for the ondemand process manager. I updated it for you to -1.",
               Level::Warning);
        pool.listen.backlog = -1;
      }
      pm.start_servers = pm.min_spare_servers = pm.max_spare_servers = 0;
    }
  }

  // pm.status_path and ping.path: '/' first, at least 2 characters, only [alnum]/_-.~
  void path(const std::optional<std::string>& value, const std::string& what, bool status_listen) {
    if (!value || value->empty()) return;
    const auto& text = *value;
    if (text.front() != '/') {
      error("the " + what + " '" + text + "' must start with a '/'");
      return;
    }
    if (!status_listen && text.size() < 2) {
      error("the " + what + " '" + text + "' is not long enough");
      return;
    }
    for (char c : text) {
      if (!std::isalnum(static_cast<unsigned char>(c)) && c != '/' && c != '-' && c != '_' &&
          c != '.' && c != '~') {
        error("the " + what + " '" + text +
              "' must contain only the following characters '[alphanum]/_-.~'");
        return;
      }
    }
  }

  void report(const std::string& message, Level level) {
    out_.push_back({"", 0, pool_ + message, level});
  }
  void alert(const std::string& message) { report(message, Level::Alert); }
  void error(const std::string& message) { report(message, Level::Error); }

  Diagnostics& out_;
  std::string pool_;  // "[pool www] " while checking a pool
};

}  // namespace

Diagnostics validate(Config& config) {
  Diagnostics diagnostics;
  Checker checker(diagnostics);
  checker.global(config.global);
  if (config.pools.empty()) {
    diagnostics.push_back({"", 0,
                           "No pool defined. at least one pool section must be specified in "
                           "config file",
                           Level::Error});
  }
  for (auto& pool : config.pools) checker.pool(pool);
  checker.listen_addresses(config.pools);
  return diagnostics;
}

}  // namespace zfpm::config
