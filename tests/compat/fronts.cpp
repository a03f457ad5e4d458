#include "fronts.hpp"

#include <string_view>

#include "socket.hpp"

namespace zfpm::test {

namespace {

std::string replace_all(std::string text, std::string_view placeholder, std::string_view value) {
  for (auto at = text.find(placeholder); at != std::string::npos;
       at = text.find(placeholder, at + value.size())) {
    text.replace(at, placeholder.size(), value);
  }
  return text;
}

// Every path nginx writes to is inside @DIR@.
constexpr const char* nginx_conf = R"(daemon off;
master_process off;
worker_processes 1;
pid @DIR@/nginx.pid;
error_log @DIR@/error.log info;
events { worker_connections 64; }
http {
  access_log off;
  client_body_temp_path @DIR@/client_body;
  proxy_temp_path @DIR@/proxy;
  fastcgi_temp_path @DIR@/fastcgi;
  uwsgi_temp_path @DIR@/uwsgi;
  scgi_temp_path @DIR@/scgi;
  client_max_body_size 64m;
  fastcgi_read_timeout 60s;
  upstream zfpm { server @ZFPM@; keepalive 2; }
  upstream php_fpm { server @PHP_FPM@; keepalive 2; }
@SERVERS@}
)";

// One server per backend. `/plain/…` is PHP as nginx's docs configure it (fastcgi_params plus
// SCRIPT_FILENAME, no existence check: a missing script is the backend's 404). Every other .php
// URI goes through Debian's snippets/fastcgi-php.conf, written out here because its `include
// fastcgi.conf` is relative to /etc/nginx: PATH_INFO split off, a missing script is nginx's own
// 404, `/dir/` finds index.php through `index`. That location passes to an upstream with
// keep-alive connections (fastcgi_keep_conn), as busy sites run it: many requests, one after
// another, on one FastCGI connection.
constexpr const char* nginx_server = R"(  server {
    listen 127.0.0.1:@PORT@;
    server_name front.test;
    root @ROOT@;
    index index.php index.html;
    location ~ ^/plain/.*\.php$ {
      include /etc/nginx/fastcgi_params;
      fastcgi_param SCRIPT_FILENAME $document_root$fastcgi_script_name;
      fastcgi_pass @BACKEND@;
    }
    location ~ [^/]\.php(/|$) {
      fastcgi_split_path_info ^(.+?\.php)(/.*)$;
      try_files $fastcgi_script_name =404;
      set $path_info $fastcgi_path_info;
      fastcgi_param PATH_INFO $path_info;
      fastcgi_index index.php;
      include /etc/nginx/fastcgi.conf;
      fastcgi_pass @UPSTREAM@;
      fastcgi_keep_conn on;
    }
  }
)";

std::string nginx_config(const TempDir& dir, int zfpm_port, int php_fpm_port,
                         const Backends& backends) {
  auto server = [&](int port, const std::string& backend, std::string_view upstream) {
    std::string text = replace_all(nginx_server, "@PORT@", std::to_string(port));
    text = replace_all(text, "@ROOT@", backends.docroot);
    text = replace_all(text, "@BACKEND@", backend);
    return replace_all(text, "@UPSTREAM@", upstream);
  };
  std::string text = replace_all(nginx_conf, "@DIR@", dir.path());
  text = replace_all(text, "@ZFPM@", backends.zfpm);
  text = replace_all(text, "@PHP_FPM@", backends.php_fpm);
  return replace_all(
      text, "@SERVERS@",
      server(zfpm_port, backends.zfpm, "zfpm") + server(php_fpm_port, backends.php_fpm, "php_fpm"));
}

// php_fastcgi as Caddy's docs give it: it splits PATH_INFO at ".php", falls back to index.php
// (try_files {path} {path}/index.php index.php) and redirects a folder without its '/'.
std::string caddy_config(const TempDir& dir, int zfpm_port, int php_fpm_port,
                         const Backends& backends) {
  auto site = [&](int port, const std::string& backend) {
    return "http://:" + std::to_string(port) + " {\n\tbind 127.0.0.1\n\troot * " +
           backends.docroot + "\n\tphp_fastcgi " + backend + "\n}\n";
  };
  return "{\n\tadmin off\n\tauto_https off\n\n\tstorage file_system " + dir.path() + "/data\n}\n" +
         site(zfpm_port, backends.zfpm) + site(php_fpm_port, backends.php_fpm);
}

}  // namespace

bool front_available(Front::Kind kind) {
  return is_executable(kind == Front::Kind::nginx ? nginx_binary : caddy_binary);
}

Front::Front(Kind kind, const Backends& backends)
    : kind_(kind), zfpm_port_(free_tcp_port()), php_fpm_port_(free_tcp_port()) {
  while (php_fpm_port_ == zfpm_port_) php_fpm_port_ = free_tcp_port();
  if (kind == Kind::nginx) {
    std::string conf =
        dir_.write("nginx.conf", nginx_config(dir_, zfpm_port_, php_fpm_port_, backends));
    process_.start(
        {nginx_binary, "-p", dir_.path() + "/", "-c", conf, "-e", dir_.file("error.log")});
  } else {
    // Caddy keeps state under $HOME and the XDG folders: all of them inside the temp dir.
    std::string conf =
        dir_.write("Caddyfile", caddy_config(dir_, zfpm_port_, php_fpm_port_, backends));
    process_.start({"/usr/bin/env", "HOME=" + dir_.make_dir("home"),
                    "XDG_DATA_HOME=" + dir_.make_dir("data"),
                    "XDG_CONFIG_HOME=" + dir_.make_dir("config"), caddy_binary, "run", "--config",
                    conf, "--adapter", "caddyfile"});
  }
  process_.wait_until_connectable(zfpm_address(), std::chrono::seconds(20));
  process_.wait_until_connectable(php_fpm_address(), std::chrono::seconds(20));
}

std::string Front::log() const {
  std::string text = process_.log();
  if (kind_ == Kind::nginx) text += read_file(dir_.file("error.log"));
  return text;
}

}  // namespace zfpm::test
