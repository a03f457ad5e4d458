#!/usr/bin/env bash
# Inside a clean debian:bookworm-slim container (.ci/fresh-machine), at the root of a copy of the
# tree, as a new user would: the README's first command, then its second.
set -euo pipefail

say() { echo "fresh: $*" >&2; }
fail() {
  say "FAILED: $*"
  exit 1
}

logs=$(mktemp -d "${TMPDIR:-/tmp}/zfpm-fresh-run.XXXXXX")
trap 'rm -rf "$logs"' EXIT
say "scripts/run"
# A process group of its own, as a terminal's foreground job: Ctrl-C is SIGINT to the group (an
# asynchronous command of a shell without job control would ignore SIGINT instead).
set -m
scripts/run >"$logs/run.out" 2>"$logs/run.err" &
run_pid=$!
set +m
started=$SECONDS
until grep -q "serving examples/ at http://" "$logs/run.err"; do
  if ! kill -0 "$run_pid" 2>/dev/null; then
    cat "$logs/run.err" >&2
    fail "scripts/run exited before serving"
  fi
  [ $((SECONDS - started)) -lt 3600 ] || fail "scripts/run does not serve after an hour"
  sleep 1
done
say "scripts/run served after $((SECONDS - started)) s"
url=$(sed -n 's|.*serving examples/ at \(http://[^ ]*\) .*|\1|p' "$logs/run.err" | head -n 1)
page=$(curl -sf "$url") || fail "no answer from $url"
grep -q "zfpm demo" <<<"$page" || fail "$url did not serve the demo: $page"
kill -INT -- "-$run_pid"
status=0
wait "$run_pid" || status=$?
[ "$status" = 130 ] || { cat "$logs/run.err" >&2; fail "scripts/run exited with $status after Ctrl-C"; }
say "scripts/run served the demo at $url and stopped on Ctrl-C"

say "scripts/test ${ZFPM_FRESH_TEST_ARGS:-}"
# shellcheck disable=SC2086 # ZFPM_FRESH_TEST_ARGS (e.g. "--quick -- -R nginx") splits into words
scripts/test ${ZFPM_FRESH_TEST_ARGS:-} || fail "scripts/test"
say "done"
