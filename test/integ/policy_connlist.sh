#!/bin/sh
# policy-tester --connlist against every np-guard/netpol-analyzer case in
# $SHARED_DATA/policy-cases/netpol-analyzer: the expected connlist text
# output is compared line by line (lines from Ingress/Route analysis,
# "{ingress-controller} => ...", are out of scope and dropped first).
#
# With --semantics k8s (how netpol-analyzer reads Kubernetes
# NetworkPolicy) every case must match exactly.  With the default
# Cilium semantics the cases below disagree, for one semantic reason:
# Cilium gives hostNetwork pods the host/remote-node identity, so they
# are neither policy subjects nor selectable by podSelector, while
# netpol-analyzer treats them as ordinary pods (policy-semantics.md 1.8,
# divergence table "hostNetwork pods").  Every other case must match
# exactly in Cilium semantics too.
set -u
PT="$BIN/policy-tester"
CASES="$SHARED_DATA/policy-cases/netpol-analyzer"
[ -d "$CASES/tests" ] || { echo "no netpol-analyzer data at $CASES"; exit 77; }
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

HOSTNET_CASES="ipblockstest ipblockstest_2 minikube_resources
multiple_topology_resources_1 multiple_topology_resources_2
semanticDiff-same-topologies-new1 semanticDiff-same-topologies-new3
semanticDiff-same-topologies-old1 semanticDiff-same-topologies-old2"

fail=0 n=0 ok_k8s=0 ok_cil=0 known=0
for dir in "$CASES"/tests/*/; do
	c=$(basename "$dir")
	exp="$CASES/test_outputs/connlist/${c}_connlist_output.txt"
	[ -f "$exp" ] || continue
	n=$((n + 1))
	grep -v '^{ingress-controller}' "$exp" >"$tmp/exp"
	if ! "$PT" --semantics k8s --manifests "$dir" --connlist \
	    >"$tmp/k8s" 2>"$tmp/err"; then
		echo "FAIL $c: policy-tester failed"; cat "$tmp/err"; fail=1
		continue
	fi
	if diff -u "$tmp/exp" "$tmp/k8s" >"$tmp/diff"; then
		ok_k8s=$((ok_k8s + 1))
	else
		echo "FAIL $c (--semantics k8s): connlist differs"
		head -20 "$tmp/diff"; fail=1
	fi
	"$PT" --manifests "$dir" --connlist >"$tmp/cil" 2>/dev/null
	hostnet=0
	for h in $HOSTNET_CASES; do [ "$h" = "$c" ] && hostnet=1; done
	if diff -q "$tmp/exp" "$tmp/cil" >/dev/null; then
		ok_cil=$((ok_cil + 1))
		[ $hostnet = 1 ] && {
			echo "FAIL $c: listed as a hostNetwork divergence but agrees"
			fail=1; }
	elif [ $hostnet = 1 ]; then
		known=$((known + 1))
		echo "known $c (Cilium semantics): $(diff "$tmp/exp" "$tmp/cil" |
		    grep -c '^[<>]') lines differ: hostNetwork pods are the host"
	else
		echo "FAIL $c (Cilium semantics): connlist differs"
		diff -u "$tmp/exp" "$tmp/cil" | head -20; fail=1
	fi
done
echo "netpol-analyzer connlist: --semantics k8s $ok_k8s/$n identical;" \
    "Cilium semantics $ok_cil/$n identical, $known known (hostNetwork)"
[ "$n" -ge 28 ] || { echo "expected at least 28 cases, found $n"; exit 1; }
exit $fail
