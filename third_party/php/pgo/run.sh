#!/usr/bin/env bash
# The training run of libphp's profile-guided build (build.sh, docs/building.md): in a PHP source
# tree built with -fprofile-generate, builds train.c against its libphp.so and runs the training
# site (site/), the smallest request (hello.php) and PHP's own Zend/bench.php as web requests,
# with opcache on. Each run leaves its counts in the tree's .gcda files, which the second build
# (-fprofile-use) reads. A request that fails fails the run, and the build with it.
# usage: run.sh SOURCE_TREE
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
src=$(cd "$1" && pwd)
work=$(mktemp -d "${TMPDIR:-/tmp}/zfpm-pgo.XXXXXX")
trap 'rm -rf "$work"' EXIT
log() { echo "php-pgo: $*" >&2; }

cc -O1 -o "$work/train" "$here/train.c" -I"$src" -I"$src/main" -I"$src/Zend" -I"$src/TSRM" \
  -I"$src/ext" -I"$src/ext/date/lib" -L"$src/libs" -lphp -Wl,-rpath,"$src/libs"
mkdir -p "$work/sessions" "$work/uploads"
cat >"$work/php.ini" <<INI
zend_extension = $src/modules/opcache.so
opcache.enable = 1
opcache.memory_consumption = 64
memory_limit = 256M
error_reporting = E_ALL
display_errors = 0
log_errors = 1
date.timezone = UTC
session.save_path = $work/sessions
session.gc_probability = 0
upload_tmp_dir = $work/uploads
INI
printf 'name=Ann+Example&email=ann%%40example.org&stars=4&comment=%s' "$(printf 'word+%.0s' $(seq 200))" \
  >"$work/review.txt"
printf 'name=&email=not-an-address&stars=9' >"$work/bad-review.txt"
boundary=zfpm-pgo-boundary
for i in 1 2 3; do
  printf -- '--%s\r\nContent-Disposition: form-data; name="file%d"; filename="f%d.bin"\r\n' \
    "$boundary" "$i" "$i"
  printf 'Content-Type: application/octet-stream\r\n\r\n'
  head -c $((i * 20000)) /dev/zero | tr '\0' "$i"
  printf '\r\n'
done >"$work/upload.txt"
printf -- '--%s\r\nContent-Disposition: form-data; name="note"\r\n\r\nthree files\r\n--%s--\r\n' \
  "$boundary" "$boundary" >>"$work/upload.txt"

train() { # repeat script method query [content_type body]
  log "$2 ${4:+?$4} ($3, $1 requests)"
  (cd "$work" && ./train "$work/php.ini" "$1" "$2" "$3" "$4" "PHPSESSID=pgotraining01" \
    "${@:5}" >/dev/null)
}
site=$here/site/index.php
form=application/x-www-form-urlencoded
train 3000 "$site" GET 'route=/products&page=2'
train 2000 "$site" GET 'route=/products/7'
train 1000 "$site" GET 'route=/'
train 1000 "$site" GET 'route=/api/products'
train 500 "$site" GET 'route=/feed'
train 1500 "$site" GET 'route=/text'
train 200 "$site" GET 'route=/missing'
train 1000 "$site" POST 'route=/products/7/review' "$form" "$work/review.txt"
train 500 "$site" POST 'route=/products/7/review' "$form" "$work/bad-review.txt"
train 300 "$site" POST 'route=/upload' "multipart/form-data; boundary=$boundary" "$work/upload.txt"
train 5000 "$here/hello.php" GET 'n=1'
train 1 "$src/Zend/bench.php" GET ''
