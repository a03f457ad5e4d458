#!/usr/bin/env bash
# Builds thread-safe (ZTS) libphp and the php CLI from Debian's php8.2 source package into a cache
# prefix outside the work tree, and prints that prefix on its last line of stdout.
#
# The prefix is keyed by the Debian package version, configure-flags, the compiler and linker
# flags below and the patches in patches/ (applied in name order on top of Debian's), so a
# change to any of them builds anew and an unchanged set is reused in a second. Override it
# with ZFPM_PHP_PREFIX.
# Build logs go to stderr.
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
version=${ZFPM_PHP_DEB_VERSION:-8.2.32-1~deb12u1}
flags=$(sed -e 's/#.*//' -e '/^[[:space:]]*$/d' "$here/configure-flags")
# libphp is a shared library, and by default GCC and ld treat every exported function in it as
# one the program may replace: each call between PHP's own files goes through the PLT, and none
# of them is inlined. php-fpm, a position-independent executable, has neither cost. Nothing
# replaces PHP's functions here, so calls inside libphp bind to libphp (docs/building.md).
cflags="-g -O2 -fno-semantic-interposition"
ldflags="-Wl,-Bsymbolic-functions"
patches=$(find "$here/patches" -name '*.patch' 2>/dev/null | sort)
key=$( (printf '%s\n%s\n%s\n%s\n' "$version" "$flags" "$cflags" "$ldflags"
  for patch in $patches; do cat "$patch"; done) | sha256sum | cut -c1-12)
upstream=${version%%-*}
prefix=${ZFPM_PHP_PREFIX:-${XDG_CACHE_HOME:-$HOME/.cache}/zfpm/php-$upstream-zts-$key}
marker="$prefix/.zfpm-build-complete"

if [ -f "$marker" ] && [ -x "$prefix/bin/php-config" ]; then
  echo "$prefix"
  exit 0
fi

log() { echo "php-build: $*" >&2; }
log "building PHP $version (ZTS) into $prefix; this takes several minutes"

# The source package needs a deb-src entry for bookworm main (same mirror as the binary one).
if [ -z "$(apt-cache showsrc php8.2 2>/dev/null)" ]; then
  log "adding a deb-src entry for bookworm main"
  uri=$(sed -n 's/^URIs:[[:space:]]*//p' /etc/apt/sources.list.d/debian.sources 2>/dev/null | head -n 1)
  cat >/etc/apt/sources.list.d/zfpm-deb-src.sources <<SRC
Types: deb-src
URIs: ${uri:-http://deb.debian.org/debian}
Suites: bookworm
Components: main
Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg
SRC
  apt-get update -q >&2
fi

work=$(mktemp -d "${TMPDIR:-/tmp}/zfpm-php-build.XXXXXX")
trap 'rm -rf "$work"' EXIT
cd "$work"
log "fetching source package php8.2=$version"
apt-get source -q "php8.2=$version" >&2
src=$(find . -maxdepth 1 -type d -name 'php8.2-*' | head -n 1)
cd "$src"

for patch in $patches; do
  log "applying ${patch#"$here"/}"
  patch -p1 --forward --quiet <"$patch" >&2
done

# Debian's patches touch config.m4 files; regenerate configure as debian/rules does.
PHP_UNAME="Linux" ./buildconf --force >&2

rm -rf "$prefix"
# shellcheck disable=SC2086 # one flag a word, by design
CFLAGS=$cflags ./configure --prefix="$prefix" \
  --with-config-file-path="$prefix/etc" \
  --with-config-file-scan-dir="$prefix/etc/conf.d" \
  $flags >&2
# configure forgets LDFLAGS (it unsets them); libphp's link rule still reads them from make.
make -j"$(($(nproc) + 1))" LDFLAGS="$ldflags" >&2
make install >&2
mkdir -p "$prefix/etc/conf.d"
touch "$marker"
log "done: $prefix"
echo "$prefix"
