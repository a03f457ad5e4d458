#!/usr/bin/env bash
# Inside a clean debian:bookworm-slim container (tests/deploy/fresh_machine_test.sh), as a new user
# would: the README's first command, then its second.
set -euo pipefail
cd /src

say() { echo "fresh: $*" >&2; }
fail() {
  say "FAILED: $*"
  exit 1
}

say "scripts/run"
# A process group of its own, as a terminal's foreground job: Ctrl-C is SIGINT to the group (an
# asynchronous command of a shell without job control would ignore SIGINT instead).
set -m
scripts/run >/tmp/run.out 2>/tmp/run.err &
run_pid=$!
set +m
started=$SECONDS
until grep -q "serving examples/ at http://" /tmp/run.err; do
  if ! kill -0 "$run_pid" 2>/dev/null; then
    cat /tmp/run.err >&2
    fail "scripts/run exited before serving"
  fi
  [ $((SECONDS - started)) -lt 3600 ] || fail "scripts/run does not serve after an hour"
  sleep 1
done
say "scripts/run served after $((SECONDS - started)) s"
url=$(sed -n 's|.*serving examples/ at \(http://[^ ]*\) .*|\1|p' /tmp/run.err | head -n 1)
page=$(curl -sf "$url") || fail "no answer from $url"
grep -q "zfpm demo" <<<"$page" || fail "$url did not serve the demo: $page"
kill -INT -- "-$run_pid"
status=0
wait "$run_pid" || status=$?
[ "$status" = 130 ] || { cat /tmp/run.err >&2; fail "scripts/run exited with $status after Ctrl-C"; }
say "scripts/run served the demo at $url and stopped on Ctrl-C"

say "scripts/test ${ZFPM_FRESH_TEST_ARGS:-}"
# shellcheck disable=SC2086 # the arguments split into words
scripts/test ${ZFPM_FRESH_TEST_ARGS:-} -- -LE deploy || fail "scripts/test"
say "done"
