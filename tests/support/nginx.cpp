#include "nginx.hpp"

#include "socket.hpp"

namespace zfpm::test {

namespace {

constexpr const char* conf_template = R"(daemon off;
master_process off;
worker_processes 1;
pid @PREFIX@/nginx.pid;
error_log @PREFIX@/logs/error.log info;
events { worker_connections 64; }
http {
  include /etc/nginx/mime.types;
  access_log @PREFIX@/logs/access.log;
  client_body_temp_path @PREFIX@/client_body;
  proxy_temp_path @PREFIX@/proxy;
  fastcgi_temp_path @PREFIX@/fastcgi;
  uwsgi_temp_path @PREFIX@/uwsgi;
  scgi_temp_path @PREFIX@/scgi;
  @UPSTREAM@
  server {
    listen 127.0.0.1:@PORT@;
    root @ROOT@;
    @SERVER@
    location ~ @MATCH@ {
      include /etc/nginx/fastcgi_params;
      fastcgi_param SCRIPT_FILENAME $document_root$fastcgi_script_name;
      fastcgi_pass @PASS@;
      @KEEP_CONN@
      @LOCATION@
    }
  }
}
)";

std::string replace_all(std::string text, std::string_view placeholder, std::string_view value) {
  for (auto at = text.find(placeholder); at != std::string::npos;
       at = text.find(placeholder, at + value.size())) {
    text.replace(at, placeholder.size(), value);
  }
  return text;
}

}  // namespace

Nginx::Nginx(const NginxOptions& options) : port_(free_tcp_port()) {
  std::string conf = conf_template;
  conf = replace_all(conf, "@PREFIX@", prefix_.path());
  conf = replace_all(conf, "@PORT@", std::to_string(port_));
  conf = replace_all(conf, "@ROOT@", options.root);
  conf = replace_all(conf, "@SERVER@", options.server);
  conf = replace_all(conf, "@MATCH@", options.php_match);
  conf = replace_all(conf, "@LOCATION@", options.php_location);
  conf = replace_all(conf, "@UPSTREAM@",
                     options.keep_conn ? "upstream fastcgi_backend { server " +
                                             options.fastcgi_pass + "; keepalive 2; }"
                                       : "");
  conf = replace_all(conf, "@PASS@", options.keep_conn ? "fastcgi_backend" : options.fastcgi_pass);
  conf = replace_all(conf, "@KEEP_CONN@", options.keep_conn ? "fastcgi_keep_conn on;" : "");
  prefix_.make_dir("logs");
  std::string conf_path = prefix_.write("nginx.conf", conf);
  process_.start({nginx_binary, "-p", prefix_.path() + "/", "-c", conf_path, "-e",
                  prefix_.file("logs/error.log")});
  process_.wait_until_connectable(address());
}

std::string Nginx::error_log() const {
  return read_file(prefix_.file("logs/error.log")) + process_.log();
}

}  // namespace zfpm::test
