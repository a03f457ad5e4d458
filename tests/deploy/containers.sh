#!/usr/bin/env bash
# Sourced by the container tests (image_test.sh, compose_test.sh, kubernetes_test.sh), after
# lib.sh: the images they run and the helpers they share.
#
#   caddy_image          caddy:2, the official image's stand-in built from Debian's caddy package
#                        (tests/deploy/caddy/Dockerfile) when no image of that name is there
#   zfpm_image TAG       deploy/docker/Dockerfile built from this build tree (ZFPM_BUILD_DIR,
#                        ZFPM_PHP_PREFIX) installed for the image's layout, not from source; or,
#                        with ZFPM_DEPLOY_IMAGE set, that image (one built from source, say)
#   free_port            a TCP port nothing listens on at 127.0.0.1
#   wait_healthy NAME    until the container's HEALTHCHECK says healthy (60 s at most)
#   compose ARGS...      `docker compose` (v2) when the client has it, else docker-compose 1.x
#   wrk_errors FILE      the failed requests wrk's report in FILE counts (socket errors, non-2xx/3xx)
# Names of what the tests create start with $ZFPM_DEPLOY_NAME (default zfpm-deploy-<pid>: two
# runs on one Docker engine, a developer's and CI's, never share a compose project).
# shellcheck disable=SC2154 # deploy_root, deploy_cache: lib.sh, sourced first
set -euo pipefail

# shellcheck disable=SC2034 # used by the tests that source this file
deploy_name=${ZFPM_DEPLOY_NAME:-zfpm-deploy-$$}
CADDY_IMAGE=${ZFPM_CADDY_IMAGE:-caddy:2}

caddy_image() {
  if docker image inspect "$CADDY_IMAGE" >/dev/null 2>&1; then return 0; fi
  say "building $CADDY_IMAGE from Debian's caddy package (tests/deploy/caddy/Dockerfile)"
  DOCKER_BUILDKIT=1 docker build -q -t "$CADDY_IMAGE" "$deploy_root/tests/deploy/caddy" \
    >"$deploy_cache/caddy-build.log" 2>&1 ||
    { tail -n 30 "$deploy_cache/caddy-build.log" >&2; fail "building $CADDY_IMAGE failed"; }
}

# The install tree of the image: this build's sources and PHP prefix, configured for the prefix
# /usr/local with php-fpm's directories (deploy/docker/Dockerfile's source stage does the same),
# in a build tree of its own beside ZFPM_BUILD_DIR, which ccache makes quick to build.
install_tree() {
  local dest=$1
  local build=${ZFPM_BUILD_DIR:?ZFPM_BUILD_DIR is not set}/image-layout
  local php=${ZFPM_PHP_PREFIX:?ZFPM_PHP_PREFIX is not set}
  local -a args=(-S "$deploy_root" -B "$build" -DZFPM_PHP_PREFIX="$php" -DZFPM_TESTS=OFF
    -DCMAKE_BUILD_TYPE=RelWithDebInfo -DCMAKE_INSTALL_PREFIX=/usr/local -DZFPM_CONFDIR=etc
    -DZFPM_POOL_DIR=etc/php-fpm.d -DZFPM_PHP_INI_DIR=etc/php)
  if command -v ccache >/dev/null; then
    args+=(-DCMAKE_CXX_COMPILER_LAUNCHER=ccache -DCMAKE_C_COMPILER_LAUNCHER=ccache)
    export CCACHE_BASEDIR=$deploy_root CCACHE_NOHASHDIR=1
  fi
  local log=$deploy_cache/image-install.log
  say "building zfpm for the image's layout in $build"
  { cmake "${args[@]}" && cmake --build "$build" -j"${ZFPM_JOBS:-$(nproc)}" &&
    DESTDIR=$dest cmake --install "$build"; } >"$log" 2>&1 ||
    { tail -n 40 "$log" >&2; fail "the image's install tree did not build (log: $log)"; }
  # As the Dockerfile's source stage: no debug information in the image.
  find "$dest" -type f \( -perm /111 -o -name '*.so' \) \
    -exec sh -c 'for f; do strip --strip-unneeded "$f" 2>/dev/null || :; done' sh {} +
}

zfpm_image() {
  local tag=$1 context
  if [ -n "${ZFPM_DEPLOY_IMAGE:-}" ]; then
    say "testing $ZFPM_DEPLOY_IMAGE (ZFPM_DEPLOY_IMAGE)"
    docker tag "$ZFPM_DEPLOY_IMAGE" "$tag" || fail "no image $ZFPM_DEPLOY_IMAGE"
    cleanup_image "$tag"
    return 0
  fi
  context=$(mktemp -d "${TMPDIR:-/tmp}/zfpm-image.XXXXXX")
  mkdir -p "$context/deploy"
  cp -a "$deploy_root/deploy/docker" "$context/deploy/"
  rm -rf "$context/deploy/docker/image-root"
  install_tree "$context/deploy/docker/image-root"
  say "building $tag from the install tree (deploy/docker/Dockerfile, ZFPM_FROM=tree)"
  cleanup_image "$tag"
  local status=0
  DOCKER_BUILDKIT=1 docker build -f "$context/deploy/docker/Dockerfile" --build-arg ZFPM_FROM=tree \
    -t "$tag" "$context" >"$deploy_cache/image-build.log" 2>&1 || status=$?
  rm -rf "$context"
  [ "$status" = 0 ] ||
    { tail -n 40 "$deploy_cache/image-build.log" >&2; fail "docker build of $tag failed"; }
}

free_port() {
  python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

wait_healthy() {
  local name=$1 tries=600 status
  while :; do
    status=$(docker inspect -f '{{.State.Health.Status}}' "$name" 2>/dev/null || echo gone)
    [ "$status" = healthy ] && return 0
    [ "$status" != gone ] || fail "container $name is gone"
    tries=$((tries - 1))
    [ "$tries" -gt 0 ] || { docker logs --tail 30 "$name" >&2; fail "$name is not healthy after 60 s"; }
    sleep 0.1
  done
}

compose() {
  if docker compose version >/dev/null 2>&1; then
    docker compose "$@"
  else
    command -v docker-compose >/dev/null || fail "neither docker compose nor docker-compose"
    docker-compose "$@"
  fi
}

# wrk prints "Socket errors: connect C, read R, write W, timeout T" and
# "Non-2xx or 3xx responses: N" only when there are some.
wrk_errors() {
  awk '/Socket errors:/ { gsub(",", ""); n += $4 + $6 + $8 + $10 }
       /Non-2xx or 3xx responses:/ { n += $NF }
       END { print n + 0 }' "$1"
}

wrk_requests() {
  awk '/requests in/ { print $1 }' "$1"
}
