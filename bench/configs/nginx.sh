#!/usr/bin/env bash
# nginx.conf for scripts/bench: one worker, one server per FastCGI backend, keep-alive upstreams
# (fastcgi_keep_conn), buffers large enough that a 1 MiB response never touches disk. Requests the
# client gave up on (status 499: wrk closing its connections at the end of a run) are logged per
# backend, with how long they had waited, in unanswered-zfpm.log and unanswered-fpm.log.
# usage: nginx.sh TMP WWW ZFPM_PORT FPM_PORT
set -euo pipefail
tmp=$1 www=$2
server_block() { # port upstream
  cat <<BLOCK
    server {
        listen 127.0.0.1:$1 backlog=4096;
        root $www;
        location ~ \.php\$ {
            include /etc/nginx/fastcgi_params;
            fastcgi_param SCRIPT_FILENAME \$document_root\$fastcgi_script_name;
            fastcgi_pass $2;
            fastcgi_keep_conn on;
        }
        access_log $tmp/nginx/unanswered-$2.log waited if=\$client_gave_up;
    }
BLOCK
}
cat <<CONF
# The bench runs as root; the workers too, to reach the 0660 sockets in a private temp dir.
user root;
worker_processes 1;
pid $tmp/nginx/nginx.pid;
error_log $tmp/nginx/error.log warn;
daemon off;
events { worker_connections 8192; }
http {
    access_log off;
    log_format waited '\$status \$request_time';
    map \$status \$client_gave_up { 499 1; default 0; }
    client_body_temp_path $tmp/nginx/body;
    fastcgi_temp_path $tmp/nginx/fastcgi;
    proxy_temp_path $tmp/nginx/proxy;
    uwsgi_temp_path $tmp/nginx/uwsgi;
    scgi_temp_path $tmp/nginx/scgi;
    client_max_body_size 64m;
    client_body_buffer_size 2m;
    fastcgi_buffer_size 64k;
    fastcgi_buffers 64 32k;
    fastcgi_read_timeout 60s;
    keepalive_requests 1000000;
    upstream zfpm { server unix:$tmp/zfpm.sock; keepalive 256; keepalive_requests 1000000; }
    upstream fpm { server unix:$tmp/fpm.sock; keepalive 256; keepalive_requests 1000000; }
$(server_block "$3" zfpm)
$(server_block "$4" fpm)
}
CONF
