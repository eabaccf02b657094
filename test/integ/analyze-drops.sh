#!/bin/sh
# analyze-drops end to end: --help against the man page, JSON checked
# with jq against counts jq computes itself from the same input, bad
# input (binary junk, a 10 MB line, invalid UTF-8, empty stdin), stdin
# handling, relative --since, running hubble (a stand-in script on PATH,
# under a pseudo-terminal from script(1)), and write errors.
set -u
ROOT=${ROOT:-$(cd "$(dirname "$0")/../.." && pwd)}
BIN=${BIN:-$ROOT/build/bin}
TOOLS=${TOOLS:-$ROOT/build/tools}
AD=$BIN/analyze-drops
MIXED=$ROOT/test/data/analyze-drops/mixed.json
export LC_ALL=C TZ=UTC
command -v jq >/dev/null || { echo "jq missing"; exit 77; }
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT INT TERM
fails=0

fail() {
	echo "FAIL: $*"
	fails=$((fails + 1))
}

# expect RC CMD...: run, keep stdout/stderr in $tmp/out, $tmp/err
expect() {
	want=$1; shift
	"$@" >"$tmp/out" 2>"$tmp/err"
	got=$?
	[ "$got" = "$want" ] || fail "exit $got, want $want: $*"
}

# --- help, version, man page
expect 0 "$AD" --help
grep -q '^usage: analyze-drops ' "$tmp/out" || fail "--help has no usage"
[ -s "$tmp/err" ] && fail "--help wrote to stderr"
for opt in $(grep -o -- '--[a-z][a-z-]*' "$tmp/out" | sort -u); do
	case $opt in --type|--all) continue ;; esac
	grep -q -- "Fl -${opt#--}" "$ROOT/man/analyze-drops.1" ||
		fail "man page lacks $opt (in --help)"
done
for opt in $(grep -o 'Fl -[a-z][a-z-]*' "$ROOT/man/analyze-drops.1" |
    sed 's/Fl -/--/' | sort -u); do
	case $opt in --type|--all|--protocol|--from|--to|--port) continue ;;
	esac
	grep -q -- "$opt" "$tmp/out" || fail "--help lacks $opt (in man)"
done
expect 0 "$AD" --version
head -1 "$tmp/out" | grep -q '^analyze-drops [0-9]' || fail "--version"

# --- JSON against jq's own count of the same generated input
"$TOOLS/gen-flows" -n 30000 --seed 11 >"$tmp/gen.json" || exit 1
expect 0 "$AD" -i "$tmp/gen.json" --json --top 100000
cp "$tmp/out" "$tmp/ad.json"
jq -e '([.reasons[].count] | add) == .total_drops' "$tmp/ad.json" \
    >/dev/null || fail "reason counts do not add up to total_drops"
jq -e '([.reasons[].percent] | add) == 100' "$tmp/ad.json" >/dev/null ||
	fail "percentages do not add up to 100"
jq -e '[.reasons[] | .pairs_total == (.pairs | length)] | all' \
    "$tmp/ad.json" >/dev/null || fail "pairs cut despite --top 100000"
jq -e '[.reasons[] | ([.pairs[].count] | add) == .count] | all' \
    "$tmp/ad.json" >/dev/null || fail "pair counts do not add up"
jq -s -c '[.[] | (.flow // .) | select(.verdict == "DROPPED" and
    (.event_type.type // 1) != 5)] | group_by(.drop_reason_desc |
    tostring) | map({key: (.[0].drop_reason_desc | tostring),
    value: length}) | from_entries' "$tmp/gen.json" >"$tmp/jq-reasons.json"
jq -c '[.reasons[] | {code: .code, name: .name, count: .count}]' \
    "$tmp/ad.json" >"$tmp/ad-reasons.json"
jq -n -e --slurpfile a "$tmp/ad-reasons.json" \
    --slurpfile j "$tmp/jq-reasons.json" '
	$a[0] | map(.count == (($j[0][.name // "-"] // 0) +
	    ($j[0][.code | tostring] // 0))) | all' >/dev/null ||
	fail "per-reason counts differ from jq's"
jq -n -e --slurpfile a "$tmp/ad.json" --slurpfile j "$tmp/jq-reasons.json" \
    '($j[0] | [.[]] | add) == $a[0].total_drops' >/dev/null ||
	fail "total differs from jq's"
# top sources: the first entry's count equals jq's count for that pod
src=$(jq -r '.top_sources[0].name' "$tmp/ad.json")
n_ad=$(jq '.top_sources[0].count' "$tmp/ad.json")
n_jq=$(jq -s --arg s "$src" '[.[] | (.flow // .) | select(.verdict ==
    "DROPPED" and ((.source.namespace // "") + "/" +
    (.source.pod_name // "")) == $s)] | length' "$tmp/gen.json")
[ "$n_ad" = "$n_jq" ] || fail "top source $src: $n_ad, jq says $n_jq"

# --- stdin: a pipe is read without --input, and '-' names it
"$AD" -i "$MIXED" >"$tmp/file.out" 2>/dev/null
cat "$MIXED" | "$AD" >"$tmp/pipe.out" 2>"$tmp/err" ||
	fail "stdin pipe: exit $?"
cmp -s "$tmp/file.out" "$tmp/pipe.out" || fail "stdin report differs"
"$AD" -i - <"$MIXED" >"$tmp/dash.out" 2>/dev/null ||
	fail "-i -: exit $?"
cmp -s "$tmp/file.out" "$tmp/dash.out" || fail "-i - report differs"
: | "$AD" >"$tmp/out" 2>"$tmp/err"
[ $? = 2 ] || fail "empty stdin: want exit 2"
grep -q '<stdin>: empty input' "$tmp/err" || fail "empty stdin: message"

# --- bad input: junk, a 10 MB line, invalid UTF-8; good lines still count
{
	printf '\001\002\000\377binary junk\n'
	head -3 "$MIXED"
	printf '{"flow":{"verdict":"DROPPED","source":{"pod_name":"'
	head -c 10485760 /dev/zero | tr '\0' 'a'
	printf '"}}\n'
	tail -n +4 "$MIXED"
} >"$tmp/bad.json"
expect 2 "$AD" -i "$tmp/bad.json" --json
[ "$(jq .total_drops "$tmp/out")" = 8 ] ||
	fail "bad.json: want 8 drops, got $(jq .total_drops "$tmp/out")"
[ "$(jq .input.skipped_lines "$tmp/out")" = 2 ] ||
	fail "bad.json: want 2 skipped lines"
grep -q "bad.json:1: " "$tmp/err" || fail "bad.json: no message for line 1"
grep -q "bad.json:5: " "$tmp/err" || fail "bad.json: no message for line 5"
grep -q "2 lines skipped" "$tmp/err" || fail "bad.json: no summary"

# invalid UTF-8 is refused with the line named; a control character
# (valid JSON escape) is kept but never reaches the terminal
{
	printf '{"flow":{"verdict":"DROPPED","source":{"pod_name":"bad\377"}}}\n'
	printf '{"flow":{"verdict":"DROPPED","drop_reason_desc":"POLICY_DENIED","source":{"namespace":"a","pod_name":"bad\\u001b[2Jname"},"destination":{"namespace":"b","pod_name":"q"},"l4":{"TCP":{"destination_port":80}}}}\n'
} >"$tmp/utf8.json"
expect 2 "$AD" -i "$tmp/utf8.json" --json
grep -q "utf8.json:1: .*UTF-8" "$tmp/err" || fail "invalid UTF-8: message"
jq -e '.total_drops == 1 and (.top_sources[0].name | test("^a/bad"))' \
    "$tmp/out" >/dev/null || fail "control character: JSON not valid"
expect 2 "$AD" -i "$tmp/utf8.json"
if grep -q "$(printf '\033')" "$tmp/out"; then
	fail "escape sequence from the input reached the text report"
fi
grep -q 'a/bad?\[2Jname' "$tmp/out" || fail "sanitized name missing"

# --- a pcap is refused with a pointer to flow-analyzer
printf '\324\303\262\241\002\000\004\000\000\000\000\000\000\000\000\000\377\377\000\000\001\000\000\000' \
    >"$tmp/x.pcap"
expect 2 "$AD" -i "$tmp/x.pcap"
grep -q 'x.pcap: this is a packet capture' "$tmp/err" || fail "pcap message"
[ -s "$tmp/out" ] && fail "pcap: report printed"

# --- a flow with nothing but the verdict still counts
printf '{"flow":{"verdict":"DROPPED"}}\n' >"$tmp/bare.json"
expect 0 "$AD" -i "$tmp/bare.json" --json
[ "$(jq .total_drops "$tmp/out")" = 1 ] || fail "minimal flow not counted"

# --- relative --since against the clock
expect 0 "$AD" -i "$MIXED" --since 5m
grep -q '^Time Range: Last 5 minutes (no drops seen)$' "$tmp/out" ||
	fail "--since 5m: $(grep 'Time Range' "$tmp/out")"
expect 0 "$AD" -i "$MIXED" --since 10000d --json
[ "$(jq .total_drops "$tmp/out")" = 8 ] || fail "--since 10000d"
expect 0 "$AD" -i "$MIXED" --since 36500d --json	# reaches before 1970
[ "$(jq .total_drops "$tmp/out")" = 8 ] || fail "--since 36500d"

# --- --max-drops
expect 0 "$AD" -i "$tmp/bare.json" --max-drops 1
expect 1 "$AD" -i "$MIXED" --max-drops 7 --summary
grep -q 'more than --max-drops 7' "$tmp/err" || fail "--max-drops message"

# --- no input on a terminal: run hubble when on PATH, else explain
mkdir "$tmp/bin"
cat >"$tmp/bin/hubble" <<EOF
#!/bin/sh
printf '%s\n' "\$@" >"$tmp/hubble-args"
cat "$MIXED"
EOF
chmod +x "$tmp/bin/hubble"
# cron: stdin is /dev/null, so hubble is asked (here without --since)
PATH="$tmp/bin:$PATH" "$AD" --json </dev/null >"$tmp/out" 2>"$tmp/err" ||
	fail "cron-like run: exit $?"
[ "$(tr '\n' ' ' <"$tmp/hubble-args")" = \
    "observe --type drop -o jsonpb --all " ] ||
	fail "cron-like hubble argv: $(tr '\n' ' ' <"$tmp/hubble-args")"
jq -e '.total_drops == 8' "$tmp/out" >/dev/null || fail "cron-like report"
PATH=/nonexistent "$AD" </dev/null >"$tmp/out" 2>"$tmp/err"
[ $? = 2 ] || fail "no hubble, /dev/null: want exit 2"
grep -q 'no input: give flows with --input FILE' "$tmp/err" ||
	fail "no hubble, /dev/null: message"
[ -s "$tmp/out" ] && fail "no hubble: stdout not empty"
SCRIPT=$(command -v script)
if [ -n "$SCRIPT" ]; then
	PATH="$tmp/bin:$PATH" script -qec "'$AD' -n demo --since 2024-05-01T10:00:00Z --json" \
	    /dev/null </dev/null >"$tmp/out" 2>&1 || fail "hubble run: exit $?"
	tr -d '\r' <"$tmp/out" >"$tmp/out2"
	printf 'observe\n--type\ndrop\n-o\njsonpb\n--since\n2024-05-01T10:00:00.000000000Z\n--namespace\ndemo\n' \
	    >"$tmp/want-args"
	cmp -s "$tmp/hubble-args" "$tmp/want-args" ||
		fail "hubble argv: $(tr '\n' ' ' <"$tmp/hubble-args")"
	jq -e '.total_drops == 7' "$tmp/out2" >/dev/null ||
		fail "hubble output not analyzed"
	# hubble failing is exit 3
	printf '#!/bin/sh\necho "relay unreachable" >&2\nexit 1\n' \
	    >"$tmp/bin/hubble"
	PATH="$tmp/bin:$PATH" script -qec "'$AD'; echo rc=\$?" /dev/null \
	    </dev/null >"$tmp/out" 2>&1
	grep -q 'rc=3' "$tmp/out" || fail "hubble failure: $(cat "$tmp/out")"
	grep -q 'hubble observe failed' "$tmp/out" || fail "hubble failure msg"
	# no hubble at all
	PATH=/nonexistent "$SCRIPT" -qec "'$AD'; echo rc=\$?" /dev/null \
	    </dev/null >"$tmp/out" 2>&1
	grep -q 'rc=2' "$tmp/out" || fail "no hubble: want exit 2"
	grep -q 'no input: give flows with --input FILE' "$tmp/out" ||
		fail "no hubble: message"
fi

# --- the man page's EXAMPLES that need no cluster run as written
# (hubble is the stand-in above; kubectl, mail and cron lines are not run)
mkdir "$tmp/ex"
printf '#!/bin/sh\ncat "%s"\n' "$MIXED" >"$tmp/bin/hubble"
cp "$tmp/gen.json" "$tmp/ex/flows.json"
cp "$ROOT/../shared/data/monitor/cilium-cilium_issue-5496_monitor-drop.txt" \
    "$tmp/ex/drops.txt" 2>/dev/null ||
	cp "$MIXED" "$tmp/ex/drops.txt"
awk '/^\.Bd -literal/ { inb = 1; cmd = ""; next }
    /^\.Ed/ { if (inb) print cmd; inb = 0; next }
    inb { sub(/\\e$/, ""); cmd = cmd (cmd == "" ? "" : " ") $0 }' \
    "$ROOT/man/analyze-drops.1" >"$tmp/examples"
nex=0
while IFS= read -r ex; do
	case $ex in *kubectl*|*mail*|'*/'*) continue ;; esac
	nex=$((nex + 1))
	(cd "$tmp/ex" && PATH="$tmp/bin:$BIN:$PATH" sh -c "$ex") \
	    >"$tmp/out" 2>"$tmp/err" || fail "man example failed: $ex"
	[ -s "$tmp/out" ] || fail "man example printed nothing: $ex"
done <"$tmp/examples"
[ $nex -ge 3 ] || fail "only $nex man page examples found"

# --- monitor output as captured through kubectl (shapes from public
# issues, values made up): kubectl's notes, a log line, IPv6, a code the
# monitor had no text for, a denied proxy request; --reason by number
cat >"$tmp/kmon.txt" <<'KMON'
Defaulted container "cilium-agent" out of: cilium-agent, config (init)
Listening for events on 4 CPUs with 64x4096 of shared memory
Press Ctrl-C to quit
time="2025-02-10T15:08:16Z" level=info msg="Initializing dissection cache..." subsys=monitor
xx drop (Policy denied) flow 0x5 to endpoint 12, ifindex 4, file bpf_lxc.c:88, , identity 300->400: [fd00:10::5]:40000 -> [fd00:10::9]:8080 tcp SYN
xx drop (250, 3) flow 0x0 to endpoint 0, ifindex 2, file 7:12, , identity 300->world: 10.0.0.1:5 -> 10.0.0.2:6 udp
<- Request http from 0 ([k8s:app=a k8s:io.kubernetes.pod.namespace=shop]) to 77 ([k8s:io.kubernetes.pod.namespace=shop k8s:app=b]), identity 1001->1002, verdict Denied DELETE http://b.shop/x => 403
command terminated with exit code 130
KMON
expect 0 "$AD" -i "$tmp/kmon.txt" --json
[ -s "$tmp/err" ] && fail "kubectl capture: stderr: $(cat "$tmp/err")"
jq -e '.total_drops == 3' "$tmp/out" >/dev/null ||
	fail "kubectl capture: want 3 drops"
jq -e '[.reasons[].pairs[].destination] | index("[fd00:10::9]:8080 (identity 400)")' \
    "$tmp/out" >/dev/null || fail "kubectl capture: IPv6 destination lost"
jq -e '[.reasons[].code] | index(250)' "$tmp/out" >/dev/null ||
	fail "kubectl capture: code 250 not reported"
expect 0 "$AD" -i "$tmp/kmon.txt" --reason 250 --json
jq -e '.total_drops == 1 and .filters.reason_code == 250' "$tmp/out" \
    >/dev/null || fail "--reason 250: want the one drop of code 250"
expect 0 "$AD" -i "$tmp/kmon.txt" -n shop --json
jq -e '.total_drops == 1' "$tmp/out" >/dev/null ||
	fail "-n shop: want the denied proxy request"

# --- a PowerShell redirect writes UTF-16: say so, not "not JSON"
printf '\377\376x\000x\000\n\000' >"$tmp/u16.txt"
expect 2 "$AD" -i "$tmp/u16.txt"
grep -q 'UTF-16' "$tmp/err" || fail "UTF-16 input: $(cat "$tmp/err")"

# --- a full disk is an I/O error, never silent
if [ -w /dev/full ]; then
	"$AD" -i "$MIXED" --detail >/dev/full 2>"$tmp/err"
	[ $? = 4 ] || fail "/dev/full: want exit 4"
	grep -q 'error writing output' "$tmp/err" || fail "/dev/full: message"
fi

# --- hubble observe's text output (-o compact, table): refused with
# one message saying what to run instead
printf 'May  4 13:23:40.501: default/a:1 -> default/b:80 Policy denied DROPPED (TCP Flags: SYN)\n' >"$tmp/compact.txt"
printf 'TIMESTAMP   SOURCE   DESTINATION   TYPE   VERDICT   SUMMARY\n' >"$tmp/table.txt"
for f in compact table; do
	expect 2 "$AD" -i "$tmp/$f.txt"
	grep -q 'run hubble observe with -o jsonpb' "$tmp/err" &&
	    [ "$(wc -l <"$tmp/err")" -eq 1 ] ||
		fail "hubble $f text: $(cat "$tmp/err")"
done
# a rotated exporter file compressed by lumberjack: say to decompress it
if command -v gzip >/dev/null; then
	gzip -c "$MIXED" >"$tmp/events.log.gz"
	expect 2 "$AD" -i "$tmp/events.log.gz"
	grep -q 'gzip-compressed.*zcat' "$tmp/err" &&
	    [ "$(wc -l <"$tmp/err")" -eq 1 ] ||
		fail "gzip input: $(cat "$tmp/err")"
fi

# --- pretty-printed flows (jq ., jq -s .), file and stdin: the same
# report as the compact lines
"$AD" -i "$MIXED" --json >"$tmp/compact.json" 2>/dev/null
jq . "$MIXED" >"$tmp/pretty.json"
jq -s . "$MIXED" >"$tmp/array.json"
for f in pretty array; do
	expect 0 "$AD" -i "$tmp/$f.json" --json
	jq -S 'del(.input)' "$tmp/out" >"$tmp/a" 2>/dev/null
	jq -S 'del(.input)' "$tmp/compact.json" >"$tmp/b"
	cmp -s "$tmp/a" "$tmp/b" || fail "$f-printed flows: other report"
	[ -s "$tmp/err" ] && fail "$f-printed flows: $(head -1 "$tmp/err")"
	expect 0 sh -c "\"$AD\" --json <\"$tmp/$f.json\""
	jq -S 'del(.input)' "$tmp/out" >"$tmp/a" 2>/dev/null
	cmp -s "$tmp/a" "$tmp/b" || fail "$f-printed flows on stdin"
done

# --- Ctrl-C on a pipe that never ends, both formats: the report of what
# came, at once, exit 6, a half-written last line dropped silently
mon="$ROOT/../shared/data/monitor/cilium-cilium_Documentation_operations_troubleshooting.rst_monitor-drop.txt"
. "$ROOT/test/integ/ctrlc_pipe.inc"
for src in "$MIXED" "$mon"; do
	[ -f "$src" ] || continue
	ctrlc_pipe "$tmp" "$src" 'xx drop (Pol' "$AD" --json
	"$AD" --json <"$src" >"$tmp/all.json" 2>/dev/null
	[ $cp_rc = 6 ] && [ $cp_secs -le 3 ] ||
		fail "Ctrl-C on a pipe of $(basename "$src"): rc $cp_rc, $cp_secs s"
	grep -q 'interrupted: the report covers' "$tmp/int.err" &&
	    [ "$(wc -l <"$tmp/int.err")" -eq 1 ] ||
		fail "Ctrl-C on a pipe: messages: $(cat "$tmp/int.err")"
	[ "$(jq .total_drops "$tmp/int.out")" = "$(jq .total_drops "$tmp/all.json")" ] ||
		fail "Ctrl-C on a pipe of $(basename "$src"): drops differ"
done

[ $fails -eq 0 ] || { echo "$fails failure(s)"; exit 1; }
echo "analyze-drops: all checks passed"
