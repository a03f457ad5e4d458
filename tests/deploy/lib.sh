#!/usr/bin/env bash
# Sourced by the deploy tests (tests/deploy/*_test.sh) and .ci/run: a Docker engine, and a clean
# Debian 12 image made here, since no registry is reachable. Functions print "deploy: ..." lines on
# stderr and exit the test (status 1) when something they need cannot be had: never a skip.
#
#   ensure_docker    starts dockerd when no engine answers (as root); stop_docker stops it again
#   base_image       debian:bookworm-slim from debootstrap --variant=minbase (the root file system
#                    is cached, so a second machine-local run imports it in seconds)
#   docker_cleanup   removes the containers and images a test registered with cleanup_*
set -euo pipefail

deploy_root=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
deploy_cache=${XDG_CACHE_HOME:-$HOME/.cache}/zfpm/deploy
mkdir -p "$deploy_cache"
# Debian's docker.io: its client matches its engine (another client may come first on PATH).
if [ -x /usr/bin/docker ]; then DOCKER=${ZFPM_DOCKER:-/usr/bin/docker}; else DOCKER=${ZFPM_DOCKER:-docker}; fi
BASE_IMAGE=${ZFPM_BASE_IMAGE:-debian:bookworm-slim}
# Not in the cache folder, which CI's container shares: its pids are the host's.
dockerd_pidfile=/run/zfpm-test-dockerd.pid

say() { echo "deploy: $*" >&2; }
fail() {
  say "FAILED: $*"
  exit 1
}

docker() { "$DOCKER" "$@"; }

ensure_docker() {
  if docker info >/dev/null 2>&1; then return 0; fi
  [ "$(id -u)" = 0 ] || fail "no Docker engine answers, and only root can start one"
  command -v dockerd >/dev/null || fail "dockerd not found (scripts/setup installs docker.io)"
  say "starting dockerd (log: $deploy_cache/dockerd.log)"
  dockerd >"$deploy_cache/dockerd.log" 2>&1 &
  echo $! >"$dockerd_pidfile"
  local tries=300
  until docker info >/dev/null 2>&1; do
    kill -0 "$(cat "$dockerd_pidfile")" 2>/dev/null ||
      { tail -n 20 "$deploy_cache/dockerd.log" >&2; fail "dockerd exited"; }
    tries=$((tries - 1))
    [ "$tries" -gt 0 ] || fail "dockerd did not answer within 30 s"
    sleep 0.1
  done
}

# Stops the dockerd that ensure_docker started (and nothing else).
stop_docker() {
  local pidfile=$dockerd_pidfile pid
  [ -f "$pidfile" ] || return 0
  pid=$(cat "$pidfile")
  rm -f "$pidfile"
  if kill -0 "$pid" 2>/dev/null && [ "$(cat "/proc/$pid/comm" 2>/dev/null)" = dockerd ]; then
    say "stopping dockerd ($pid)"
    kill -TERM "$pid"
    local tries=150
    while kill -0 "$pid" 2>/dev/null && [ "$tries" -gt 0 ]; do
      sleep 0.1
      tries=$((tries - 1))
    done
  fi
}

# debian:bookworm-slim as the registry's is made: a minbase debootstrap with the same three
# suites in its apt sources, no package lists, documentation or caches.
base_image() {
  if docker image inspect "$BASE_IMAGE" >/dev/null 2>&1; then return 0; fi
  local tarball=$deploy_cache/debian-bookworm-minbase.tar
  if [ ! -s "$tarball" ]; then
    command -v debootstrap >/dev/null || fail "debootstrap not found (scripts/setup installs it)"
    local dir mirror
    dir=$(mktemp -d "${TMPDIR:-/tmp}/zfpm-rootfs.XXXXXX")
    mirror=$(sed -n 's/^URIs:[[:space:]]*//p' /etc/apt/sources.list.d/debian.sources 2>/dev/null |
      head -n 1)
    mirror=${mirror:-http://deb.debian.org/debian}
    say "debootstrap --variant=minbase bookworm (about 90 s)"
    debootstrap --variant=minbase bookworm "$dir" "$mirror" >"$deploy_cache/debootstrap.log" 2>&1 ||
      { tail -n 20 "$deploy_cache/debootstrap.log" >&2; rm -rf "$dir"; fail "debootstrap failed"; }
    rm -f "$dir/etc/apt/sources.list"
    cat >"$dir/etc/apt/sources.list.d/debian.sources" <<SOURCES
Types: deb
URIs: $mirror
Suites: bookworm bookworm-updates
Components: main
Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg

Types: deb
URIs: ${mirror%/debian}/debian-security
Suites: bookworm-security
Components: main
Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg
SOURCES
    rm -rf "$dir"/var/lib/apt/lists/* "$dir"/var/cache/apt/*.bin "$dir"/var/cache/apt/archives/*.deb \
      "$dir"/usr/share/doc/* "$dir"/usr/share/man/* "$dir"/usr/share/info/* "$dir"/var/log/*.log
    tar -C "$dir" -cf "$tarball.part" . && mv "$tarball.part" "$tarball"
    rm -rf "$dir"
  fi
  say "importing $BASE_IMAGE"
  docker import -c 'CMD ["bash"]' "$tarball" "$BASE_IMAGE" >/dev/null || fail "docker import failed"
}

# What a test started, removed when it exits (by name: containers first, then images).
cleanup_containers=()
cleanup_images=()
cleanup_container() { cleanup_containers+=("$1"); }
cleanup_image() { cleanup_images+=("$1"); }
docker_cleanup() {
  local name
  for name in "${cleanup_containers[@]}"; do
    docker rm -f -v "$name" >/dev/null 2>&1 || true
  done
  for name in "${cleanup_images[@]}"; do
    docker rmi -f "$name" >/dev/null 2>&1 || true
  done
}
