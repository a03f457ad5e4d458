#!/usr/bin/env bash
# Runs php-fpm's own test suite (sapi/fpm/tests/*.phpt of Debian's php8.2 source package) against
# zfpm and compares each result with tests/compat/fpm-suite/expected.txt.
#
# usage: tests/compat/fpm-suite/run.sh [--zfpm BINARY] [--keep] [--show-diff] [TEST...]
#   --zfpm BINARY   the zfpm to test (default: build/zfpm)
#   --keep          keep the temporary copy of the tests (its path is printed), with the
#                   .out/.diff/.log files run-tests.php leaves for each failed test
#   --show-diff     print run-tests.php's diff for every test that does not pass
#   TEST...         run only these tests (names as in expected.txt, e.g. bug78323 main-version)
#
# Environment: ZFPM_PHP_PREFIX (the ZTS PHP whose CLI runs the tests; default: the prefix
# third_party/php/build.sh prints), ZFPM_PHP_DEB_VERSION (source package version, as build.sh),
# ZFPM_FPM_SUITE_TIMEOUT (seconds per test, default 15).
#
# Exit status: 0 when every test expected PASS passed; 1 on a regression (a test expected PASS
# that did not pass); 77 when the PHP source tree cannot be obtained (ctest reports a skip);
# 2 on a usage or setup error.
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
root=$(cd "$here/../../.." && pwd)
expected_file=$here/expected.txt

say() { echo "fpm-suite: $*" >&2; }

zfpm=$root/build/zfpm
keep=0
show_diff=0
only=()
while [ $# -gt 0 ]; do
  case $1 in
    --zfpm)
      zfpm=$2
      shift
      ;;
    --keep) keep=1 ;;
    --show-diff) show_diff=1 ;;
    -h | --help)
      sed -n '2,/^set -euo/{/^set -euo/d;s/^# \{0,1\}//;p}' "${BASH_SOURCE[0]}"
      exit 0
      ;;
    -*)
      say "unknown option '$1' (try --help)"
      exit 2
      ;;
    *) only+=("${1%.phpt}") ;;
  esac
  shift
done

if [ ! -x "$zfpm" ]; then
  say "no zfpm binary at $zfpm (build it, or pass --zfpm)"
  exit 2
fi
zfpm=$(cd "$(dirname "$zfpm")" && pwd)/$(basename "$zfpm")

# --- The ZTS PHP CLI and the source tree of the same version --------------------------------

prefix=${ZFPM_PHP_PREFIX:-}
if [ -z "$prefix" ]; then
  prefix=$(bash "$root/third_party/php/build.sh" | tail -n 1)
fi
php=$prefix/bin/php
if [ ! -x "$php" ]; then
  say "no PHP CLI at $php"
  exit 2
fi

version=${ZFPM_PHP_DEB_VERSION:-8.2.32-1~deb12u1}
upstream=${version%%-*}
cache=${XDG_CACHE_HOME:-$HOME/.cache}/zfpm
src=$cache/php-src-$upstream

# The unpacked source package (with Debian's patches) is kept in the cache, never modified: the
# tests run from a copy. apt-get source needs the deb-src entry third_party/php/build.sh adds.
if [ ! -f "$src/sapi/fpm/tests/tester.inc" ] || [ ! -f "$src/run-tests.php" ]; then
  say "fetching the php8.2=$version source package into $src"
  mkdir -p "$cache"
  fetch=$(mktemp -d "$cache/php-src-fetch.XXXXXX")
  chmod 755 "$fetch"  # apt downloads as the _apt user where it can
  if (cd "$fetch" && apt-get source -q "php8.2=$version" >"$fetch.log" 2>&1) &&
    unpacked=$(find "$fetch" -mindepth 1 -maxdepth 1 -type d -name 'php8.2-*' | head -n 1) &&
    [ -n "$unpacked" ] && [ -f "$unpacked/sapi/fpm/tests/tester.inc" ]; then
    rm -rf "$src"
    mv "$unpacked" "$src"
    rm -rf "$fetch" "$fetch.log"
  else
    tail -n 5 "$fetch.log" >&2
    rm -rf "$fetch" "$fetch.log"
    say "SKIP: cannot obtain the php8.2 source package (apt-get source php8.2=$version failed;"
    say "      is there a deb-src entry? third_party/php/build.sh adds one)"
    exit 77
  fi
fi

# --- A copy of the tests that finds zfpm as its php-fpm --------------------------------------

# Tester::findExecutable() looks at <TEST_PHP_EXECUTABLE minus two components>/fpm/php-fpm and
# .../sbin/php-fpm first, then at sapi/fpm/php-fpm beside the tests directory.
php_root=$(dirname "$(dirname "$php")")
php_root=$(dirname "$php_root")
for shadow in "$php_root/fpm/php-fpm" "$php_root/sbin/php-fpm"; do
  if [ -e "$shadow" ]; then
    say "$shadow exists and would be tested instead of zfpm; move it away"
    exit 2
  fi
done

work=$(mktemp -d "${TMPDIR:-/tmp}/zfpm-fpm-suite.XXXXXX")
# Pools that drop to another user (bug80669: www-data) must reach the scripts in the copy.
chmod 755 "$work"
if [ "$keep" = 1 ]; then
  say "keeping the copy in $work"
else
  trap 'rm -rf "$work"' EXIT
fi
mkdir -p "$work/sapi/fpm" "$work/ext/standard/tests/misc"
cp -R "$src/sapi/fpm/tests" "$work/sapi/fpm/tests"
# A symlink, not a wrapper: the tester signals the pid it started, and zfpm's reload re-executes
# argv[0].
ln -s "$zfpm" "$work/sapi/fpm/php-fpm"
# Tester::signal() runs "kill -SIG <pid from the pid file>", and the pid is 0 when the file is
# missing: "kill -USR2 0" would signal run-tests.php's whole process group. Refuse instead (in the
# copy), and run run-tests.php in a session of its own (setsid below) so ctest never gets hit.
tester=$work/sapi/fpm/tests/tester.inc
# shellcheck disable=SC2016 # PHP code, not shell
guarded='if ((int)$pid <= 0) { return $this->error("no master pid to signal"); }'
sed -i "s|^\( *\)return exec(\"kill -\$signal \$pid\");|\1$guarded\n&|" "$tester"
if ! grep -qF "$guarded" "$tester"; then
  say "could not guard Tester::signal() in $tester (has tester.inc changed?)"
  exit 2
fi
# gh12621 points php_admin_value[browscap] at ../../../ext/standard/tests/misc/browscap.ini.
ln -s "$src/ext/standard/tests/misc/browscap.ini" "$work/ext/standard/tests/misc/browscap.ini"

tests=()
if [ "${#only[@]}" -gt 0 ]; then
  for name in "${only[@]}"; do
    if [ ! -f "$work/sapi/fpm/tests/$name.phpt" ]; then
      say "no test named '$name' in sapi/fpm/tests"
      exit 2
    fi
    tests+=("sapi/fpm/tests/$name.phpt")
  done
else
  tests=(sapi/fpm/tests)
fi

# --- Run -------------------------------------------------------------------------------------

results=$work/results.txt
run_log=$work/run-tests.log
say "running php-fpm's tests against $zfpm with $php"
started=$SECONDS
(
  cd "$work"
  # The tests start "php-fpm" with the environment they choose; these reach the tests and the
  # tester only. TEST_FPM_RUN_AS_ROOT: as root, every test would skip without it, and the
  # tester passes --allow-to-run-as-root. A background job is no group leader, so setsid makes
  # this very process the leader of a new session (no fork): its pid names the whole group.
  exec setsid env NO_INTERACTION=1 TEST_FPM_RUN_AS_ROOT=1 SKIP_ONLINE_TESTS=1 \
    "$php" "$src/run-tests.php" -p "$php" -q --no-color --no-progress \
    --set-timeout "${ZFPM_FPM_SUITE_TIMEOUT:-15}" --show-slow 3000 -W "$results" "${tests[@]}"
) >"$run_log" 2>&1 &
runner=$!
# Stopped from outside (ctest's timeout, ^C): take run-tests.php and every zfpm it started along.
trap 'kill -TERM -- "-$runner" 2>/dev/null; exit 143' TERM INT
wait "$runner" || true
trap - TERM INT
elapsed=$((SECONDS - started))
if [ ! -s "$results" ]; then
  cat "$run_log" >&2
  say "run-tests.php wrote no results"
  exit 2
fi

# --- Compare with expected.txt ---------------------------------------------------------------

# expected.txt: "<test> <PASS|SKIP|FAIL|XFAIL|FLAKY> [reason]" a line, '#' comments.
declare -A want reason got
while read -r name status why; do
  case $name in '' | '#'*) continue ;; esac
  case $status in
    PASS | SKIP | FAIL | XFAIL | FLAKY) ;;
    *)
      say "$expected_file: '$name' has an unknown status '$status'"
      exit 2
      ;;
  esac
  if [ "$status" != PASS ] && [ -z "$why" ]; then
    say "$expected_file: '$name' is $status without a reason"
    exit 2
  fi
  want[$name]=$status
  reason[$name]=$why
done <"$expected_file"

# results.txt: "<RESULT>ED\t<path>". WARNED is a pass with a remark (run-tests.php retries a
# test that failed for a known flaky reason, e.g. a port still in use, and warns when the retry
# passed); FAILED, BORKED, LEAKED and the rest are FAIL here.
while IFS=$'\t' read -r result path; do
  name=$(basename "$path" .phpt)
  case $result in
    PASSED | WARNED) got[$name]=PASS ;;
    SKIPPED) got[$name]=SKIP ;;
    XFAILED) got[$name]=XFAIL ;;
    *) got[$name]=FAIL ;;
  esac
done <"$results"

declare -A count=([PASS]=0 [SKIP]=0 [FAIL]=0 [XFAIL]=0)
regressions=()
improved=()
changed=()
unlisted=()
for name in $(printf '%s\n' "${!got[@]}" | sort); do
  result=${got[$name]}
  count[$result]=$((count[$result] + 1))
  expected=${want[$name]:-}
  if [ -z "$expected" ]; then
    unlisted+=("$name ($result)")
  elif [ "$result" = "$expected" ] || [ "$expected" = FLAKY ]; then
    :
  elif [ "$expected" = PASS ]; then
    regressions+=("$name: expected PASS, got $result")
  elif [ "$result" = PASS ]; then
    improved+=("$name: expected $expected (${reason[$name]}), now passes")
  else
    changed+=("$name: expected $expected, got $result")
  fi
done
# A test expected to pass that did not run at all (only when the whole suite ran).
if [ "${#only[@]}" = 0 ]; then
  for name in $(printf '%s\n' "${!want[@]}" | sort); do
    if [ -z "${got[$name]:-}" ] && [ "${want[$name]}" = PASS ]; then
      regressions+=("$name: expected PASS, did not run")
    fi
  done
fi

# The diff of each regression (or, with --show-diff, of every test that did not pass), cut short:
# the tester dumps the whole log on each mismatch.
for name in $(printf '%s\n' "${!got[@]}" | sort); do
  [ "${got[$name]}" != PASS ] || continue
  if [ "$show_diff" = 1 ] || [ "${want[$name]:-}" = PASS ]; then
    echo "--- $name: ${got[$name]} ---"
    if [ -f "$work/sapi/fpm/tests/$name.diff" ]; then
      head -c 6000 "$work/sapi/fpm/tests/$name.diff"
      echo
    else
      grep -F "[sapi/fpm/tests/$name.phpt]" "$run_log" || true
    fi
  fi
done

report() {
  local title=$1
  shift
  [ $# -gt 0 ] || return 0
  echo "$title:"
  printf '  %s\n' "$@"
}
report "REGRESSIONS (expected PASS)" "${regressions[@]}"
report "newly passing (update expected.txt)" "${improved[@]}"
report "changed (update expected.txt)" "${changed[@]}"
report "not in expected.txt" "${unlisted[@]}"
echo "fpm-suite: ${count[PASS]} pass, ${count[FAIL]} fail, ${count[SKIP]} skip," \
  "${count[XFAIL]} xfail (of ${#got[@]}); ${#regressions[@]} regressions; ${elapsed}s"
[ "${#regressions[@]}" = 0 ]
