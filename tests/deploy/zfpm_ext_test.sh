#!/usr/bin/env bash
# Extensions for zfpm's thread-safe PHP (tools/ext/zfpm-ext, docs/extensions.md), on an install
# tree of this build in a temporary prefix:
#   - `zfpm-ext install redis apcu` builds both from Debian's source packages (php-redis,
#     php-apcu) with the tree's phpize and php-config, puts them in its extension folder and
#     enables them in its conf.d; `zfpm-ext list` names them; a source that is no extension, or
#     that Debian does not have, is refused with a message;
#   - the installed zfpm loads both without a warning and serves through them: redis against a
#     real redis-server started here on loopback, and APCu with one cache for all the threads of
#     a pool (400 apcu_inc() from 8 concurrent connections count 400; a value stored by one
#     request is fetched by the next), which a reload (USR2) starts anew, as php-fpm's does.
# Needs root (apt-get, a pool run as www-data). Environment: ZFPM_BUILD_DIR (ctest).
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

build=${ZFPM_BUILD_DIR:-$deploy_root/build}
[ "$(id -u)" = 0 ] || fail "needs root (apt-get, and a pool run as www-data)"
command -v redis-server >/dev/null || fail "no redis-server (scripts/setup installs redis-server)"

work=$(mktemp -d "${TMPDIR:-/tmp}/zfpm-ext-test.XXXXXX")
chmod 755 "$work"
pids=()
finish() {
  local pid
  for pid in "${pids[@]}"; do
    kill -KILL "$pid" 2>/dev/null || true
    wait "$pid" 2>/dev/null || true
  done
  rm -rf "$work"
}
trap finish EXIT

free_port() {
  local port
  for port in $(seq "$1" $(($1 + 100))); do
    (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null || { echo "$port"; return; }
  done
  fail "no free port from $1"
}
wait_port() {
  local port=$1 pid=$2 what=$3 tries=100
  until (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null; do
    kill -0 "$pid" 2>/dev/null || fail "$what exited"
    tries=$((tries - 1))
    [ "$tries" -gt 0 ] || fail "$what does not listen on $port"
    sleep 0.1
  done
}

say "cmake --install into a temporary prefix"
tree=$work/zfpm
cmake --install "$build" --prefix "$tree" >"$work/install.log" 2>&1 ||
  { tail -n 20 "$work/install.log" >&2; fail "cmake --install failed"; }
ext=$tree/bin/zfpm-ext
[ -x "$ext" ] || fail "not installed: bin/zfpm-ext"

say "refused: a source that is no extension, and one Debian does not have"
mkdir -p "$work/not-an-extension"
echo hello >"$work/not-an-extension/README"
status=0
"$ext" install "$work/not-an-extension" 2>"$work/refused.err" || status=$?
[ "$status" != 0 ] && grep -q "no config.m4: not a PHP extension's source" "$work/refused.err" ||
  { cat "$work/refused.err" >&2; fail "zfpm-ext took a folder without config.m4"; }
status=0
"$ext" install zfpm-no-such-extension 2>"$work/refused.err" || status=$?
[ "$status" != 0 ] && grep -q "Debian has no source package php-zfpm-no-such-extension" "$work/refused.err" ||
  { cat "$work/refused.err" >&2; fail "zfpm-ext took an extension Debian does not have"; }

say "zfpm-ext install redis apcu (Debian's php-redis and php-apcu, built for this tree's PHP)"
"$ext" install redis apcu 2>"$work/ext.log" || { tail -n 40 "$work/ext.log" >&2; fail "zfpm-ext install"; }
for file in lib/zfpm/extensions/redis.so lib/zfpm/extensions/apcu.so etc/zfpm/conf.d/20-redis.ini \
  etc/zfpm/conf.d/20-apcu.ini; do
  [ -e "$tree/$file" ] || fail "zfpm-ext installed no $file"
done
grep -qx "extension=redis" "$tree/etc/zfpm/conf.d/20-redis.ini" || fail "20-redis.ini: $(cat "$tree/etc/zfpm/conf.d/20-redis.ini")"
list=$("$ext" list)
grep -q "^redis enabled in $tree/etc/zfpm/conf.d/20-redis.ini" <<<"$list" &&
  grep -q "^apcu enabled in $tree/etc/zfpm/conf.d/20-apcu.ini" <<<"$list" ||
  fail "zfpm-ext list: $list"
modules=$("$tree/sbin/zfpm" -m 2>&1)
grep -qx redis <<<"$modules" && grep -qx apcu <<<"$modules" || fail "zfpm -m: $modules"

say "serving through them"
redis_port=$(free_port 19400)
redis-server --port "$redis_port" --bind 127.0.0.1 --save '' --appendonly no \
  >"$work/redis.log" 2>&1 &
pids+=($!)
wait_port "$redis_port" "${pids[-1]}" redis-server

docroot=$work/www
mkdir -p "$docroot"
cat >"$docroot/redis.php" <<PHP
<?php
\$redis = new Redis();
\$redis->connect('127.0.0.1', $redis_port);
\$redis->set('zfpm-ext', \$_GET['value'] ?? '');
echo 'redis ', phpversion('redis'), ' ', \$redis->get('zfpm-ext'), "\n";
PHP
cat >"$docroot/apcu.php" <<'PHP'
<?php
switch ($_GET['do'] ?? '') {
  case 'store': echo apcu_store('greeting', $_GET['value']) ? 'stored' : 'not stored'; break;
  case 'fetch': var_export(apcu_fetch('greeting')); break;
  case 'inc': apcu_inc('counter', 1, $ok, 0); echo $ok ? 'inc' : 'not inc'; break;
  case 'count': echo apcu_fetch('counter'); break;
}
PHP
chmod 644 "$docroot"/*.php

port=$(free_port 19500)
www=$tree/etc/zfpm/pool.d/www.conf
sed -i -e "s|^listen = .*|listen = 127.0.0.1:$port|" -e "s|^pm = .*|pm = static|" \
  -e "s|^pm.max_children = .*|pm.max_children = 4|" "$www"
"$tree/sbin/zfpm" -F -O >"$work/zfpm.log" 2>&1 &
zfpm_pid=$!
pids+=("$zfpm_pid")
wait_port "$port" "$zfpm_pid" zfpm
load=$tree/bin/zfpm-load

body() { sed '1,/^\r\?$/d' <<<"$1"; }
ask() {
  local script=$1 query=$2 answer
  answer=$("$load" --once -q "$query" "127.0.0.1:$port" "$docroot/$script") ||
    fail "$script?$query failed: $answer"
  body "$answer"
}

answer=$(ask redis.php value=through-zfpm)
grep -q "^redis [0-9.]* through-zfpm$" <<<"$answer" || fail "redis.php answered: $answer"
[ "$(redis-cli -p "$redis_port" get zfpm-ext)" = through-zfpm ] ||
  fail "the value redis.php set is not in redis-server"

[ "$(ask apcu.php 'do=store&value=hello')" = stored ] || fail "apcu_store failed"
[ "$(ask apcu.php do=fetch)" = "'hello'" ] || fail "apcu_fetch did not see the stored value"
"$load" -c 8 -n 400 -q do=inc "127.0.0.1:$port" "$docroot/apcu.php" >"$work/load.log" 2>&1 ||
  { cat "$work/load.log" >&2; fail "400 apcu_inc requests over 8 connections"; }
[ "$(ask apcu.php do=count)" = 400 ] ||
  fail "400 apcu_inc() from 8 concurrent connections counted $(ask apcu.php do=count)"

say "a reload starts APCu's cache anew"
kill -USR2 "$zfpm_pid"
tries=100
until [ "$(ask apcu.php do=fetch 2>/dev/null || true)" = false ]; do
  tries=$((tries - 1))
  [ "$tries" -gt 0 ] || fail "the cache still holds its value 10 s after a reload"
  sleep 0.1
done
answer=$(ask redis.php value=after-reload)
grep -q " after-reload$" <<<"$answer" || fail "redis.php after the reload: $answer"

kill -QUIT "$zfpm_pid"
wait "$zfpm_pid" || fail "zfpm's graceful stop exited with $?"
if grep -E "Unable to load|already loaded|Warning|ERROR" "$work/zfpm.log"; then
  fail "warnings in zfpm's log (above)"
fi
say "PASSED"
