#!/usr/bin/env bash
# The zfpm image (deploy/docker/Dockerfile), built from this build tree: the official php:*-fpm
# image's conventions (paths, port, user, signals, logs, healthcheck), a request served through
# the bridge network, an image built FROM it with code and an ini file, a graceful docker stop
# with a request under way, and its size.
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
source "$here/lib.sh"
source "$here/containers.sh"

work=$(mktemp -d "${TMPDIR:-/tmp}/zfpm-image-test.XXXXXX")
trap 'docker_cleanup; rm -rf "$work"' EXIT
ensure_docker
base_image
image=$deploy_name-zfpm:image-test
zfpm_image "$image"
zfpm_load=${ZFPM_BUILD_DIR}/zfpm-load
[ -x "$zfpm_load" ] || fail "no zfpm-load in $ZFPM_BUILD_DIR"

expect() { # what, got, wanted
  [ "$2" = "$3" ] || fail "$1: got '$2', expected '$3'"
  say "ok: $1 = $3"
}
contains() { # what, text, needle
  grep -qF -- "$3" <<<"$2" || { printf '%s\n' "$2" | tail -n 20 >&2; fail "$1: no '$3'"; }
  say "ok: $1 has '$3'"
}

# --- 1. What docker inspect shows: php:8.2-fpm's settings ------------------------------------
inspect() { docker image inspect -f "$1" "$image"; }
expect "STOPSIGNAL" "$(inspect '{{.Config.StopSignal}}')" SIGQUIT
expect "WORKDIR" "$(inspect '{{.Config.WorkingDir}}')" /var/www/html
expect "EXPOSE" "$(inspect '{{range $p, $v := .Config.ExposedPorts}}{{$p}} {{end}}')" "9000/tcp "
expect "ENTRYPOINT" "$(inspect '{{json .Config.Entrypoint}}')" '["docker-php-entrypoint"]'
expect "CMD" "$(inspect '{{json .Config.Cmd}}')" '["zfpm"]'
expect "HEALTHCHECK" "$(inspect '{{json .Config.Healthcheck.Test}}')" '["CMD","zfpm-healthcheck"]'
contains "ENV" "$(inspect '{{json .Config.Env}}')" '"PHP_INI_DIR=/usr/local/etc/php"'

# --- 2. Files where the official image has them; no compiler -----------------------------------
files=$(docker run --rm --entrypoint sh "$image" -c '
  for f in /usr/local/sbin/zfpm /usr/local/sbin/php-fpm /usr/local/bin/zfpm-load /usr/local/bin/php \
    /usr/local/bin/zfpm-ext \
    /usr/local/etc/php-fpm.conf /usr/local/etc/php-fpm.d/www.conf \
    /usr/local/etc/php-fpm.d/docker.conf /usr/local/etc/php-fpm.d/zz-docker.conf \
    /usr/local/etc/php/php.ini /usr/local/etc/php/php.ini-production \
    /usr/local/etc/php/php.ini-development /usr/local/etc/php/conf.d/docker-fpm.ini; do
    [ -e "$f" ] && echo "present $f" || echo "missing $f"
  done
  for tool in cc gcc g++ c++ make ld; do command -v "$tool" >/dev/null && echo "compiler $tool"; done
  find /usr/local -type f \( -perm /111 -o -name "*.so" \) -exec ldd {} + 2>/dev/null |
    grep "not found" | sed "s/^/unresolved /"
  stat -c "html %U %a" /var/www/html
  true')
if grep -E '^(missing|compiler|unresolved)' <<<"$files"; then fail "the image's files (above)"; fi
say "ok: the official image's paths, no compiler, every library found"
expect "/var/www/html" "$(grep '^html' <<<"$files")" "html www-data 1777"
info=$(docker run --rm "$image" -i)
contains "zfpm -i" "$info" "Loaded Configuration File => /usr/local/etc/php/php.ini"
contains "zfpm -i" "$info" "Scan this dir for additional .ini files => /usr/local/etc/php/conf.d"
contains "docker run IMAGE -v (options go to zfpm)" "$(docker run --rm "$image" -v)" "(zfpm "

# --- 3. Serving: the application and an ini file mounted as for php:8.2-fpm ------------------
mkdir -p "$work/app" "$work/conf.d"
cat >"$work/app/info.php" <<'PHP'
<?php
error_log('zfpm-image-test: error_log line');
echo json_encode([
    'sapi' => PHP_SAPI,
    'user' => posix_getpwuid(posix_geteuid())['name'],
    'env' => getenv('ZFPM_IMAGE_TEST'),
    'memory_limit' => ini_get('memory_limit'),
    'display_errors' => ini_get('display_errors'),
    'cwd' => getcwd(),
]);
PHP
cat >"$work/app/sleep.php" <<'PHP'
<?php
usleep((int) ($_GET['ms'] ?? 1000) * 1000);
echo 'slept';
PHP
printf 'memory_limit = 77M\n' >"$work/conf.d/zz-test.ini"
chmod -R a+rX "$work"
name=$deploy_name-image-test
cleanup_container "$name"
docker run -d --name "$name" -e ZFPM_IMAGE_TEST=from-docker-run \
  -v "$work/app:/var/www/html:ro" -v "$work/conf.d/zz-test.ini:/usr/local/etc/php/conf.d/zz-test.ini:ro" \
  "$image" >/dev/null
wait_healthy "$name"
say "ok: healthy (zfpm-healthcheck: zfpm-load --once for /ping)"
ip=$(docker inspect -f '{{range .NetworkSettings.Networks}}{{.IPAddress}}{{end}}' "$name")
# `php`, the CLI, reads the same php.ini and conf.d.
expect "php -r in the image" "$(docker run --rm \
  -v "$work/conf.d/zz-test.ini:/usr/local/etc/php/conf.d/zz-test.ini:ro" "$image" \
  php -r 'echo php_ini_loaded_file(), " ", ini_get("memory_limit"), " ", PHP_ZTS;')" \
  "/usr/local/etc/php/php.ini 77M 1"
answer=$("$zfpm_load" --once "$ip:9000" /var/www/html/info.php | sed '1,/^\r*$/d')
expect "a request over the bridge network" "$answer" \
  '{"sapi":"fpm-fcgi","user":"www-data","env":"from-docker-run","memory_limit":"77M","display_errors":"","cwd":"\/var\/www\/html"}'
# [::]:9000: one dual-stack socket (port 9000 is 2328 in /proc/net/tcp6; 0A is LISTEN).
listening=$(docker exec "$name" cat /proc/net/tcp6 |
  awk '$2 == "00000000000000000000000000000000:2328" && $4 == "0A" { print "[::]:9000" }')
expect "listening" "$listening" "[::]:9000"
logs=$(docker logs "$name" 2>&1)
contains "the container's log" "$logs" "ready to handle connections"
contains "the container's log (PHP's error_log)" "$logs" "zfpm-image-test: error_log line"
contains "the container's log (access.log)" "$logs" "GET /info.php"

# --- 4. docker stop: SIGQUIT lets the request under way finish --------------------------------
"$zfpm_load" --once -q ms=2000 "$ip:9000" /var/www/html/sleep.php >"$work/slow.out" 2>&1 &
slow=$!
sleep 0.5
started=$SECONDS
docker stop -t 30 "$name" >/dev/null
stop_seconds=$((SECONDS - started))
wait "$slow" || { cat "$work/slow.out" >&2; fail "the request under way during docker stop failed"; }
contains "the request under way during docker stop" "$(cat "$work/slow.out")" "slept"
expect "exit code after docker stop" "$(docker inspect -f '{{.State.ExitCode}}' "$name")" 0
contains "the log after docker stop" "$(docker logs "$name" 2>&1)" "exiting, bye-bye!"
[ "$stop_seconds" -le 8 ] || fail "docker stop took $stop_seconds s, more than process_control_timeout"
say "ok: docker stop took $stop_seconds s with a 2 s request under way"

# --- 5. FROM the image: code and php.ini as users add them to php:8.2-fpm -------------------------
mkdir -p "$work/derived/src"
cp "$work/app/info.php" "$work/derived/src/"
cat >"$work/derived/Dockerfile" <<DOCKERFILE
FROM $image
RUN mv "\$PHP_INI_DIR/php.ini-development" "\$PHP_INI_DIR/php.ini"
COPY src/ /var/www/html/
DOCKERFILE
derived=$deploy_name-zfpm:image-test-derived
cleanup_image "$derived"
DOCKER_BUILDKIT=1 docker build -q -t "$derived" "$work/derived" >/dev/null
derived_name=$deploy_name-image-test-derived
cleanup_container "$derived_name"
docker run -d --name "$derived_name" "$derived" >/dev/null
wait_healthy "$derived_name"
answer=$(docker exec "$derived_name" zfpm-load --once 127.0.0.1:9000 /var/www/html/info.php |
  sed '1,/^\r*$/d')
contains "an image FROM zfpm with php.ini-development" "$answer" '"display_errors":"1"'
docker rm -f "$derived_name" >/dev/null

# --- 6. Size ------------------------------------------------------------------------------------
bytes=$(inspect '{{.Size}}')
base_bytes=$(docker image inspect -f '{{.Size}}' "$BASE_IMAGE")
compressed=$(docker save "$image" | gzip -6 | wc -c)
say "size: $((bytes / 1000000)) MB on disk ($(((bytes - base_bytes) / 1000000)) MB over $BASE_IMAGE)," \
  "$((compressed / 1000000)) MB compressed"
say "PASSED"
