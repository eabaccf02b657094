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
sort "$T/merged" >"$T/m.s"; sort "$T/each" >"$T/e.s"
cmp -s "$T/m.s" "$T/e.s" && ok "same lines, byte for byte" ||
	fail "merged lines differ from kubectl's"
jq -r '.time // .flow.time // empty' "$T/merged" >"$T/times"
if sort -c "$T/times" 2>/dev/null; then ok "merged in time order"; else
	fail "not in time order"; fi
a2=$(kl agent-pod node2)
kl agents --node node2 -- --last 1000 >"$T/n2" 2>"$T/err"
timeout 60 kubectl exec -n kube-system "$a2" -- hubble observe --last 1000 \
	-o jsonpb >"$T/k2" 2>/dev/null
grep -q 'asking 1 agent$' "$T/err" && [ -s "$T/n2" ] &&
	cmp -s "$T/n2" "$T/k2" && ok "--node node2 asks only $a2" ||
	fail "--node node2: $(wc -l <"$T/n2") lines vs $(wc -l <"$T/k2") $(cat "$T/err")"

# --- analyze-drops asks the agents when it has nothing else ----------------
want=$(jq -s '[.[] | select((.flow // .).verdict == "DROPPED")] | length' "$T/merged")
PATH=/usr/bin:/bin timeout 120 "$BIN/analyze-drops" --json </dev/null \
	>"$T/ad.json" 2>"$T/err"; rc=$?
got=$(jq -r '.total_drops // .summary.total_drops // empty' "$T/ad.json" 2>/dev/null)
[ $rc = 0 ] && [ -n "$got" ] && [ "$got" = "$want" ] &&
	ok "analyze-drops from the agents: $got drops" ||
	fail "analyze-drops: rc $rc, got '$got' want $want: $(head -5 "$T/err")"

# --- cilium-dbg monitor -j -----------------------------------------------------
if timeout 60 kubectl exec -n kube-system "$a1" -- cilium-dbg monitor -j \
    </dev/null >"$T/mon-raw" 2>/dev/null && [ -s "$T/mon-raw" ]; then
	kl agents --monitor --node node1 >"$T/mon" 2>"$T/err"
	if [ -s "$T/mon" ] && jq -e 'select((.flow // .).node_name == null and .node_name == null)' \
	    "$T/mon" >/dev/null 2>&1; then
		fail "monitor lines without a node"
	elif [ -s "$T/mon" ]; then
		ok "monitor -j events as flow lines ($(wc -l <"$T/mon"))"
	else
		fail "monitor: nothing ($(cat "$T/err"))"
	fi
else
	echo "note: no cilium-dbg monitor stand-in; monitor not tested"
fi

echo "$fails failures"
[ $fails -eq 0 ]
