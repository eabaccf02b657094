#!/bin/sh
# policy_live: policy-tester against the lab's API server (no
# --manifests): objects come from the API, the probe runs inside the
# source pod over pods/exec, the Hubble step asks the agents.  A check
# that connects, one that times out (dropped), one that is refused
# (rejected), the Hubble verdict with the deny policy's name, a UDP and
# an ICMP probe; then every lab pod pair as a --json suite, where the
# probe inside the pod must agree with the engine's verdict every time.
# Skips (77) without root.
set -u
ROOT=${ROOT:-$(cd "$(dirname "$0")/../.." && pwd)}
PT="$ROOT/${BUILD:-build}/bin/policy-tester"
. "$ROOT/test/lab/testlib.sh"
lab_start policylive

fails=0
ok() { echo "ok   $1"; }
fail() { echo "FAIL $1"; fails=$((fails + 1)); }
check() { # NAME EXPECTED-RC PATTERN... -- ARGS
	name=$1 want=$2; shift 2
	pats=""
	while [ "$1" != -- ]; do pats="$pats
$1"; shift; done
	shift
	out=$("$PT" "$@" 2>&1); rc=$?
	[ "$rc" = "$want" ] || { fail "$name: exit $rc, want $want"; echo "$out"; return; }
	echo "$pats" | while IFS= read -r p; do
		[ -z "$p" ] && continue
		printf '%s\n' "$out" | grep -qF -- "$p" || { echo "missing: $p"; exit 1; }
	done || { fail "$name"; echo "$out"; return; }
	ok "$name"
}

check "allowed connection succeeds" 0 \
    "[ok] DNS resolution: backend.demo.svc.cluster.local -> 10.96.0.20" \
    "[ok] Policy check: ALLOWED (matched policy: backend-allow-frontend)" \
    "[ok] TCP connection: SUCCESS (latency: " \
    "[ok] Hubble flow: FORWARDED" "Result: CONNECTION SUCCESSFUL" -- \
    --from demo/frontend --to demo/backend --port 8080
check "dropped connection times out" 1 \
    "[FAIL] Policy check: DENIED" \
    "is isolated for ingress" "[FAIL] TCP connection: TIMED OUT after 2s" \
    "Result: CONNECTION FAILED" -- \
    --from other/crawler --to demo/svc/backend --port 8080 --timeout 2
check "rejected connection is refused" 0 \
    "denied by CiliumNetworkPolicy other/client-deny-demo egressDeny rule 1" \
    "[FAIL] TCP connection: REFUSED" \
    "[FAIL] Hubble flow: DROPPED" "client-deny-demo" \
    "(expected deny: PASS)" -- \
    --from other/client --to demo/backend --port 8080 --expect deny
check "expect allow on a dropped path fails" 1 "expected allow: FAIL" -- \
    --from demo/frontend --to demo/db --port 5432 --timeout 2 \
    --expect allow
check "UDP to cluster DNS" 0 "[ok] UDP exchange: SUCCESS" -- \
    --from other/client --to kube-system/svc/kube-dns --port 53 \
    --protocol udp --timeout 2
check "ICMP into demo is dropped" 1 "[FAIL] ICMP echo: NO REPLY" -- \
    --from demo/frontend --to demo/backend --protocol icmp --timeout 2
check "unknown pod is an input error" 2 "pod demo/nope not found" -- \
    --from demo/nope --to demo/backend --port 8080

# every pod pair: the probe inside the pod agrees with the engine
suite=$LAB_HOME/suite.yaml
: >"$suite"
while read -r sns sname _ _ _ _ _ shost _; do
	[ "$shost" = 1 ] && continue
	while read -r dns dname _ _ _ _ _ dhost dports; do
		[ "$dhost" = 1 ] || [ "$dports" = - ] && continue
		[ "$sns/$sname" = "$dns/$dname" ] && continue
		for p in $(echo "$dports" | tr ',' ' '); do
			printf -- '- {from: %s/%s, to: %s/%s, port: %s, protocol: %s}\n' \
			    "$sns" "$sname" "$dns" "$dname" "${p#*/}" "${p%/*}" \
			    >>"$suite"
		done
	done <"$LAB_STATE/pods.tsv"
done <"$LAB_STATE/pods.tsv"
"$PT" --suite "$suite" --json --timeout 2 >"$LAB_HOME/suite.json" 2>&1
python3 - "$LAB_HOME/suite.json" <<'PY' || fails=$((fails + 1))
import json, sys
cases = json.load(open(sys.argv[1]))["cases"]
bad = [c for c in cases if "connected" not in c
       or (c["verdict"] == "allow") != c["connected"]]
for c in bad:
    print("DISAGREE", c["from"], c["to"], c.get("port"), c["verdict"],
          c.get("connected"), [s["text"] for s in c["steps"]])
print("probe agrees with the engine on %d/%d pod pairs" %
      (len(cases) - len(bad), len(cases)))
sys.exit(1 if bad or len(cases) < 10 else 0)
PY
[ $fails = 0 ] || { echo "$fails failed"; exit 1; }
