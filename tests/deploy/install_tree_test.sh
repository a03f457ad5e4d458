#!/usr/bin/env bash
# The relocatable install (docs/deploying.md): `cmake --install` of this build into a temporary
# prefix, then the installed tree run with the PHP build cache hidden (a private mount namespace
# puts an empty folder over it), and run again after the tree was moved elsewhere:
#   - no RPATH and no php-config line points back at the build or the cache;
#   - the installed zfpm reads its own production php.ini and scans its conf.d, loads opcache from
#     its own extension folder, and serves: a fatal error answers 500 (display_errors off);
#   - a Debian host's conf.d (/etc/php/8.2/fpm/conf.d, from php8.2-fpm) loads without a warning.
# Needs root (unshare -m, pools as www-data). Environment: ZFPM_BUILD_DIR, ZFPM_PHP_PREFIX (ctest).
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

build=${ZFPM_BUILD_DIR:-$deploy_root/build}
php_prefix=${ZFPM_PHP_PREFIX:?ZFPM_PHP_PREFIX: the PHP prefix this build uses}
[ "$(id -u)" = 0 ] || fail "needs root (a private mount namespace, and a pool run as www-data)"
[ -d /etc/php/8.2/fpm/conf.d ] || fail "no /etc/php/8.2/fpm/conf.d (scripts/setup installs php8.2-fpm)"

work=$(mktemp -d "${TMPDIR:-/tmp}/zfpm-install.XXXXXX")
chmod 755 "$work"
zfpm_pid=
finish() {
  [ -z "$zfpm_pid" ] || kill -KILL "$zfpm_pid" 2>/dev/null || true
  rm -rf "$work"
}
trap finish EXIT

say "cmake --install into a temporary prefix"
cmake --install "$build" --prefix "$work/zfpm" >"$work/install.log" 2>&1 ||
  { tail -n 20 "$work/install.log" >&2; fail "cmake --install failed"; }
for file in sbin/zfpm bin/zfpm-load lib/zfpm/libphp.so lib/zfpm/extensions/opcache.so \
  lib/zfpm/php/bin/php lib/zfpm/php/bin/php-config lib/zfpm/php/bin/phpize \
  lib/zfpm/php/include/php/20220829/main/php.h etc/zfpm/php-fpm.conf etc/zfpm/pool.d/www.conf \
  etc/zfpm/zfpm.toml etc/zfpm/php.ini share/zfpm/php.ini-production; do
  [ -e "$work/zfpm/$file" ] || fail "not installed: $file"
done
[ -d "$work/zfpm/etc/zfpm/conf.d" ] || fail "not installed: etc/zfpm/conf.d/"
for elf in sbin/zfpm bin/zfpm-load; do
  runpath=$(readelf -d "$work/zfpm/$elf" | sed -n 's/.*R\(UN\)\{0,1\}PATH.*\[\(.*\)\]/\2/p')
  [ "$runpath" = '$ORIGIN/../lib/zfpm' ] || fail "$elf: RUNPATH is '$runpath', not \$ORIGIN/../lib/zfpm"
done
if grep -l -F "$php_prefix" "$work"/zfpm/lib/zfpm/php/bin/php-config "$work"/zfpm/lib/zfpm/php/bin/phpize; then
  fail "php-config or phpize still names the build cache"
fi
grep -q "^include = etc/zfpm/pool.d/\*.conf" "$work/zfpm/etc/zfpm/php-fpm.conf" ||
  fail "php-fpm.conf does not include the installed pool.d"

# A free port on loopback.
free_port() {
  local port
  for port in $(seq 19000 19100); do
    (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null || { echo "$port"; return; }
  done
  fail "no free port in 19000..19100"
}

# Runs a command of the installed tree with the build cache out of sight (in the same process:
# unshare and sh exec it, so that a signal to the pid of `hidden_cache ... &` reaches it).
hidden_cache() {
  exec unshare -m sh -c 'mount -t tmpfs -o size=1m zfpm-cache-hidden "$1" && shift && exec "$@"' \
    sh "$php_prefix" "$@"
}

docroot=$work/www
mkdir -p "$docroot"
printf '<?php echo "hello from ", PHP_SAPI, "\\n";\n' >"$docroot/hello.php"
printf '<?php undefined_function();\n' >"$docroot/fatal.php"
printf '<?php echo ini_get("display_errors") === "" ? "off" : ini_get("display_errors"), " ",
  ini_get("extension_dir"), " ", php_ini_loaded_file(), " ", (int) extension_loaded("Zend OPcache"),
  " ", (int) function_exists("opcache_get_status"), "\\n";\n' >"$docroot/ini.php"
chmod 644 "$docroot"/*.php

# Serves from the tree at $1 (its own php-fpm.conf, the pool on a free port) and checks answers.
serve_and_check() {
  local tree=$1 label=$2 port
  port=$(free_port)
  sed -i "s|^listen = .*|listen = 127.0.0.1:$port|" "$tree/etc/zfpm/pool.d/www.conf"
  : >"$work/zfpm.log"
  (hidden_cache env PHP_INI_SCAN_DIR=/etc/php/8.2/fpm/conf.d "$tree/sbin/zfpm" -F -O) \
    >>"$work/zfpm.log" 2>&1 &
  zfpm_pid=$!
  local tries=100
  until (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null; do
    kill -0 "$zfpm_pid" 2>/dev/null || { cat "$work/zfpm.log" >&2; fail "$label: zfpm exited"; }
    tries=$((tries - 1))
    [ "$tries" -gt 0 ] || fail "$label: zfpm does not listen on $port"
    sleep 0.1
  done
  local load=$tree/bin/zfpm-load answer
  answer=$(hidden_cache "$load" --once "127.0.0.1:$port" "$docroot/hello.php") ||
    fail "$label: hello.php failed: $answer"
  grep -q "hello from fpm-fcgi" <<<"$answer" || fail "$label: hello.php answered: $answer"
  answer=$(hidden_cache "$load" --once "127.0.0.1:$port" "$docroot/ini.php") ||
    fail "$label: ini.php failed"
  grep -q "^off $tree/lib/zfpm/extensions $tree/etc/zfpm/php.ini 1 1" <<<"$(sed '1,/^\r\?$/d' <<<"$answer")" ||
    fail "$label: ini.php answered: $answer"
  answer=$(hidden_cache "$load" --once "127.0.0.1:$port" "$docroot/fatal.php") &&
    fail "$label: a fatal error did not answer 500: $answer"
  grep -q "^Status: 500" <<<"$answer" || fail "$label: fatal.php answered: $answer"
  kill -QUIT "$zfpm_pid"
  wait "$zfpm_pid" || fail "$label: zfpm's graceful stop exited with $?"
  zfpm_pid=
  # Debian's conf.d: nothing unknown, nothing loaded twice.
  if grep -E "Unable to load|already loaded|Warning" "$work/zfpm.log"; then
    fail "$label: warnings while loading /etc/php/8.2/fpm/conf.d (log above)"
  fi
  say "$label: served (hello, production php.ini, opcache, fatal error 500), Debian's conf.d clean"
}

(hidden_cache "$work/zfpm/sbin/zfpm" -v) | grep -q "^PHP 8.2" || fail "the installed zfpm -v"
(hidden_cache "$work/zfpm/sbin/zfpm" -m) | grep -qx "Zend OPcache" ||
  fail "the installed zfpm -m lists no Zend OPcache"
info=$(hidden_cache "$work/zfpm/sbin/zfpm" -i)
grep -q "^Loaded Configuration File => $work/zfpm/etc/zfpm/php.ini$" <<<"$info" ||
  fail "zfpm -i: the loaded php.ini is not the installed one"
grep -q "^Scan this dir for additional .ini files => $work/zfpm/etc/zfpm/conf.d$" <<<"$info" ||
  fail "zfpm -i: the scan folder is not the installed conf.d"
serve_and_check "$work/zfpm" "installed tree"

say "moving the tree elsewhere"
mv "$work/zfpm" "$work/moved"
serve_and_check "$work/moved" "moved tree"
say "PASSED"
