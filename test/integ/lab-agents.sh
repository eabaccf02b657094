#!/bin/sh
# lab-agents: flows from the Cilium agent pods through the library
# (lib/cilium_agent.c): finding the agent pod of a node, hubble observe
# in every agent merged by time (the same lines kubectl exec gets from
# each agent, in time order), cilium-dbg monitor -j turned into flow
# lines, and analyze-drops asking the cluster when it has no input and
# no hubble on PATH.  Needs the lab's hubble / cilium-dbg stand-ins;
# skips (77) loudly without them, or without root/netns.
set -u
ROOT=${ROOT:-$(cd "$(dirname "$0")/../.." && pwd)}
BUILD=${BUILD:-build}
TOOLS=${TOOLS:-$ROOT/$BUILD/tools}
BIN=${BIN:-$ROOT/$BUILD/bin}
. "$ROOT/test/lab/testlib.sh"

command -v kubectl >/dev/null 2>&1 || { echo "skipped: no kubectl"; exit 77; }
command -v jq >/dev/null 2>&1 || { echo "skipped: no jq"; exit 77; }
lab_start agents

KL=$TOOLS/kubectl-lite
fails=0
T=$LAB_HOME/t
mkdir -p "$T"
ok() { echo "ok   $1"; }
fail() { echo "FAIL $1"; fails=$((fails + 1)); }
kl() { timeout 120 "$KL" "$@"; }

a1=$(awk '$1 == "kube-system" && $2 ~ /^cilium-/ && $3 == "node1" { print $2 }' "$LAB_STATE/pods.tsv")
[ -n "$a1" ] || a1=$(kubectl get pods -n kube-system -l k8s-app=cilium \
	--field-selector spec.nodeName=node1 -o jsonpath='{.items[0].metadata.name}')
v=$(kl agent-pod node1 2>"$T/err")
[ -n "$a1" ] && [ "$v" = "$a1" ] && ok "agent pod of node1: $v" ||
	fail "agent pod of node1: '$v' vs '$a1' $(cat "$T/err")"
kl agent-pod node9 >/dev/null 2>"$T/err"
grep -q 'no Cilium agent pod (k8s-app=cilium in kube-system) runs on node node9' "$T/err" &&
	ok "no agent on an unknown node" || fail "unknown node: $(cat "$T/err")"

# The stand-ins must exist for the rest.
if ! timeout 60 kubectl exec -n kube-system "$a1" -- hubble observe --last 1 \
    -o jsonpb >/dev/null 2>"$T/err"; then
	echo "************************************************************"
	echo "SKIPPING the agent flow tests: the lab has no hubble stand-in"
	echo "in its agent pods ($(head -c 200 "$T/err"))"
	echo "************************************************************"
	echo "skipped: no hubble in the lab's agent pods"
	exit 77
fi

# The stand-ins replay recorded traffic with fresh timestamps, so runs
# are compared without the times (and the uuids made from them).
notime() { jq -c 'del(.time, .flow.time, .flow.uuid)' "$1" | sort; }

# --- hubble observe in every agent, merged by time -------------------------
kl agents -- --last 1000 >"$T/merged" 2>"$T/err" ||
	fail "agents: $(cat "$T/err")"
: >"$T/each"
for p in $(kubectl get pods -n kube-system -l k8s-app=cilium \
    -o jsonpath='{.items[*].metadata.name}'); do
	timeout 60 kubectl exec -n kube-system "$p" -- hubble observe \
		--last 1000 -o jsonpb >>"$T/each" 2>/dev/null
done
n=$(wc -l <"$T/merged")
[ "$n" -gt 0 ] && [ "$n" = "$(wc -l <"$T/each")" ] &&
	ok "merged $n lines = the agents' lines via kubectl exec" ||
	fail "merged $n lines vs $(wc -l <"$T/each") from kubectl"
notime "$T/merged" >"$T/m.s"; notime "$T/each" >"$T/e.s"
cmp -s "$T/m.s" "$T/e.s" && ok "same flows as kubectl exec gets" ||
	fail "merged flows differ from kubectl's"
jq -r '.time // .flow.time // empty' "$T/merged" >"$T/times"
if [ -s "$T/times" ] && sort -c "$T/times" 2>/dev/null; then
	ok "merged in time order"; else fail "not in time order"; fi
nodes=$(jq -r '.node_name // .flow.node_name // empty' "$T/merged" | sed 's,.*/,,' | sort -u | tr '\n' ' ')
[ "$nodes" = "node1 node2 " ] && ok "both nodes present" ||
	fail "nodes in the merge: '$nodes'"
a2=$(kl agent-pod node2)
kl agents --node node2 -- --last 1000 >"$T/n2" 2>"$T/err"
timeout 60 kubectl exec -n kube-system "$a2" -- hubble observe --last 1000 \
	-o jsonpb >"$T/k2" 2>/dev/null
notime "$T/n2" >"$T/n2.s"; notime "$T/k2" >"$T/k2.s"
grep -q 'asking 1 agent$' "$T/err" && [ -s "$T/n2" ] &&
	cmp -s "$T/n2.s" "$T/k2.s" && ok "--node node2 asks only $a2" ||
	fail "--node node2: $(wc -l <"$T/n2") lines vs $(wc -l <"$T/k2") $(cat "$T/err")"
kl agents -- --since 1h-ish >"$T/bad" 2>"$T/err"; rc=$?
[ $rc = 1 ] && grep -q 'hubble exited with status 1: .*invalid --since' "$T/err" &&
	ok "a failing hubble is reported per agent" ||
	fail "failing hubble: rc $rc $(cat "$T/err")"

# --- analyze-drops asks the agents when it has nothing else ----------------
# (what the agents answer to the same command, via kubectl)
: >"$T/drops"
for p in $(kubectl get pods -n kube-system -l k8s-app=cilium \
    -o jsonpath='{.items[*].metadata.name}'); do
	timeout 60 kubectl exec -n kube-system "$p" -- hubble observe \
		--type drop --all -o jsonpb >>"$T/drops" 2>/dev/null
done
want=$(jq -s '[.[] | select(.flow.verdict == "DROPPED")] | length' "$T/drops")
PATH=/usr/bin:/bin timeout 120 "$BIN/analyze-drops" --json </dev/null \
	>"$T/ad.json" 2>"$T/err"; rc=$?
got=$(jq -r '.total_drops // .summary.total_drops // empty' "$T/ad.json" 2>/dev/null)
[ $rc = 0 ] && [ -n "$got" ] && [ "$want" -gt 0 ] && [ "$got" = "$want" ] &&
	ok "analyze-drops from the agents: $got drops" ||
	fail "analyze-drops: rc $rc, got '$got' want $want: $(head -5 "$T/err")"
PATH=/usr/bin:/bin timeout 120 "$BIN/analyze-drops" -n other --json \
	</dev/null >"$T/ad2.json" 2>"$T/err"; rc=$?
: >"$T/drops2"
for p in $(kubectl get pods -n kube-system -l k8s-app=cilium \
    -o jsonpath='{.items[*].metadata.name}'); do
	timeout 60 kubectl exec -n kube-system "$p" -- hubble observe \
		--type drop --all --namespace other -o jsonpb >>"$T/drops2" \
		2>/dev/null
done
want=$(jq -s '[.[] | select(.flow.verdict == "DROPPED")] | length' "$T/drops2")
got=$(jq -r '.total_drops // empty' "$T/ad2.json" 2>/dev/null)
[ $rc = 0 ] && [ "$got" = "$want" ] && ok "analyze-drops -n other: $got drops" ||
	fail "analyze-drops -n other: rc $rc, got '$got' want $want: $(head -3 "$T/err")"

# --- cilium-dbg monitor -j (live: stopped with SIGINT) ---------------------------
timeout --preserve-status -s INT 7 "$KL" agents --monitor --reorder 300 \
	--node node2 >"$T/mon" 2>"$T/err"; rc=$?
n=$(wc -l <"$T/mon")
bad=$(jq -c 'select(.node_name != "node2" or (.flow.verdict // "") == "")' "$T/mon" | wc -l)
[ $rc = 0 ] && [ "$n" -gt 0 ] && [ "$bad" = 0 ] &&
	ok "monitor -j events as flow lines of node2 ($n), stopped cleanly" ||
	fail "monitor: rc $rc, $n lines, $bad bad: $(cat "$T/err")"
jq -r '.flow.verdict' "$T/mon" | sort -u | tr '\n' ' ' >"$T/verdicts"
grep -q DROPPED "$T/verdicts" && ok "monitor drops seen ($(cat "$T/verdicts"))" ||
	fail "monitor verdicts: $(cat "$T/verdicts")"

echo "$fails failures"
[ $fails -eq 0 ]
