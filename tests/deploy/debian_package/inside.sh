#!/usr/bin/env bash
# Runs inside a clean debian:bookworm-slim container (tests/deploy/debian_package_test.sh), as
# root, with zfpm's .deb at $1. No systemd runs here: zfpm is started as its unit starts it (the
# ExecStart line with /etc/default/zfpm), php8.2-fpm as its unit does.
set -euo pipefail
deb=$1

say() { echo "inside: $*" >&2; }
fail() {
  say "FAILED: $*"
  for log in /var/log/zfpm.log /var/log/php8.2-fpm.log /var/log/nginx/error.log; do
    [ -s "$log" ] && { echo "--- $log" >&2; tail -n 20 "$log" >&2; }
  done
  exit 1
}

export DEBIAN_FRONTEND=noninteractive
# Services are started by this script, not by the packages' maintainer scripts.
printf '#!/bin/sh\nexit 101\n' >/usr/sbin/policy-rc.d
chmod 755 /usr/sbin/policy-rc.d
say "apt-get install ./$(basename "$deb") nginx-light php8.2-fpm curl logrotate systemd"
apt-get update -q >/tmp/apt.log 2>&1 || { tail /tmp/apt.log; fail "apt-get update"; }
apt-get install -q -y --no-install-recommends "$deb" nginx-light php8.2-fpm curl logrotate \
  systemd >>/tmp/apt.log 2>&1 || { tail -n 30 /tmp/apt.log; fail "apt-get install"; }

# --- what the package installed --------------------------------------------------------------
for file in /usr/sbin/zfpm /usr/bin/zfpm-load /usr/bin/zfpm-ext /usr/lib/zfpm/libphp.so /usr/lib/zfpm/extensions/opcache.so \
  /etc/zfpm/php-fpm.conf /etc/zfpm/pool.d/www.conf /etc/zfpm/zfpm.toml /etc/zfpm/php.ini \
  /lib/systemd/system/zfpm.service /usr/lib/tmpfiles.d/zfpm.conf /etc/logrotate.d/zfpm \
  /etc/default/zfpm; do
  [ -e "$file" ] || fail "the package did not install $file"
done
[ -d /run/zfpm ] || fail "postinst did not make /run/zfpm"
conffiles=$(cat /var/lib/dpkg/info/zfpm.conffiles)
for file in /etc/zfpm/php-fpm.conf /etc/zfpm/pool.d/www.conf /etc/zfpm/php.ini /etc/default/zfpm; do
  grep -qx "$file" <<<"$conffiles" || fail "$file is not a conffile"
done
# systemd's own check of the unit: its keys, its ExecStart binary.
systemd-analyze verify /lib/systemd/system/zfpm.service 2>/tmp/verify.log ||
  { cat /tmp/verify.log >&2; fail "systemd-analyze verify zfpm.service"; }
! grep -i "zfpm.service" /tmp/verify.log || fail "systemd-analyze warns about zfpm.service"
zfpm -t 2>&1 | grep -q "test is successful" || fail "zfpm -t on the installed configuration"

# --- start and stop as the units do ----------------------------------------------------------
start_zfpm() {
  (
    set -a
    ZFPM_CONFIG=/etc/zfpm/php-fpm.conf
    . /etc/default/zfpm
    set +a
    # shellcheck disable=SC2086 # ExecStart's $ZFPM_OPTS splits into words
    exec /usr/sbin/zfpm --nodaemonize --fpm-config "$ZFPM_CONFIG" $ZFPM_OPTS </dev/null \
      >>/tmp/zfpm.stdout 2>&1
  ) &
  zfpm_pid=$!
}
stop_zfpm() {
  kill -QUIT "$zfpm_pid"
  wait "$zfpm_pid" || fail "zfpm's graceful stop exited with $?"
}
start_fpm() {
  /usr/sbin/php-fpm8.2 --fpm-config /etc/php/8.2/fpm/php-fpm.conf || fail "php-fpm8.2 did not start"
}
stop_fpm() {
  local pid
  pid=$(cat /run/php/php8.2-fpm.pid)
  kill -QUIT "$pid"
  while kill -0 "$pid" 2>/dev/null; do sleep 0.1; done
}
wait_for_socket() {
  local tries=100
  until [ -S "$1" ] && curl -s -o /dev/null "$2"; do
    tries=$((tries - 1))
    [ "$tries" -gt 0 ] || fail "nothing answers on $1"
    sleep 0.1
  done
}

mkdir -p /var/www/html
cat >/var/www/html/index.php <<'PHP'
<?php
echo function_exists('zfpm_worker_info') ? 'zfpm' : 'php-fpm', ' ', PHP_SAPI, ' ', PHP_VERSION, ' ',
  php_ini_loaded_file(), ' ', ini_get('display_errors') === '' ? 'off' : 'on', "\n";
PHP
# nginx: port 8081 to zfpm's own socket, 8082 to php8.2-fpm's, as a php-fpm host has it.
cat >/etc/nginx/sites-enabled/default <<'NGINX'
server {
  listen 127.0.0.1:8081;
  root /var/www/html;
  location ~ \.php$ { include snippets/fastcgi-php.conf; fastcgi_pass unix:/run/zfpm/www.sock; }
}
server {
  listen 127.0.0.1:8082;
  root /var/www/html;
  location ~ \.php$ { include snippets/fastcgi-php.conf; fastcgi_pass unix:/run/php/php8.2-fpm.sock; }
}
NGINX
nginx || fail "nginx did not start"

say "zfpm from its installed configuration, beside php8.2-fpm"
start_zfpm
start_fpm
wait_for_socket /run/zfpm/www.sock http://127.0.0.1:8081/index.php
wait_for_socket /run/php/php8.2-fpm.sock http://127.0.0.1:8082/index.php
page=$(curl -sf http://127.0.0.1:8081/index.php) || fail "no page from zfpm through nginx"
[ "$page" = "zfpm fpm-fcgi 8.2.32 /etc/zfpm/php.ini off" ] || fail "zfpm through nginx: '$page'"
page=$(curl -sf http://127.0.0.1:8082/index.php) || fail "no page from php8.2-fpm through nginx"
[[ $page == "php-fpm fpm-fcgi "*" /etc/php/8.2/fpm/php.ini off" ]] || fail "php8.2-fpm: '$page'"
say "both serve: zfpm on /run/zfpm/www.sock, php8.2-fpm on /run/php/php8.2-fpm.sock"

say "logrotate: USR1 reopens /var/log/zfpm.log"
echo "/var/log/zfpm.log marker before rotation" >>/var/log/zfpm.log
[ "$(cat /run/zfpm/zfpm.pid)" = "$zfpm_pid" ] || fail "the pid file does not hold zfpm's pid"
logrotate -f /etc/logrotate.d/zfpm || fail "logrotate -f /etc/logrotate.d/zfpm"
[ -f /var/log/zfpm.log.1 ] || fail "logrotate did not rotate /var/log/zfpm.log"
kill -USR2 "$zfpm_pid"  # a reload: logged, so it shows which file zfpm writes to
tries=50
until grep -q "Reloading in progress" /var/log/zfpm.log 2>/dev/null; do
  tries=$((tries - 1))
  [ "$tries" -gt 0 ] || fail "after logrotate zfpm does not write to the new /var/log/zfpm.log"
  sleep 0.1
done
grep -q "Reloading in progress" /var/log/zfpm.log.1 && fail "zfpm still writes to the rotated file"
wait_for_socket /run/zfpm/www.sock http://127.0.0.1:8081/index.php

say "switching php8.2-fpm's pools, socket, php.ini and conf.d to zfpm"
stop_fpm
stop_zfpm
sed -i -e 's|^#   ZFPM_CONFIG=|ZFPM_CONFIG=|' -e 's|^#   ZFPM_OPTS=|ZFPM_OPTS=|' \
  -e 's|^#   PHP_INI_SCAN_DIR=|PHP_INI_SCAN_DIR=|' -e '/^ZFPM_CONFIG=\/etc\/zfpm/d' \
  -e '/^ZFPM_OPTS=$/d' /etc/default/zfpm
: >/var/log/php8.2-fpm.log
start_zfpm
wait_for_socket /run/php/php8.2-fpm.sock http://127.0.0.1:8082/index.php
page=$(curl -sf http://127.0.0.1:8082/index.php) || fail "no page on php8.2-fpm's socket from zfpm"
[ "$page" = "zfpm fpm-fcgi 8.2.32 /etc/php/8.2/fpm/php.ini off" ] || fail "after the switch: '$page'"
if grep -E "Unable to load|already loaded|PHP Warning|PHP Startup" /var/log/php8.2-fpm.log /tmp/zfpm.stdout; then
  fail "warnings with php8.2-fpm's configuration and conf.d (above)"
fi
say "zfpm serves php8.2-fpm's pools on its socket, with its php.ini and conf.d, no warnings"

say "and back to php8.2-fpm"
stop_zfpm
start_fpm
wait_for_socket /run/php/php8.2-fpm.sock http://127.0.0.1:8082/index.php
page=$(curl -sf http://127.0.0.1:8082/index.php) || fail "no page from php8.2-fpm after switching back"
[[ $page == "php-fpm "* ]] || fail "after switching back: '$page'"
stop_fpm

say "apt-get purge zfpm"
apt-get purge -q -y zfpm >>/tmp/apt.log 2>&1 || fail "apt-get purge zfpm"
for file in /usr/sbin/zfpm /usr/lib/zfpm /etc/zfpm /etc/default/zfpm /var/log/zfpm.log; do
  [ ! -e "$file" ] || fail "$file is left after purge"
done
say "done"
