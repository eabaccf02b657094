#!/bin/sh
# bench/policy.sh - policy-tester's whole connectivity matrix
# (--connlist: every ordered pod pair, every port and protocol, plus the
# external ranges) on generated clusters of 100, 1,000 and 5,000 pods
# with proportional policies (one NetworkPolicy or Cilium policy per
# pod's app, a default-deny per namespace, ipBlocks and deny rules), and
# a single --suite of 100 checks on the 5,000-pod cluster.  Prints wall
# time, max RSS and the growth factor between sizes.
#
# No reference tool can run here (netpol-analyzer and cyclonus are Go
# programs that are not installed), so the comparison is against a
# straightforward Python evaluation of the same K8s NP matrix on the
# 100-pod cluster (bench/policy_ref.py; it needs minutes at 1,000), same
# input, same run.  CPU time is the figure to compare: the machine is
# shared, wall time varies with its load.
set -u
ROOT=$(cd "$(dirname "$0")/.." && pwd)
PT="$ROOT/${BUILD:-build}/bin/policy-tester"
OUT="${BENCH_OUT:-$ROOT/bench/out}/policy"
mkdir -p "$OUT"
[ -x "$PT" ] || { echo "build policy-tester first"; exit 1; }

# gen N DIR: N pods in N/50 namespaces (10 pods per app), one policy per
# app, one default-deny per namespace, one CCNP denying port 23.
gen() {
	awk -v n="$1" 'BEGIN {
		nns = int(n / 50); if (nns < 1) nns = 1
		for (k = 0; k < nns; k++)
			printf "---\nkind: Namespace\nmetadata: {name: ns%d, labels: {tier: t%d}}\n", k, k % 3
		for (i = 0; i < n; i++) {
			ns = i % nns; app = int(i / 10)
			printf "---\nkind: Pod\nmetadata: {name: p%d, namespace: ns%d, labels: {app: a%d, role: r%d}}\n", i, ns, app, i % 4
			printf "spec: {containers: [{name: c, ports: [{name: http, containerPort: %d}]}]}\n", 8000 + app % 50
			printf "status: {podIP: 10.%d.%d.%d}\n", int(i / 65536) % 256, int(i / 256) % 256, i % 256
		}
		for (k = 0; k < nns; k++)
			printf "---\nkind: NetworkPolicy\nmetadata: {name: deny, namespace: ns%d}\nspec: {podSelector: {}, policyTypes: [Ingress]}\n", k
		napps = int(n / 10)
		for (a = 0; a < napps * 10; a++) {
			# one policy per 1 pod on average: 10 per app
			app = a % napps; v = int(a / napps); ns = (app * 10) % nns
			if (v % 5 == 4) {
				printf "---\nkind: CiliumNetworkPolicy\nmetadata: {name: c%d, namespace: ns%d}\n", a, ns
				printf "spec:\n  endpointSelector: {matchLabels: {app: a%d}}\n", app
				printf "  ingress:\n  - fromEndpoints: [{matchLabels: {role: r%d}}]\n", v % 4
				printf "    toPorts: [{ports: [{port: \"%d\", protocol: TCP}]}]\n", 9000 + v
				continue
			}
			printf "---\nkind: NetworkPolicy\nmetadata: {name: p%d, namespace: ns%d}\n", a, ns
			printf "spec:\n  podSelector: {matchLabels: {app: a%d}}\n  ingress:\n", app
			printf "  - from:\n    - podSelector: {matchExpressions: [{key: app, operator: In, values: [a%d, a%d]}]}\n", (app + 1) % napps, (app + 7) % napps
			printf "    - namespaceSelector: {matchLabels: {tier: t%d}}\n      podSelector: {matchLabels: {role: r%d}}\n", v % 3, v % 4
			printf "    - ipBlock: {cidr: 172.%d.0.0/16, except: [172.%d.1.0/24]}\n", v, v
			printf "    ports: [{port: http}, {port: %d, endPort: %d, protocol: UDP}]\n", 5000 + v, 5010 + v
		}
		printf "---\nkind: CiliumClusterwideNetworkPolicy\nmetadata: {name: no-telnet}\nspec:\n  endpointSelector: {}\n  ingressDeny: [{toPorts: [{ports: [{port: \"23\"}]}]}]\n"
	}' >"$2"
}

# run LABEL CMD...: prints "seconds maxrss_kb"
measure() {
	/usr/bin/time -f "%e %M %U" -o "$OUT/time" "$@" >"$OUT/stdout" 2>"$OUT/stderr"
	rc=$?
	[ $rc -le 1 ] || { echo "failed ($rc): $*"; cat "$OUT/stderr" | tail -3; }
	cat "$OUT/time"
}

prev=""
printf '%-6s %9s %10s %8s %8s %8s %s\n' pods policies pairs "wall s" "cpu s" "RSS MB" "cpu growth"
prevcpu=""
for n in 100 1000 5000; do
	gen "$n" "$OUT/cluster-$n.yaml"
	npol=$(grep -c '^kind: \(NetworkPolicy\|Cilium\)' "$OUT/cluster-$n.yaml")
	set -- $(measure "$PT" --manifests "$OUT/cluster-$n.yaml" --connlist)
	secs=$1 rss=$2 cpu=$3
	lines=$(wc -l <"$OUT/stdout")
	growth="-"
	[ -n "$prevcpu" ] && growth=$(awk -v a="$prevcpu" -v b="$cpu" \
	    'BEGIN { printf "x%.1f", (a > 0.005 ? b / a : 0) }')
	printf '%-6s %9s %10s %8s %8s %8.1f %s (%s allowed lines)\n' "$n" \
	    "$npol" $((n * n)) "$secs" "$cpu" \
	    "$(awk -v k="$rss" 'BEGIN { print k / 1024 }')" "$growth" "$lines"
	prev=$secs prevcpu=$cpu
	if [ "$n" -le 100 ] && command -v python3 >/dev/null; then
		set -- $(measure python3 "$ROOT/bench/policy_ref.py" \
		    "$OUT/cluster-$n.yaml")
		echo "       python reference (K8s NP only, TCP/8000-8049):" \
		    "$3 s cpu, $(awk -v k="$2" 'BEGIN { printf "%.1f", k / 1024 }')" \
		    "MB: $(awk -v a="$cpu" -v b="$3" 'BEGIN { printf "%.0fx", \
		    b / (a > 0.01 ? a : 0.01) }') policy-tester's cpu time"
	fi
done
# a suite of 100 checks on the biggest cluster
awk 'BEGIN { for (i = 0; i < 100; i++)
	printf "- {from: ns%d/p%d, to: ns%d/p%d, port: %d}\n", i % 100, i,
	    (i * 7) % 100, (i * 7) % 5000, 8000 + i % 50 }' >"$OUT/suite.yaml"
set -- $(measure "$PT" --manifests "$OUT/cluster-5000.yaml" --suite "$OUT/suite.yaml")
echo "suite of 100 checks on 5000 pods (load + index + checks): $1 s wall," \
    "$3 s cpu, $(awk -v k="$2" 'BEGIN { printf "%.1f", k / 1024 }') MB"
