#!/bin/sh
# Runs every test: the Check unit suites, the man page lint, and the
# integration scripts in test/integ/ (exit 0 pass, 77 skip, else fail).
# Ends with one "N passed, N failed, N skipped" line.
#
# Environment: BUILD (build tree), SHARED (the shared/ folder, whose
# data/ the tests read in place), ONLY (a glob to run a subset).
set -u
BUILD=${BUILD:-build}
SHARED=${SHARED:-$(cd "$(dirname "$0")/../.." && pwd)/shared}
ROOT=$(cd "$(dirname "$0")/.." && pwd)
export BUILD SHARED ROOT
export BIN="$ROOT/$BUILD/bin" TOOLS="$ROOT/$BUILD/tools"
export SHARED_DATA="$SHARED/data"
export LC_ALL=C TZ=UTC
ONLY=${ONLY:-*}
passed=0 failed=0 skipped=0 failures=""
LOGDIR="$ROOT/$BUILD/test-logs"
mkdir -p "$LOGDIR"

if [ ! -d "$SHARED_DATA" ]; then
	echo "run-tests: shared data not found at $SHARED_DATA (set SHARED)" >&2
fi

for t in "$ROOT/$BUILD"/test/check_*; do
	[ -x "$t" ] || continue
	name=$(basename "$t")
	case $name in $ONLY) ;; *) continue ;; esac
	log="$LOGDIR/$name.log"
	if (cd "$ROOT" && "$t") >"$log" 2>&1; then
		passed=$((passed + 1)); echo "PASS unit/$name: $(tail -1 "$log")"
	else
		failed=$((failed + 1)); failures="$failures unit/$name"
		echo "FAIL unit/$name"; sed 's/^/    /' "$log" | tail -40
	fi
done

for m in "$ROOT"/man/*.[1-8]; do
	[ -f "$m" ] || continue
	name="man/$(basename "$m")"
	if out=$(mandoc -Tlint -W warning "$m" 2>&1) && [ -z "$out" ]; then
		passed=$((passed + 1)); echo "PASS lint $name"
	else
		failed=$((failed + 1)); failures="$failures lint-$name"
		echo "FAIL lint $name"; echo "$out" | sed 's/^/    /'
	fi
done

for t in "$ROOT"/test/integ/*.sh; do
	[ -f "$t" ] || continue
	name=$(basename "$t" .sh)
	case $name in $ONLY) ;; *) continue ;; esac
	log="$LOGDIR/integ-$name.log"
	(cd "$ROOT" && sh "$t") >"$log" 2>&1
	rc=$?
	if [ $rc -eq 0 ]; then
		passed=$((passed + 1)); echo "PASS integ/$name"
	elif [ $rc -eq 77 ]; then
		skipped=$((skipped + 1))
		echo "SKIP integ/$name: $(tail -1 "$log")"
	else
		failed=$((failed + 1)); failures="$failures integ/$name"
		echo "FAIL integ/$name (exit $rc)"; sed 's/^/    /' "$log" | tail -40
	fi
done

[ -n "$failures" ] && echo "failed:$failures"
echo "$passed passed, $failed failed, $skipped skipped"
[ $failed -eq 0 ]
