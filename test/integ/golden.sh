#!/bin/sh
# Golden-output tests (style.md rule 20).  Each line of test/data/MANIFEST
# is, TAB-separated:
#
#   name  input  args  expected.out  rc
#
# input is a comma-separated list of:
#   shared:PATH      $SHARED_DATA/PATH, read in place (never copied)
#   data:PATH        test/data/PATH (small files made for these tests)
#   gen:N:SEED[:FORM]  N flow lines from build/tools/gen-flows
#   -                no --input (stdin is /dev/null)
# each becomes one --input.  args are shell words (quotes allowed), or
# "-" for none (TAB runs collapse, so no field may be empty).
# expected.out is a file under test/data/golden/; its stderr is expected
# in the same name with .err instead of .out.  rc is the exit status.
# Program: the first word of args is the program under $BIN when it
# names one, else analyze-drops.
#
# Paths in outputs are stable: the program runs in a scratch folder where
# shared/ and data/ are links and generated inputs are gen-N-SEED.json.
# With UPDATE=1 (test/update-golden.sh) the outputs are rewritten
# instead of compared; review the diff before committing.
set -u
ROOT=${ROOT:-$(cd "$(dirname "$0")/../.." && pwd)}
BUILD=${BUILD:-build}
BIN=${BIN:-$ROOT/$BUILD/bin}
TOOLS=${TOOLS:-$ROOT/$BUILD/tools}
SHARED_DATA=${SHARED_DATA:-$ROOT/../shared/data}
export LC_ALL=C TZ=UTC
manifest=$ROOT/test/data/MANIFEST
golden=$ROOT/test/data/golden
[ "${UPDATE:-0}" = 1 ] && mkdir -p "$golden"
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT INT TERM
ln -s "$SHARED_DATA" "$work/shared"
ln -s "$ROOT/test/data" "$work/data"

pass=0 fail=0 skip=0 cases=0
[ -f "$manifest" ] || { echo "golden: $manifest missing"; exit 1; }
tab=$(printf '\t')
while IFS="$tab" read -r name input args expected rc; do
	case $name in ''|'#'*) continue ;; esac
	[ "$args" = "-" ] && args=""
	cases=$((cases + 1))
	inargs="" missing=""
	oldifs=$IFS; IFS=,
	for spec in $input; do
		IFS=$oldifs
		case $spec in
		shared:*)
			p=${spec#shared:}
			[ -e "$SHARED_DATA/$p" ] || missing=$p
			inargs="$inargs -i shared/$p" ;;
		data:*)
			inargs="$inargs -i data/${spec#data:}" ;;
		gen:*)
			rest=${spec#gen:}; n=${rest%%:*}; rest=${rest#*:}
			seed=${rest%%:*}; form=jsonpb
			[ "$rest" != "$seed" ] && form=${rest#*:}
			f=gen-$n-$seed-$form.json
			[ -f "$work/$f" ] ||
				"$TOOLS/gen-flows" -n "$n" --seed "$seed" \
				    --form "$form" >"$work/$f" || exit 1
			inargs="$inargs -i $f" ;;
		-) ;;
		esac
	done
	IFS=$oldifs
	if [ -n "$missing" ]; then
		echo "SKIP $name: shared data $missing not found"
		skip=$((skip + 1)); continue
	fi
	prog=analyze-drops
	eval "set -- $args"
	if [ $# -gt 0 ] && [ -x "$BIN/$1" ]; then prog=$1; shift; fi
	# shellcheck disable=SC2086
	(cd "$work" && "$BIN/$prog" $inargs "$@" </dev/null \
	    >"$work/out" 2>"$work/err")
	got=$?
	exp_out=$golden/$expected
	exp_err=$golden/${expected%.out}.err
	if [ "${UPDATE:-0}" = 1 ]; then
		cp "$work/out" "$exp_out"
		if [ -s "$work/err" ]; then cp "$work/err" "$exp_err"
		else rm -f "$exp_err"; fi
		[ "$got" != "$rc" ] &&
			echo "NOTE $name: exit $got, MANIFEST says $rc"
		echo "UPDATED $name"
		continue
	fi
	ok=1
	[ "$got" = "$rc" ] || { echo "FAIL $name: exit $got, want $rc"; ok=0; }
	if ! cmp -s "$work/out" "$exp_out"; then
		echo "FAIL $name: stdout differs"
		diff -u "$exp_out" "$work/out" | head -30
		ok=0
	fi
	if [ -f "$exp_err" ]; then
		if ! cmp -s "$work/err" "$exp_err"; then
			echo "FAIL $name: stderr differs"
			diff -u "$exp_err" "$work/err" | head -20
			ok=0
		fi
	elif [ -s "$work/err" ]; then
		echo "FAIL $name: unexpected stderr"; head -5 "$work/err"; ok=0
	fi
	if [ $ok = 1 ]; then pass=$((pass + 1)); echo "ok $name"
	else fail=$((fail + 1)); fi
done <"$manifest"
[ $cases -gt 0 ] || { echo "golden: no cases in $manifest"; exit 1; }
echo "golden: $pass passed, $fail failed, $skip skipped"
[ $fail -eq 0 ] || exit 1
[ $pass -eq 0 ] && [ $skip -gt 0 ] && exit 77
exit 0
