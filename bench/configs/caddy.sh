#!/usr/bin/env bash
# Caddyfile for scripts/bench: php_fastcgi to each backend's Unix socket (Caddy opens one
# FastCGI connection per request), no TLS, no admin endpoint, nothing logged per request.
# usage: caddy.sh TMP WWW ZFPM_PORT FPM_PORT
set -euo pipefail
tmp=$1 www=$2
cat <<CONF
{
	admin off
	auto_https off
	storage file_system $tmp/caddy/data
}
http://127.0.0.1:$3 {
	root * $www
	php_fastcgi unix/$tmp/zfpm.sock
}
http://127.0.0.1:$4 {
	root * $www
	php_fastcgi unix/$tmp/fpm.sock
}
CONF
