#!/usr/bin/env bash
# The Debian package (docs/deploying.md): scripts/package builds zfpm_<version>_amd64.deb from this
# build's PHP prefix; `apt-get install ./zfpm_*.deb` into a clean Debian 12 root (a container of
# debian:bookworm-slim) then serves a page through nginx from the installed configuration, beside
# Debian's php8.2-fpm, takes over php8.2-fpm's pools, socket, php.ini and conf.d and gives them
# back, reopens its log under logrotate, and purges clean. The steps inside the container are
# tests/deploy/debian_package/inside.sh. Environment: ZFPM_BUILD_DIR, ZFPM_PHP_PREFIX (ctest).
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

build=${ZFPM_BUILD_DIR:-$deploy_root/build}
ensure_docker
base_image
trap docker_cleanup EXIT

# Beside build/ and with its build type, so that ccache has what build/ compiled.
say "scripts/package (log: ${build#"$deploy_root"/}-deb/)"
deb=$(bash "$deploy_root/scripts/package" --build-dir "$build-deb" --build-type RelWithDebInfo |
  tail -n 1) || fail "scripts/package failed"
say "built $(basename "$deb") ($(du -h "$deb" | cut -f1))"
depends=$(dpkg-deb -f "$deb" Depends)
grep -q "libc6" <<<"$depends" || fail "Depends was not computed: '$depends'"
grep -q "php" <<<"$depends" && fail "the package depends on a Debian PHP package: '$depends'"

name=zfpm-deploy-deb-$$
cleanup_container "$name"
# The host's downloaded packages are offered to the container's apt (nothing else is shared).
docker run -d --init --name "$name" --network bridge \
  -v "$(dirname "$deb"):/pkg:ro" \
  -v "$deploy_root/tests/deploy/debian_package:/test:ro" \
  -v /var/cache/apt/archives:/var/cache/apt/archives \
  "$BASE_IMAGE" sleep infinity >/dev/null || fail "docker run failed"
docker exec "$name" bash /test/inside.sh "/pkg/$(basename "$deb")" || fail "inside the container (above)"
say "PASSED"
