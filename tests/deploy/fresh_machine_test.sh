#!/usr/bin/env bash
# The README's two commands on a fresh Debian 12 machine: a clean debian:bookworm-slim container
# with nothing installed gets the tree as a clean clone has it (the files git tracks) and runs
# `scripts/run` (zfpm behind Caddy serves examples/, then Ctrl-C stops both) and `scripts/test`
# (tests/deploy/fresh_machine/inside.sh). The PHP build cache is mounted, so that PHP is not built
# a second time, and so are ccache's and apt's downloads: the rest (apt-get install of every
# package scripts/setup names, zfpm's build, the tests) happens as on a new machine.
# The deploy tests themselves run on the host, which has Docker; inside, ctest runs the rest.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

ensure_docker
base_image
trap 'docker_cleanup; rm -rf "$src"' EXIT

src=$(mktemp -d "${TMPDIR:-/tmp}/zfpm-fresh.XXXXXX")
git -C "$deploy_root" rev-parse --git-dir >/dev/null 2>&1 || fail "not a git checkout: $deploy_root"
(cd "$deploy_root" && git ls-files -z | tar --null -T - -cf -) | tar -xf - -C "$src" ||
  fail "copying the tracked files"

cache=${XDG_CACHE_HOME:-$HOME/.cache}
mkdir -p "$cache/zfpm" "$cache/ccache"
name=zfpm-deploy-fresh-$$
cleanup_container "$name"
say "README's commands in a clean $BASE_IMAGE (log on stderr)"
docker run --rm --init --name "$name" --network bridge -e HOME="$HOME" -e CI=true \
  -e ZFPM_FRESH_TEST_ARGS="${ZFPM_FRESH_TEST_ARGS:-}" \
  -v "$src:/src" -v "$cache/zfpm:$cache/zfpm" -v "$cache/ccache:$cache/ccache" \
  -v /var/cache/apt/archives:/var/cache/apt/archives \
  "$BASE_IMAGE" bash /src/tests/deploy/fresh_machine/inside.sh </dev/null ||
  fail "the README's commands failed on a fresh machine (above)"
say "PASSED"
