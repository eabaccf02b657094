#!/bin/sh
# policy_lab: the engine's verdicts agree with what the lab's data path
# really does.  The lab's objects (its generated pods, services,
# namespaces) and its policies/*.yaml are given to policy-tester offline
# (--manifests); every ordered pair of lab pods is then probed for real
# from inside the source pod's network namespace (socat, TCP to each
# port the destination serves, UDP 53 to cluster DNS).  A connection that
# answers must be ALLOWED by the engine; one that times out (dropped) or
# is refused by the reject rule (Cilium's deny response) must be DENIED.
# The checks run as one --suite with the observed results as `expect`,
# plus a JUnit report.  Skips (77) without root.
set -u
ROOT=${ROOT:-$(cd "$(dirname "$0")/../.." && pwd)}
PT="$ROOT/${BUILD:-build}/bin/policy-tester"
. "$ROOT/test/lab/testlib.sh"
lab_start policy

suite=$LAB_HOME/suite.yaml
: >"$suite"
# pods.tsv: ns name node ip4 ip6 netns lxc hostnet ports (tcp/8080,...)
# A server that has just started may accept and close at once: an
# empty or odd answer is retried before it counts as a probe error.
probe() { # SRC-NETNS PROTO IP PORT -> allow|deny
	for try in 1 2 3 4; do
		r=$(probe1 "$@" 2>/dev/null)
		[ "$r" != error ] && { echo "$r"; return; }
		sleep 1
	done
	probe1 "$@"
}
probe1() {
	if [ "$2" = udp ]; then
		out=$(echo ping | ip netns exec "$1" timeout 5 socat -T 2 - \
		    "UDP:$3:$4" 2>&1)
		case $out in ping*) echo allow ;; *) echo deny ;; esac
		return
	fi
	out=$(echo "GET / HTTP/1.0" | ip netns exec "$1" timeout 6 socat \
	    -T 2 - "TCP:$3:$4,connect-timeout=2" 2>&1)
	case $out in
	*" $4"*) echo allow ;;
	*"timed out"*|*"Connection refused"*) echo deny ;;
	*) echo "unexpected: $out" >&2; echo error ;;
	esac
}
n=0
while read -r sns sname _ _ _ snetns _ shost _; do
	[ "$shost" = 1 ] || [ "$shost" = true ] && continue
	while read -r dns dname _ dip _ _ _ dhost dports; do
		[ "$dhost" = 1 ] || [ "$dhost" = true ] && continue
		[ "$sns/$sname" = "$dns/$dname" ] && continue
		[ "$dports" = - ] && continue
		for p in $(echo "$dports" | tr ',' ' '); do
			proto=${p%/*} port=${p#*/}
			got=$(probe "$snetns" "$proto" "$dip" "$port")
			[ "$got" = error ] && { echo "FAIL probe $sns/$sname -> $dns/$dname"; exit 1; }
			printf -- '- {name: "%s/%s -> %s/%s %s/%s (%s)", from: %s/%s, to: %s/%s, port: %s, protocol: %s, expect: %s}\n' \
			    "$sns" "$sname" "$dns" "$dname" "$port" "$proto" \
			    "$got" "$sns" "$sname" "$dns" "$dname" "$port" \
			    "$proto" "$got" >>"$suite"
			n=$((n + 1))
		done
	done <"$LAB_STATE/pods.tsv"
done <"$LAB_STATE/pods.tsv"
# services (test/lab/topology): the probe goes to the cluster IP, the
# engine maps NS/svc/NAME to the backend pod and its target port.  A pod
# reaching itself through its own service is left out: the lab's
# nftables drop that hairpin like any other demo ingress, while for
# Kubernetes and the engine a pod can always reach itself (1.8).
for svc in demo/backend:10.96.0.20:8080:tcp demo/db:10.96.0.30:5432:tcp \
    kube-system/kube-dns:10.96.0.10:53:udp; do
	IFS=: read -r sname sip sport sproto <<-EOT
	$svc
	EOT
	grep -q "\"$sip\"" "$LAB_STATE/objects.json" || continue
	while read -r pns pname _ _ _ pnetns _ phost _; do
		[ "$phost" = 1 ] && continue
		case $sname in demo/backend) self=demo/backend ;;
		demo/db) self=demo/db ;; *) self=kube-system/coredns ;; esac
		[ "$pns/$pname" = "$self" ] && continue
		got=$(probe "$pnetns" "$sproto" "$sip" "$sport")
		[ "$got" = error ] && { echo "FAIL probe $pns/$pname -> $sip"; exit 1; }
		printf -- '- {name: "%s/%s -> svc %s %s/%s (%s)", from: %s/%s, to: %s, port: %s, protocol: %s, expect: %s}\n' \
		    "$pns" "$pname" "$sname" "$sport" "$sproto" "$got" "$pns" \
		    "$pname" "${sname%%/*}/svc/${sname#*/}" "$sport" "$sproto" \
		    "$got" >>"$suite"
		n=$((n + 1))
	done <"$LAB_STATE/pods.tsv"
done
echo "probed $n pod pairs/ports"
[ "$n" -ge 10 ] || { echo "FAIL: too few probes"; exit 1; }
grep -c "expect: allow" "$suite" | sed 's/^/allowed: /'
grep -c "expect: deny" "$suite" | sed 's/^/denied: /'

rc=0
"$PT" --manifests "$LAB_STATE/objects.json" --manifests "$ROOT/test/lab/policies" \
    --suite "$suite" --junit "$LAB_HOME/junit.xml" || rc=$?
grep -q '<testsuite name="policy-tester" tests="'"$n"'" failures="0"' \
    "$LAB_HOME/junit.xml" || { echo "FAIL: junit report"; cat "$LAB_HOME/junit.xml"; rc=1; }
[ $rc = 0 ] && echo "engine agrees with the data path on all $n probes"
exit $rc
