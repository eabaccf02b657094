#!/bin/sh
# make fuzz-smoke: run each fuzz target for FUZZ_SECONDS (default 20) on
# its seed corpus (test/fuzz/corpus/NAME) plus, read-only, the real files
# listed in test/fuzz/corpus/NAME.shared (paths under $SHARED/data).
# New inputs go to a scratch folder so the repository never changes.
set -u
SECS=${FUZZ_SECONDS:-20}
SHARED=${SHARED:-../shared}
rc=0
for bin in "$@"; do
	name=${bin##*/fuzz-}
	dir=$(dirname "$bin")
	scratch=$(mktemp -d)
	extra=""
	if [ -f "$dir/corpus/$name.shared" ]; then
		while read -r p; do
			[ -n "$p" ] && [ -e "$SHARED/data/$p" ] &&
				cp -r "$SHARED/data/$p" "$scratch/" 2>/dev/null
		done <"$dir/corpus/$name.shared"
	fi
	[ -d "$dir/corpus/$name" ] && extra="$dir/corpus/$name"
	echo "fuzz-smoke: $name for ${SECS}s"
	if ! "$bin" -max_total_time="$SECS" -max_len=65536 -timeout=10 \
	    -rss_limit_mb=2048 "$scratch" $extra >"$scratch.log" 2>&1; then
		echo "fuzz-smoke: $name FAILED"; tail -30 "$scratch.log"; rc=1
	else
		grep -E '^(#[0-9]+.*DONE|Done)' "$scratch.log" | tail -1
	fi
	rm -rf "$scratch" "$scratch.log"
done
exit $rc
