#!/bin/sh
# make bench: run every bench/*.sh (except this one) in turn.  Each
# script compares cilkit against the reference tools on the same input in
# the same run and prints its ratios; bench/README.md records them.
set -u
dir=$(cd "$(dirname "$0")" && pwd)
export BENCH_OUT="${BENCH_OUT:-$dir/out}"
mkdir -p "$BENCH_OUT"
rc=0
for b in "$dir"/*.sh; do
	[ "$(basename "$b")" = run.sh ] && continue
	case $(basename "$b" .sh) in ${ONLY:-*}) ;; *) continue ;; esac
	echo "=== bench: $(basename "$b" .sh)"
	sh "$b" || { echo "bench $(basename "$b") failed"; rc=1; }
done
exit $rc
