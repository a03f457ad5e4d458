#!/usr/bin/env bash
# deploy/compose/compose.yaml as shipped: Caddy (caddy:2) in front of three zfpm replicas, the
# demo through Caddy on 127.0.0.1, requests spread over the replicas, and under wrk through Caddy:
# one replica stopped, then a rolling restart of all three, each with no failed request; then
# `compose stop` with a request under way, which finishes, within process_control_timeout.
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
source "$here/lib.sh"
source "$here/containers.sh"

work=$(mktemp -d "${TMPDIR:-/tmp}/zfpm-compose-test.XXXXXX")
project=${deploy_name//[^a-z0-9]/}compose
compose_file=$deploy_root/deploy/compose/compose.yaml
# shellcheck disable=SC2317 # called by the trap
finish() {
  compose -p "$project" -f "$compose_file" down -v --remove-orphans >/dev/null 2>&1 || true
  docker_cleanup
  rm -rf "$work"
}
trap finish EXIT
command -v wrk >/dev/null || fail "wrk not found (scripts/setup installs it)"
ensure_docker
base_image
caddy_image
export ZFPM_IMAGE=$deploy_name-zfpm:compose-test ZFPM_CADDY_IMAGE=$CADDY_IMAGE
zfpm_image "$ZFPM_IMAGE"

# The demo, and two scripts of the test's: which replica answered, and a slow request.
mkdir -p "$work/app"
cp -a "$deploy_root/examples/." "$work/app/"
printf '<?php echo gethostname();\n' >"$work/app/host.php"
printf '<?php usleep((int) ($_GET["ms"] ?? 1000) * 1000); echo "slept";\n' >"$work/app/sleep.php"
chmod -R a+rX "$work"
export ZFPM_APP_DIR=$work/app
ZFPM_HTTP_PORT=$(free_port)
export ZFPM_HTTP_PORT
url=http://127.0.0.1:$ZFPM_HTTP_PORT
dc() { compose -p "$project" -f "$compose_file" "$@"; }

say "compose up --scale zfpm=3 (Caddy on 127.0.0.1:$ZFPM_HTTP_PORT)"
dc up -d --no-build --scale zfpm=3 >"$work/up.log" 2>&1 || { cat "$work/up.log" >&2; fail "compose up"; }
mapfile -t replicas < <(dc ps -q zfpm)
[ "${#replicas[@]}" = 3 ] || fail "compose ps lists ${#replicas[@]} zfpm replicas, not 3"
for id in "${replicas[@]}"; do wait_healthy "$id"; done
tries=100
until curl -fsS -o "$work/index.html" "$url/"; do
  tries=$((tries - 1))
  [ "$tries" -gt 0 ] || { dc logs --tail 20 >&2; fail "Caddy does not serve $url/"; }
  sleep 0.1
done
grep -q 'fpm-fcgi' "$work/index.html" || fail "$url/ is not the demo page (examples/index.php)"
say "ok: the demo through Caddy at $url/"

# Caddy spreads requests over the three (dynamic upstreams, round robin).
for _ in $(seq 30); do curl -fsS "$url/host.php" && echo; done | sort -u >"$work/hosts"
[ "$(wc -l <"$work/hosts")" = 3 ] || { cat "$work/hosts" >&2; fail "30 requests reached fewer than 3 replicas"; }
say "ok: 30 requests answered by all 3 replicas"

# wrk through Caddy for SECONDS while ACTION runs; no request may fail.
under_load() { # label seconds action...
  local label=$1 seconds=$2 errors requests
  shift 2
  wrk -t 2 -c 16 -d "${seconds}s" --timeout 15s "$url/hello.php" >"$work/wrk.out" 2>&1 &
  local load=$!
  sleep 2
  "$@"
  wait "$load" || { cat "$work/wrk.out" >&2; fail "wrk failed"; }
  errors=$(wrk_errors "$work/wrk.out")
  requests=$(wrk_requests "$work/wrk.out")
  [ "$errors" = 0 ] || { cat "$work/wrk.out" >&2; fail "$label: $errors of $requests requests failed"; }
  [ "${requests:-0}" -gt 0 ] || { cat "$work/wrk.out" >&2; fail "$label: wrk made no request"; }
  say "ok: $label: $requests requests through Caddy, 0 failed"
}

stop_one() {
  docker stop -t 12 "${replicas[0]}" >/dev/null
  sleep 2
}
under_load "one of three replicas stopped (docker stop)" 8 stop_one
docker start "${replicas[0]}" >/dev/null
wait_healthy "${replicas[0]}"

rolling_restart() {
  local id
  for id in "${replicas[@]}"; do
    docker restart -t 12 "$id" >/dev/null
    wait_healthy "$id"
  done
}
under_load "a rolling restart of the three replicas" 30 rolling_restart

# compose stop: Caddy (SIGTERM) and zfpm (SIGQUIT) finish the request under way, then exit 0.
curl -fsS -o "$work/slow.out" "$url/sleep.php?ms=2000" &
slow=$!
sleep 0.5
started=$SECONDS
dc stop >"$work/stop.log" 2>&1 || { cat "$work/stop.log" >&2; fail "compose stop"; }
stop_seconds=$((SECONDS - started))
wait "$slow" || fail "the request under way during compose stop failed"
grep -qx slept "$work/slow.out" || fail "the request under way during compose stop: $(cat "$work/slow.out")"
for id in $(dc ps -q); do
  code=$(docker inspect -f '{{.State.ExitCode}}' "$id")
  [ "$code" = 0 ] || { docker logs --tail 20 "$id" >&2; fail "container $id exited with $code"; }
done
for id in "${replicas[@]}"; do
  grep -q 'exiting, bye-bye!' <<<"$(docker logs "$id" 2>&1)" || fail "replica $id did not log its exit"
done
# process_control_timeout of the image (php-fpm.d/docker.conf).
timeout=$(sed -n 's/^process_control_timeout = \([0-9]*\)s$/\1/p' \
  "$deploy_root/deploy/docker/php-fpm.d/docker.conf")
[ "$stop_seconds" -le "$timeout" ] ||
  fail "compose stop took $stop_seconds s, more than process_control_timeout ($timeout s)"
say "ok: compose stop in $stop_seconds s (process_control_timeout $timeout s), the 2 s request served, every container exited 0"
say "PASSED"
