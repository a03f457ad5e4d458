#!/usr/bin/env bash
# PHP from a release tarball (ZFPM_PHP_SOURCE, docs/building.md):
#   - a tarball of another PHP than 8.2, or one that is no PHP source, is refused with a message
#     that says why, before anything is built;
#   - php8.2's upstream tarball, as Debian's source package carries it (php8.2_8.2.32.orig.tar.xz
#     is php.net's php-8.2.32.tar.xz), builds with a small set of flags (tests/build/php-tarball-
#     flags) into a prefix of its own, and zfpm built against that prefix serves a request
#     through cgi-fcgi with the tarball's PHP.
# The prefix is cached as any other (keyed by the tarball's SHA-256 and the flags), and so is the
# zfpm build against it (Release, without the tests, in <prefix>.zfpm-build): a second run
# rebuilds only what changed.
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
say() { echo "php-tarball: $*" >&2; }
fail() {
  say "FAILED: $*"
  exit 1
}

work=$(mktemp -d "${TMPDIR:-/tmp}/zfpm-php-tarball.XXXXXX")
zfpm_pid=
finish() {
  [ -z "$zfpm_pid" ] || kill -KILL "$zfpm_pid" 2>/dev/null || true
  rm -rf "$work"
}
trap finish EXIT
build_sh=$root/third_party/php/build.sh
flags=$root/tests/build/php-tarball-flags

# Runs build.sh with a tarball that must be refused; $2 is what its message must say.
expect_refused() {
  local tarball=$1 message=$2 status=0
  ZFPM_PHP_SOURCE=$tarball ZFPM_PHP_PREFIX=$work/refused bash "$build_sh" \
    >"$work/refused.out" 2>"$work/refused.err" || status=$?
  [ "$status" != 0 ] || fail "build.sh took $(basename "$tarball")"
  grep -qF -- "$message" "$work/refused.err" ||
    { cat "$work/refused.err" >&2; fail "build.sh refused $(basename "$tarball") without saying '$message'"; }
  [ ! -e "$work/refused" ] || fail "build.sh refused $(basename "$tarball") but wrote its prefix"
}

say "a PHP 8.3 tarball, and a tarball that holds no PHP, are refused"
mkdir -p "$work/php-8.3.0/main" "$work/not-php"
printf '#define PHP_VERSION "8.3.0"\n' >"$work/php-8.3.0/main/php_version.h"
tar -C "$work" -cJf "$work/php-8.3.0.tar.xz" php-8.3.0
expect_refused "$work/php-8.3.0.tar.xz" "is PHP 8.3.0; zfpm embeds PHP 8.2"
echo hello >"$work/not-php/README"
tar -C "$work" -czf "$work/not-php.tar.gz" not-php
expect_refused "$work/not-php.tar.gz" "not a PHP source tarball"
expect_refused "$work/missing.tar.xz" "no such file"

say "php8.2's upstream tarball, from Debian's source package"
# (A machine whose PHP came from the cache has not needed the deb-src entry yet.)
bash "$root/third_party/php/deb-src.sh" php8.2 || fail "no deb-src entry for php8.2"
(cd "$work" && apt-get source -q --download-only php8.2 >"$work/source.log" 2>&1) ||
  { tail -n 20 "$work/source.log" >&2; fail "apt-get source --download-only php8.2"; }
tarball=$(find "$work" -maxdepth 1 -name 'php8.2_*.orig.tar.xz' | head -n 1)
[ -n "$tarball" ] || fail "no php8.2_*.orig.tar.xz came with the source package"
version=$(basename "$tarball" .orig.tar.xz)
version=${version#php8.2_}
prefix=$(ZFPM_PHP_SOURCE=$tarball ZFPM_PHP_CONFIGURE_FLAGS=$flags bash "$build_sh" --print-prefix)
debian_prefix=$(bash "$build_sh" --print-prefix)
[ "$prefix" != "$debian_prefix" ] || fail "the tarball's build has the Debian build's prefix"
case $(basename "$prefix") in
  "php-$version-zts-"*) ;;
  *) fail "the tarball's prefix $prefix does not name PHP $version" ;;
esac
say "building it (cached in $(basename "$prefix") once built)"
ZFPM_PHP_SOURCE=$tarball ZFPM_PHP_CONFIGURE_FLAGS=$flags bash "$build_sh" \
  >"$work/php-build.out" 2>"$work/php-build.log" ||
  { tail -n 30 "$work/php-build.log" >&2; fail "build.sh with ZFPM_PHP_SOURCE"; }
[ "$(tail -n 1 "$work/php-build.out")" = "$prefix" ] || fail "build.sh printed another prefix"
[ "$("$prefix/bin/php" -r 'echo PHP_VERSION, " ", PHP_ZTS;')" = "$version 1" ] ||
  fail "$prefix/bin/php is not a thread-safe PHP $version"

say "zfpm against it"
# A build tree of its own beside the prefix, kept, so that a second run rebuilds what changed;
# one configured for another checkout starts anew.
build=$prefix.zfpm-build
if ! grep -qx "CMAKE_HOME_DIRECTORY:INTERNAL=$root" "$build/CMakeCache.txt" 2>/dev/null; then
  rm -rf "$build"
fi
launcher=()
if command -v ccache >/dev/null; then
  launcher=(-DCMAKE_CXX_COMPILER_LAUNCHER=ccache -DCMAKE_C_COMPILER_LAUNCHER=ccache)
fi
cmake -S "$root" -B "$build" -DCMAKE_BUILD_TYPE=Release -DZFPM_TESTS=OFF \
  -DZFPM_PHP_PREFIX="$prefix" "${launcher[@]}" >"$work/cmake.log" 2>&1 ||
  { tail -n 30 "$work/cmake.log" >&2; fail "cmake against $prefix"; }
cmake --build "$build" --target zfpm -j"$(nproc)" >>"$work/cmake.log" 2>&1 ||
  { tail -n 30 "$work/cmake.log" >&2; fail "building zfpm against $prefix"; }
zfpm=$build/zfpm
"$zfpm" -v | grep -q "^PHP $version (fpm-fcgi)" ||
  fail "zfpm -v does not name PHP $version: $("$zfpm" -v | head -n 1)"

mkdir -p "$work/www"
printf '<?php echo "PHP ", PHP_VERSION, " ZTS ", PHP_ZTS, " ", PHP_SAPI, " ", (int) function_exists("opcache_get_status");\n' \
  >"$work/www/version.php"
port=
for candidate in $(seq 19200 19300); do
  (exec 3<>"/dev/tcp/127.0.0.1/$candidate") 2>/dev/null || { port=$candidate; break; }
done
[ -n "$port" ] || fail "no free port in 19200..19300"
"$zfpm" --listen "127.0.0.1:$port" --workers 2 --root "$work/www" \
  -d opcache.enable=1 >"$work/zfpm.log" 2>&1 &
zfpm_pid=$!
body=
for _ in $(seq 100); do
  body=$(SCRIPT_FILENAME="$work/www/version.php" SCRIPT_NAME=/version.php REQUEST_METHOD=GET \
    cgi-fcgi -bind -connect "127.0.0.1:$port" 2>/dev/null | tr -d '\r' | sed '1,/^$/d') || true
  [ -z "$body" ] || break
  kill -0 "$zfpm_pid" 2>/dev/null || { cat "$work/zfpm.log" >&2; fail "zfpm exited"; }
  sleep 0.1
done
[ "$body" = "PHP $version ZTS 1 fpm-fcgi 1" ] ||
  { cat "$work/zfpm.log" >&2; fail "the request answered '$body', not 'PHP $version ZTS 1 fpm-fcgi 1'"; }
kill -TERM "$zfpm_pid"
wait "$zfpm_pid" || true
zfpm_pid=
say "passed: PHP $version from its release tarball serves in zfpm"
