#!/bin/sh
# make demo: the main job on sample data made by the project's own
# generator; no cluster needed.  Writes build/demo/flows.json (20,000
# Hubble flow lines from a simulated 3-node cluster), then runs
# analyze-drops on it the way an SRE would.
set -u
BUILD=${BUILD:-build}
BIN=$BUILD/bin
out=$BUILD/demo
mkdir -p "$out"

if [ ! -x "$BUILD/tools/gen-flows" ] || [ ! -x "$BIN/analyze-drops" ]; then
	echo "demo: build first (make)" >&2
	exit 1
fi
"$BUILD/tools/gen-flows" -n 20000 --seed 42 >"$out/flows.json" || exit 1
echo "demo: generated $out/flows.json ($(wc -l <"$out/flows.json") Hubble flow lines)"

run() {
	echo
	echo "\$ $*"
	"$@"
	rc=$?
	[ $rc -ne 0 ] && echo "(exit status $rc)"
	return 0
}

run "$BIN/analyze-drops" -i "$out/flows.json"
run "$BIN/analyze-drops" -i "$out/flows.json" -n payments \
    --reason "Policy denied" --detail --top 5
run "$BIN/analyze-drops" -i "$out/flows.json" --summary --max-drops 100
echo "(status 1 means more drops than --max-drops: the signal for cron)"

echo
echo "demo: more to try:"
echo "  $BIN/analyze-drops -i $out/flows.json --json | jq '.reasons[] | {message, count}'"
echo "  hubble observe --type drop -o jsonpb --since 5m | $BIN/analyze-drops"
# Whatever else is built can be pointed at the same sample flows.
for p in "$BIN"/*; do
	[ -x "$p" ] || continue
	case ${p##*/} in
	analyze-drops) ;;
	flow-analyzer) echo "  $p --input $out/flows.json" ;;
	*) echo "  $p --help" ;;
	esac
done
for d in mk/demo-*.sh; do
	[ -f "$d" ] && echo "  sh $d    # another demo"
done
exit 0
