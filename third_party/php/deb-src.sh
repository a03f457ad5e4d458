#!/usr/bin/env bash
# apt-get source needs a deb-src entry: adds one for bookworm main (the mirror of the binary
# packages) when apt knows no source package PACKAGE (default php8.2), and updates the lists.
# Used by build.sh, and by the tests that fetch Debian source packages.
set -euo pipefail
package=${1:-php8.2}
[ -z "$(apt-cache showsrc "$package" 2>/dev/null)" ] || exit 0
echo "php-build: adding a deb-src entry for bookworm main" >&2
# A root whose sources are a one-line sources.list has no debian.sources: Debian's mirror then.
uri=$( (sed -n 's/^URIs:[[:space:]]*//p' /etc/apt/sources.list.d/debian.sources 2>/dev/null ||
  true) | head -n 1)
cat >/etc/apt/sources.list.d/zfpm-deb-src.sources <<SRC
Types: deb-src
URIs: ${uri:-http://deb.debian.org/debian}
Suites: bookworm
Components: main
Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg
SRC
apt-get update -q >&2
