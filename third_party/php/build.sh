#!/usr/bin/env bash
# Builds thread-safe (ZTS) libphp and the php CLI from Debian's php8.2 source package into a cache
# prefix outside the work tree, and prints that prefix on its last line of stdout.
#
# ZFPM_PHP_SOURCE=php-8.2.N.tar.xz builds from a PHP release tarball instead (.tar.xz, .tar.gz or
# .tar.bz2 as php.net publishes them), to follow PHP's security releases ahead of Debian's
# package; a tarball of another PHP than 8.2 is refused. ZFPM_PHP_CONFIGURE_FLAGS names another
# flags file than configure-flags. `build.sh --print-prefix` prints the prefix and builds nothing.
#
# ZFPM_PHP_PGO=1 makes the build profile-guided, for releases and benchmarks: PHP is built once
# instrumented, runs the training in pgo/ (a web site's requests through libphp.so, pgo/run.sh),
# and is built again with the profile it recorded (twice the time). By default it builds once.
#
# The prefix is keyed by the Debian package version (or the tarball's SHA-256), configure-flags, the compiler and linker
# flags below, the patches in patches/ (applied in name order on top of Debian's) and the
# training in pgo/, so a change to any of them builds anew and an unchanged set is reused in a
# second. Override it with ZFPM_PHP_PREFIX.
# Build logs go to stderr.
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
print_prefix=0
case ${1:-} in
  --print-prefix) print_prefix=1 ;;
  "") ;;
  *)
    echo "php-build: error: unknown argument '$1' (the only one is --print-prefix)" >&2
    exit 2
    ;;
esac
die() {
  echo "php-build: error: $*" >&2
  exit 1
}

version=${ZFPM_PHP_DEB_VERSION:-8.2.32-1~deb12u1}
upstream=${version%%-*}
# A release tarball: its version is read from main/php_version.h inside, not from its name.
tarball=${ZFPM_PHP_SOURCE:-}
if [ -n "$tarball" ]; then
  [ -f "$tarball" ] || die "ZFPM_PHP_SOURCE=$tarball: no such file"
  tarball=$(cd "$(dirname "$tarball")" && pwd)/$(basename "$tarball")
  # (head ends tar's listing early: its status is SIGPIPE's, and an empty name says it all.)
  top=$({ tar -tf "$tarball" 2>/dev/null || true; } | head -n 1)
  top=${top#./}
  top=${top%%/*}
  [ -n "$top" ] || die "ZFPM_PHP_SOURCE=$tarball: not a tar archive tar can read"
  upstream=$(tar -xOf "$tarball" "$top/main/php_version.h" 2>/dev/null |
    sed -n 's/^#define PHP_VERSION "\([^"]*\)".*/\1/p') || true
  [ -n "$upstream" ] ||
    die "ZFPM_PHP_SOURCE=$tarball: no $top/main/php_version.h in it: not a PHP source tarball"
  case $upstream in
    8.2.*) ;;
    *) die "ZFPM_PHP_SOURCE=$tarball is PHP $upstream; zfpm embeds PHP 8.2 (its SAPI and patches are written for 8.2): use a php-8.2.N tarball" ;;
  esac
  version="tarball $(sha256sum "$tarball" | cut -d' ' -f1)"
fi
flags_file=${ZFPM_PHP_CONFIGURE_FLAGS:-$here/configure-flags}
[ -f "$flags_file" ] || die "ZFPM_PHP_CONFIGURE_FLAGS=$flags_file: no such file"
flags=$(sed -e 's/#.*//' -e '/^[[:space:]]*$/d' "$flags_file")
# libphp is a shared library, and by default GCC and ld treat every exported function in it as
# one the program may replace: each call between PHP's own files goes through the PLT, and none
# of them is inlined. php-fpm, a position-independent executable, has neither cost. Nothing
# replaces PHP's functions here, so calls inside libphp bind to libphp (docs/building.md).
cflags="-g -O2 -fno-semantic-interposition"
ldflags="-Wl,-Bsymbolic-functions"
patches=$(find "$here/patches" -name '*.patch' 2>/dev/null | sort)
pgo=${ZFPM_PHP_PGO:-0}
# Counts the training never reached leave that code optimized as without a profile, not for size:
# the training is one site, and applications run code it does not. With the sizes of memcpy and
# memset known from the profile, GCC inlines them as `rep movsq`/`rep stosq` (its generic tuning
# for 33 to 8192 bytes), which costs more than glibc's copy for the short strings PHP moves:
# an output buffer's append took 12% of a templating request's CPU. They stay calls.
pgo_use="-fprofile-use -fprofile-partial-training -Wno-missing-profile"
pgo_use+=" -mmemcpy-strategy=libcall:-1:noalign -mmemset-strategy=libcall:-1:noalign"
# An instrumented ifunc resolver runs before the instrumentation is set up, and the training
# crashes as libphp.so loads: PHP picks its SSE/AVX variants (base64, addslashes) through
# function pointers set at startup instead, as it does under MemorySanitizer.
pgo_configure=(ax_cv_have_func_attribute_ifunc=no)
[ "$pgo" = 1 ] || pgo_configure=()
key=$( (printf '%s\n%s\n%s\n%s\n' "$version" "$flags" "$cflags" "$ldflags"
  for patch in $patches; do cat "$patch"; done
  if [ "$pgo" = 1 ]; then
    echo "$pgo_use ${pgo_configure[*]}"
    find "$here/pgo" -type f | sort | xargs cat
  fi) | sha256sum | cut -c1-12)
prefix=${ZFPM_PHP_PREFIX:-${XDG_CACHE_HOME:-$HOME/.cache}/zfpm/php-$upstream-zts-$key}
marker="$prefix/.zfpm-build-complete"
if [ "$print_prefix" = 1 ]; then
  echo "$prefix"
  exit 0
fi

if [ -f "$marker" ] && [ -x "$prefix/bin/php-config" ]; then
  echo "$prefix"
  exit 0
fi

log() { echo "php-build: $*" >&2; }
log "building PHP ${tarball:-$version} (ZTS) into $prefix; this takes several minutes"

# The source package needs a deb-src entry for bookworm main (same mirror as the binary one).
if [ -z "$tarball" ]; then bash "$here/deb-src.sh" php8.2; fi

work=$(mktemp -d "${TMPDIR:-/tmp}/zfpm-php-build.XXXXXX")
# ZFPM_PHP_KEEP=1 keeps the source tree of a build that failed, to look into it.
trap 'status=$?; if [ $status != 0 ] && [ -n "${ZFPM_PHP_KEEP:-}" ]; then
  log "kept the build tree: $work"; else rm -rf "$work"; fi' EXIT
cd "$work"
if [ -n "$tarball" ]; then
  log "unpacking $tarball (PHP $upstream)"
  tar -xf "$tarball"
  cd "$top"
else
  log "fetching source package php8.2=$version"
  apt-get source -q "php8.2=$version" >&2
  src=$(find . -maxdepth 1 -type d -name 'php8.2-*' | head -n 1)
  cd "$src"
fi

for patch in $patches; do
  log "applying ${patch#"$here"/}"
  patch -p1 --forward --quiet <"$patch" >&2
done

# Debian's patches touch config.m4 files; regenerate configure as debian/rules does (a release
# tarball's configure is regenerated too, with the same autoconf, so both builds configure alike).
PHP_UNAME="Linux" ./buildconf --force >&2

rm -rf "$prefix"
# shellcheck disable=SC2086 # one flag a word, by design
env "${pgo_configure[@]}" CFLAGS="$cflags" ./configure --prefix="$prefix" \
  --with-config-file-path="$prefix/etc" \
  --with-config-file-scan-dir="$prefix/etc/conf.d" \
  $flags >&2
# configure forgets LDFLAGS (it unsets them); libphp's link rule still reads them from make.
jobs=$(($(nproc) + 1))
if [ "$pgo" = 1 ]; then
  log "profile-guided: the instrumented build"
  CCACHE_DISABLE=1 make -j"$jobs" PROF_FLAGS=-fprofile-generate LDFLAGS="$ldflags" >&2
  find . -name '*.gcda' -delete
  log "profile-guided: the training (pgo/run.sh)"
  "$here/pgo/run.sh" "$PWD"
  log "profile-guided: the build with the profile"
  make prof-clean >&2
  CCACHE_DISABLE=1 make -j"$jobs" PROF_FLAGS="$pgo_use" LDFLAGS="$ldflags" >&2
else
  make -j"$jobs" LDFLAGS="$ldflags" >&2
fi
make install >&2
# PHP's two php.ini templates, as Debian keeps them in /usr/lib/php/8.2: an install of zfpm takes
# the production one as its php.ini.
cp php.ini-production php.ini-development "$prefix/lib/php/"
mkdir -p "$prefix/etc/conf.d"
touch "$marker"
log "done: $prefix"
echo "$prefix"
