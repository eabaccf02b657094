#!/bin/sh
# flow-read-oracle: the flow reader against jq.  For every JSON file in
# $SHARED_DATA/hubble and for generated flows in each form (jsonpb, bare,
# export), the counts per record kind, verdict and L7 type that flowcat
# (the library reader) reports must equal jq's.  Then everything flowcat
# --write prints must be valid JSON (jq) and count the same again.
set -u
command -v jq >/dev/null 2>&1 || { echo "skipped: no jq"; exit 77; }
[ -x "$TOOLS/flowcat" ] && [ -x "$TOOLS/gen-flows" ] ||
	{ echo "flowcat/gen-flows not built in $TOOLS"; exit 1; }
T=$(mktemp -d)
trap 'rm -rf "$T"' EXIT
fails=0

# jq's view, in flowcat's output format.  A record is a flow when it has
# "flow", or when it is a bare flow (no wrapper key, some flow key).
JQ_COUNTS='
def kind:
  if has("flow") then "flow"
  elif has("lost_events") then "lost_events"
  elif has("agent_event") then "agent_event"
  elif has("debug_event") then "debug_event"
  elif has("node_status") then "node_status"
  elif (keys - ["time","node_name"]) | length > 0 then "bare"
  else "other" end;
def vnames: ["VERDICT_UNKNOWN","FORWARDED","DROPPED","ERROR","AUDIT",
  "REDIRECTED","TRACED","TRANSLATED"];
def vname: if type == "number" then vnames[.] else . end;
[inputs] as $all
| ($all | map(kind | if . == "bare" then "flow" else . end)
   | group_by(.) | map("kind \(.[0]) \(length)")),
  ($all | map(select(kind == "flow" or kind == "bare")
   | (if has("flow") then .flow else . end)) as $flows
   | ($flows | map(.verdict // "VERDICT_UNKNOWN" | vname)
      | group_by(.) | map("verdict \(.[0]) \(length)")),
     ($flows | map(select(.l7 != null) | .l7
      | if .dns then "dns" elif .http then "http" elif .kafka then "kafka"
        else empty end) | group_by(.) | map("l7 \(.[0]) \(length)")))
| .[]'

# compare NAME FILE: counts from jq and from flowcat must agree.
compare() {
	jq -n -r "$JQ_COUNTS" <"$2" | sort >"$T/jq.txt" ||
		{ echo "FAIL $1: jq could not read it"; fails=$((fails + 1));
		  return; }
	"$TOOLS/flowcat" "$2" | grep -E '^(kind|verdict|l7) ' | sort \
		>"$T/fc.txt"
	if cmp -s "$T/jq.txt" "$T/fc.txt"; then
		echo "ok   $1: $(tr '\n' ' ' <"$T/fc.txt")"
	else
		echo "FAIL $1: jq vs flowcat"
		diff "$T/jq.txt" "$T/fc.txt" | sed 's/^/    /'
		fails=$((fails + 1))
	fi
	# the writer's output: valid JSON, same counts
	"$TOOLS/flowcat" --write "$2" 2>/dev/null >"$T/w.json"
	if ! jq -c . "$T/w.json" >/dev/null 2>&1; then
		echo "FAIL $1: flowcat --write output is not JSON"
		fails=$((fails + 1))
	fi
	"$TOOLS/flowcat" "$T/w.json" | grep -E '^(verdict|l7) ' | sort \
		>"$T/fc2.txt"
	grep -E '^(verdict|l7) ' "$T/fc.txt" >"$T/fc1.txt"
	if ! cmp -s "$T/fc1.txt" "$T/fc2.txt"; then
		echo "FAIL $1: counts change after write/read"
		diff "$T/fc1.txt" "$T/fc2.txt" | sed 's/^/    /'
		fails=$((fails + 1))
	fi
}

n=0
if [ -d "${SHARED_DATA:-}/hubble" ]; then
	for f in "$SHARED_DATA"/hubble/*.json "$SHARED_DATA"/hubble/*.log; do
		[ -f "$f" ] || continue
		compare "$(basename "$f")" "$f"
		n=$((n + 1))
	done
else
	echo "note: no \$SHARED_DATA/hubble; generated data only"
fi
for form in jsonpb bare export; do
	"$TOOLS/gen-flows" -n 60000 --seed 7 --form "$form" >"$T/gen-$form.json"
	compare "gen-flows --form $form" "$T/gen-$form.json"
done

# Drops per reason code agree with jq too (names or bare numbers).
jq -r 'select(.flow.verdict == "DROPPED") | .flow.drop_reason' \
	"$T/gen-jsonpb.json" | sort | uniq -c |
	awk '{ print "drop_reason " $2 " " $1 }' | sort >"$T/jqd.txt"
"$TOOLS/flowcat" "$T/gen-jsonpb.json" | grep '^drop_reason ' | sort \
	>"$T/fcd.txt"
if cmp -s "$T/jqd.txt" "$T/fcd.txt"; then
	echo "ok   drop reasons: $(wc -l <"$T/fcd.txt") codes agree"
else
	echo "FAIL drop reasons"; diff "$T/jqd.txt" "$T/fcd.txt" | head
	fails=$((fails + 1))
fi

echo "$n shared files, $fails failures"
[ $fails -eq 0 ]
