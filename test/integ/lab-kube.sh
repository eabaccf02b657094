#!/bin/sh
# lab-kube: the kube module against the lab's API server, through
# build/tools/kubectl-lite, compared with the real kubectl where both
# can answer: list with small pages, selectors, 401/403/404 messages,
# credentials (client cert, token, tokenFile, exec plugin re-run on
# 401, exec plugin client certificate, in-cluster service account),
# proxy-url (a CONNECT proxy for
# REST and exec), TLS checks (tls-server-name, wrong CA), exec (exit codes,
# stdout/stderr apart, stdin, a large binary stream byte for byte, a
# missing binary), and deadlines on a stalled server.  Skips (77)
# without root/netns.
#
# KUBE_TEST_EXEC_MB sets the size of the binary stream (default 50).
set -u
ROOT=${ROOT:-$(cd "$(dirname "$0")/../.." && pwd)}
BUILD=${BUILD:-build}
TOOLS=${TOOLS:-$ROOT/$BUILD/tools}
. "$ROOT/test/lab/testlib.sh"

command -v kubectl >/dev/null 2>&1 || { echo "skipped: no kubectl"; exit 77; }
command -v jq >/dev/null 2>&1 || { echo "skipped: no jq"; exit 77; }
LAB_PAGE_SIZE=2
export LAB_PAGE_SIZE
lab_start kube

KL=$TOOLS/kubectl-lite
fails=0
T=$LAB_HOME/t
mkdir -p "$T"
ok() { echo "ok   $1"; }
fail() { echo "FAIL $1"; fails=$((fails + 1)); }
# expect NAME FILE REGEX
expect() {
	if grep -Eq -- "$3" "$2"; then ok "$1"; else
		fail "$1: no /$3/ in:"; sed 's/^/    /' "$2" | head -20
	fi
}
kl() { timeout 120 "$KL" "$@"; }
k() { timeout 120 kubectl "$@"; }
names() { jq -r '[.items[] | "\(.metadata.namespace)/\(.metadata.name)"] | sort | join(" ")'; }

# --- LIST with pages of 2, compared with kubectl ---------------------------
kl get pods -A >"$T/lite.json" 2>"$T/err" || { fail "list pods -A"; cat "$T/err"; }
k get pods -A -o json >"$T/kubectl.json"
a=$(names <"$T/lite.json"); b=$(names <"$T/kubectl.json")
[ -n "$a" ] && [ "$a" = "$b" ] && ok "list pods -A (paged by 2) = kubectl" ||
	fail "list pods -A: '$a' vs kubectl '$b'"
[ "$(jq '.items | length' "$T/lite.json")" = 8 ] && ok "8 pods" ||
	fail "pod count"
a=$(jq -S '.items | sort_by(.metadata.namespace, .metadata.name)' "$T/lite.json" | sha256sum)
b=$(jq -S '.items | sort_by(.metadata.namespace, .metadata.name)' "$T/kubectl.json" | sha256sum)
[ "$a" = "$b" ] && ok "pod objects identical to kubectl's" ||
	fail "pod objects differ from kubectl's"
for r in services endpointslices networkpolicies ciliumnetworkpolicies \
    ciliumendpoints; do
	kl get "$r" -A >"$T/l" 2>"$T/err"; k get "$r" -A -o json >"$T/k" 2>&1
	a=$(names <"$T/l"); b=$(names <"$T/k")
	[ -n "$a" ] && [ "$a" = "$b" ] && ok "list $r -A = kubectl" ||
		fail "list $r: '$a' vs '$b' $(cat "$T/err")"
done
kl get ccnp >"$T/l" && [ "$(jq -r '.items[0].metadata.name' "$T/l")" = allow-dns ] &&
	ok "cluster-scoped list (ccnp)" || fail "list ccnp"
kl get nodes >"$T/l" && [ "$(jq '.items | length' "$T/l")" = 2 ] &&
	ok "list nodes" || fail "list nodes"

# --- selectors ---------------------------------------------------------------
for sel in 'app in (frontend,backend)' 'app!=db,tier' '!tier'; do
	kl get pods -A -l "$sel" >"$T/l" 2>"$T/err"
	k get pods -A -l "$sel" -o json >"$T/k"
	a=$(names <"$T/l"); b=$(names <"$T/k")
	[ "$a" = "$b" ] && ok "label selector '$sel' = kubectl ($a)" ||
		fail "label selector '$sel': '$a' vs '$b' $(cat "$T/err")"
done
kl get pods -A --field-selector spec.nodeName=node2 >"$T/l"
k get pods -A --field-selector spec.nodeName=node2 -o json >"$T/k"
a=$(names <"$T/l"); b=$(names <"$T/k")
[ -n "$a" ] && [ "$a" = "$b" ] && ok "field selector = kubectl ($a)" ||
	fail "field selector: '$a' vs '$b'"
kl get pods -A --field-selector bogus.field=x >"$T/l" 2>"$T/err"
expect "bad field selector: 400 message" "$T/err" \
	'\[invalid input\] the API server refused to list pods in all namespaces: .*field label not supported'

# --- watch --------------------------------------------------------------------
t0=$(date +%s)
kl watch pods -n demo --timeout-seconds 2 >"$T/w" 2>"$T/err"; rc=$?
t1=$(date +%s)
[ $rc = 0 ] && [ "$(sort "$T/w" | tr '\n' ' ')" = "ADDED demo/backend ADDED demo/db ADDED demo/frontend " ] &&
	[ $((t1 - t0)) -le 6 ] && ok "watch: an ADDED per pod, ends after timeoutSeconds" ||
	fail "watch: rc $rc after $((t1 - t0)) s: $(cat "$T/w" "$T/err")"
kl watch pods -A -l app=backend --from-list --timeout-seconds 1 >"$T/w" 2>"$T/err"; rc=$?
[ $rc = 0 ] && [ ! -s "$T/w" ] && grep -q 'listed 1, resourceVersion [0-9]' "$T/err" &&
	ok "watch from the list's resourceVersion: no replay" ||
	fail "watch from list: rc $rc $(cat "$T/w" "$T/err")"
kl --context lab-viewer watch pods -n kube-system --timeout-seconds 1 >"$T/w" 2>"$T/err"
grep -q '\[forbidden\] not allowed to watch pods in namespace kube-system: RBAC must grant verb "watch"' "$T/err" &&
	ok "watch 403 names the watch verb" || fail "watch 403: $(cat "$T/err")"

# --- errors ------------------------------------------------------------------
kl -n demo get pod nope >"$T/l" 2>"$T/err"; rc=$?
[ $rc = 1 ] && ok "404 exit 1" || fail "404 exit $rc"
expect "404 message" "$T/err" '^kubectl-lite: \[not found\] pod demo/nope not found$'
kl --context lab-viewer get pods -n kube-system >"$T/l" 2>"$T/err"
expect "403 names verb, resource and namespace" "$T/err" \
	'\[forbidden\] not allowed to list pods in namespace kube-system: RBAC must grant verb "list" on "pods" in namespace kube-system to user "lab-viewer"'
kl --context lab-viewer get pods -n demo >"$T/l" 2>"$T/err" &&
	ok "viewer may list demo" || fail "viewer list demo: $(cat "$T/err")"
sed 's/^\(    token: \).*/\1not-a-valid-token/' "$KUBECONFIG" >"$T/badtok"
kl --kubeconfig "$T/badtok" --context lab-token get pods >"$T/l" 2>"$T/err"
expect "401 message" "$T/err" '\[authentication failed\] the API server .* rejected the bearer token of user "lab-token" \(context "lab-token"\) with 401'
if grep -q not-a-valid-token "$T/err"; then fail "401: token in message"; else ok "401: no token in message"; fi

# --- credentials ----------------------------------------------------------------
ca=$(awk '/certificate-authority-data/ { print $2; exit }' "$KUBECONFIG")
mkcfg() { # mkcfg FILE USER-YAML [CLUSTER-EXTRA]
	{
		echo "apiVersion: v1"; echo "kind: Config"
		echo "current-context: t"
		echo "clusters:"; echo "- name: c"; echo "  cluster:"
		echo "    server: ${SERVER:-$LAB_SERVER}"
		[ -n "${3:-}" ] && printf '%s\n' "$3" ||
			echo "    certificate-authority-data: $ca"
		echo "users:"; echo "- name: u"; echo "  user:"
		printf '%s\n' "$2"
		echo "contexts:"; echo "- name: t"
		echo "  context: {cluster: c, user: u, namespace: demo}"
	} >"$1"
}
cp "$LAB_STATE/token-admin" "$T/tokfile"
mkcfg "$T/kc-tokfile" "    tokenFile: tokfile"
kl --kubeconfig "$T/kc-tokfile" get pods >"$T/l" 2>"$T/err" &&
	[ "$(jq '.items | length' "$T/l")" = 3 ] && ok "tokenFile (relative path)" ||
	fail "tokenFile: $(cat "$T/err")"
# exec plugin: the first run hands out a bad token, the second a good
# one: the 401 must make the client run it again, once.
cat >"$T/plugin" <<EOF
#!/bin/sh
n=\$(cat "$T/plugin-runs" 2>/dev/null || echo 0); n=\$((n + 1))
echo \$n >"$T/plugin-runs"
tok=\$(cat "$LAB_STATE/token-admin")
[ \$n = 1 ] && tok=stale-token
printf '{"apiVersion":"client.authentication.k8s.io/v1beta1","kind":"ExecCredential","status":{"token":"%s"}}\n' "\$tok"
EOF
chmod +x "$T/plugin"
mkcfg "$T/kc-plugin" "    exec:
      apiVersion: client.authentication.k8s.io/v1beta1
      command: ./plugin"
kl --kubeconfig "$T/kc-plugin" get pods >"$T/l" 2>"$T/err" &&
	[ "$(jq '.items | length' "$T/l")" = 3 ] && [ "$(cat "$T/plugin-runs")" = 2 ] &&
	ok "exec plugin re-run once on 401" ||
	fail "exec plugin: runs $(cat "$T/plugin-runs" 2>/dev/null) $(cat "$T/err")"
# a plugin that answers with a client certificate (PEM, not base64)
python3 - "$LAB_STATE/admin.crt" "$LAB_STATE/admin.key" >"$T/cred.json" <<'EOF'
import json, sys
print(json.dumps({"apiVersion": "client.authentication.k8s.io/v1",
    "kind": "ExecCredential", "status": {
    "clientCertificateData": open(sys.argv[1]).read(),
    "clientKeyData": open(sys.argv[2]).read()}}))
EOF
printf '#!/bin/sh\ncat "%s"\n' "$T/cred.json" >"$T/certplugin"
chmod +x "$T/certplugin"
mkcfg "$T/kc-certplugin" "    exec:
      apiVersion: client.authentication.k8s.io/v1
      interactiveMode: Never
      command: ./certplugin"
kl --kubeconfig "$T/kc-certplugin" get pods -n kube-system >"$T/l" 2>"$T/err" &&
	[ "$(jq '.items | length' "$T/l")" = 3 ] &&
	ok "exec plugin client certificate (admin)" ||
	fail "exec plugin cert: $(cat "$T/err")"
kl --kubeconfig "$T/kc-certplugin" -n demo exec frontend -- true 2>"$T/err" &&
	ok "exec plugin certificate used for pods/exec too" ||
	fail "exec plugin cert exec: $(cat "$T/err")"
mkcfg "$T/kc-noplugin" "    exec:
      apiVersion: client.authentication.k8s.io/v1beta1
      command: cilkit-no-such-plugin
      installHint: install it with apt"
kl --kubeconfig "$T/kc-noplugin" get pods >"$T/l" 2>"$T/err"
expect "missing plugin: install hint" "$T/err" 'cilkit-no-such-plugin" of user "u" was not found in PATH; install it with apt'
# tls-server-name: the certificate is for localhost and 127.0.0.1
mkcfg "$T/kc-tsn" "    tokenFile: tokfile" "    certificate-authority-data: $ca
    tls-server-name: localhost"
kl --kubeconfig "$T/kc-tsn" get pods >"$T/l" 2>"$T/err" &&
	ok "tls-server-name localhost" || fail "tls-server-name: $(cat "$T/err")"
mkcfg "$T/kc-tsn2" "    tokenFile: tokfile" "    certificate-authority-data: $ca
    tls-server-name: wrong.example"
kl --kubeconfig "$T/kc-tsn2" get pods >"$T/l" 2>"$T/err"
expect "wrong tls-server-name refused" "$T/err" \
	'\[connection failed\] the TLS certificate of the API server .* was not accepted .*tls-server-name of cluster "c"'
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes \
	-keyout "$T/other.key" -out "$T/other.crt" -subj /CN=other -days 1 \
	>/dev/null 2>&1
mkcfg "$T/kc-ca" "    tokenFile: tokfile" "    certificate-authority: other.crt"
kl --kubeconfig "$T/kc-ca" get pods >"$T/l" 2>"$T/err"
expect "wrong CA refused" "$T/err" 'was not accepted .*check certificate-authority of cluster "c" in '
mkcfg "$T/kc-insecure" "    tokenFile: tokfile" "    insecure-skip-tls-verify: true"
kl --kubeconfig "$T/kc-insecure" get pods >"$T/l" 2>"$T/err" &&
	ok "insecure-skip-tls-verify works" || fail "insecure: $(cat "$T/err")"
expect "insecure warns" "$T/err" 'warning: TLS certificate checks are off'

# --- proxy-url: an HTTP CONNECT proxy carries REST and exec ------------------
cat >"$T/proxy.py" <<'EOF'
import socket, sys, threading
ls = socket.socket()
ls.bind(("127.0.0.1", 0))
ls.listen(16)
open(sys.argv[1], "w").write(str(ls.getsockname()[1]))
def pipe(a, b):
    try:
        while True:
            d = a.recv(65536)
            if not d:
                break
            b.sendall(d)
    except OSError:
        pass
    finally:
        try:
            b.shutdown(socket.SHUT_WR)
        except OSError:
            pass
def handle(c):
    req = b""
    while b"\r\n\r\n" not in req:
        d = c.recv(4096)
        if not d:
            return
        req += d
    line = req.split(b"\r\n")[0].decode()
    meth, target = line.split()[:2]
    with open(sys.argv[2], "a") as f:
        f.write(line + "\n")
    if meth != "CONNECT":
        c.sendall(b"HTTP/1.1 405 Method Not Allowed\r\n\r\n")
        return c.close()
    host, port = target.rsplit(":", 1)
    u = socket.create_connection((host, int(port)))
    c.sendall(b"HTTP/1.1 200 Connection established\r\n\r\n")
    threading.Thread(target=pipe, args=(u, c), daemon=True).start()
    pipe(c, u)
while True:
    c, _ = ls.accept()
    threading.Thread(target=handle, args=(c,), daemon=True).start()
EOF
python3 "$T/proxy.py" "$T/proxy.port" "$T/proxy.log" &
proxy_pid=$!
trap 'kill "$proxy_pid" 2>/dev/null; lab_stop' EXIT
i=0
while [ ! -s "$T/proxy.port" ] && [ $i -lt 50 ]; do sleep 0.1; i=$((i + 1)); done
mkcfg "$T/kc-proxy" "    tokenFile: tokfile" "    certificate-authority-data: $ca
    proxy-url: http://127.0.0.1:$(cat "$T/proxy.port")"
kl --kubeconfig "$T/kc-proxy" get pods >"$T/l" 2>"$T/err" &&
	[ "$(jq '.items | length' "$T/l")" = 3 ] &&
	grep -q "^CONNECT 127.0.0.1:" "$T/proxy.log" &&
	ok "proxy-url: REST through the CONNECT proxy" ||
	fail "proxy-url REST: $(cat "$T/err" "$T/proxy.log")"
n0=$(wc -l <"$T/proxy.log")
v=$(kl --kubeconfig "$T/kc-proxy" -n demo exec frontend -- echo via-proxy 2>"$T/err")
[ "$v" = via-proxy ] && [ "$(wc -l <"$T/proxy.log")" -gt "$n0" ] &&
	ok "proxy-url: exec through the CONNECT proxy" ||
	fail "proxy-url exec: '$v' $(cat "$T/err")"
kill "$proxy_pid" 2>/dev/null
trap 'lab_stop' EXIT

# --- in-cluster config: no kubeconfig, a service-account folder ---------------
mkdir -p "$T/sa" "$T/emptyhome"
cp "$LAB_STATE/token-viewer" "$T/sa/token"
cp "$LAB_STATE/ca.crt" "$T/sa/ca.crt"
echo demo >"$T/sa/namespace"
port=${LAB_SERVER##*:}
env -u KUBECONFIG -u POD_NAMESPACE HOME="$T/emptyhome" \
	KUBERNETES_SERVICE_HOST=127.0.0.1 KUBERNETES_SERVICE_PORT="$port" \
	timeout 60 "$KL" --sa-dir "$T/sa" config >"$T/ic" 2>&1
grep -q '^source=in-cluster$' "$T/ic" && grep -q '^namespace=demo$' "$T/ic" &&
	ok "in-cluster config: server, namespace file" ||
	fail "in-cluster config: $(cat "$T/ic")"
env -u KUBECONFIG -u POD_NAMESPACE HOME="$T/emptyhome" \
	KUBERNETES_SERVICE_HOST=127.0.0.1 KUBERNETES_SERVICE_PORT="$port" \
	timeout 60 "$KL" --sa-dir "$T/sa" get pods >"$T/l" 2>"$T/err" &&
	[ "$(jq '.items | length' "$T/l")" = 3 ] &&
	ok "in-cluster: the service-account token lists demo" ||
	fail "in-cluster get: $(cat "$T/err")"

# --- exec ----------------------------------------------------------------------
kl -n demo exec frontend -- sh -c 'echo out; echo err >&2; exit 7' \
	>"$T/out" 2>"$T/err"; rc=$?
[ $rc = 7 ] && ok "exec exit code 7" || fail "exec exit code: $rc"
[ "$(cat "$T/out")" = out ] && [ "$(cat "$T/err")" = err ] &&
	ok "stdout and stderr apart" || fail "streams: '$(cat "$T/out")' '$(cat "$T/err")'"
kl -n demo exec frontend -- ip -4 -o addr show eth0 >"$T/out" 2>"$T/err"
k exec -n demo frontend -- ip -4 -o addr show eth0 >"$T/kout" 2>&1
cmp -s "$T/out" "$T/kout" && expect "exec runs in the pod's netns" "$T/out" '10\.0\.1\.10/32' ||
	fail "exec ip addr differs from kubectl's: $(cat "$T/out" "$T/err" "$T/kout")"
kl -n demo exec frontend -- cilkit-nonexistent >"$T/out" 2>"$T/err"; rc=$?
[ $rc = 125 ] && ok "missing binary: exit 125" || fail "missing binary rc $rc"
expect "missing binary: message" "$T/err" '\[I/O error\] exec of cilkit-nonexistent in pod demo/frontend failed: .*executable file not found'
kl -n demo exec nope -- true >"$T/out" 2>"$T/err"
expect "exec in a missing pod" "$T/err" '\[not found\] pod demo/nope not found'
kl --context lab-viewer -n demo exec frontend -- true >"$T/out" 2>"$T/err"
expect "exec 403 names pods/exec" "$T/err" \
	'\[forbidden\] not allowed to exec in pod demo/frontend: RBAC must grant verb "get" .* on "pods/exec" in namespace demo to user "lab-viewer"'
head -c 300000 /dev/urandom >"$T/in"
a=$(kl -n demo exec -i frontend -- sha256sum <"$T/in" | cut -d' ' -f1)
b=$(sha256sum <"$T/in" | cut -d' ' -f1)
[ "$a" = "$b" ] && ok "stdin 300 kB byte for byte, EOF delivered" ||
	fail "stdin: $a vs $b"
MB=${KUBE_TEST_EXEC_MB:-50}
head -c $((MB * 1048576)) /dev/urandom >"$T/big"
t0=$(date +%s)
timeout 300 "$KL" -n demo exec frontend -- cat "$T/big" >"$T/big.out" \
	2>"$T/err"; rc=$?
t1=$(date +%s)
a=$(sha256sum <"$T/big" | cut -d' ' -f1); b=$(sha256sum <"$T/big.out" | cut -d' ' -f1)
[ $rc = 0 ] && [ "$a" = "$b" ] &&
	ok "exec: $MB MB of binary stdout identical (sha256), exit 0, $((t1 - t0)) s" ||
	fail "exec $MB MB: rc $rc, $(wc -c <"$T/big.out") bytes, $(cat "$T/err")"
rm -f "$T/big" "$T/big.out"

# --- deadlines -------------------------------------------------------------------
t0=$(date +%s)
kl -n demo exec --deadline 2000 frontend -- sleep 30 >"$T/out" 2>"$T/err"; rc=$?
t1=$(date +%s)
[ $rc = 125 ] && [ $((t1 - t0)) -le 5 ] && ok "exec deadline (2 s) honoured" ||
	fail "exec deadline: rc $rc after $((t1 - t0)) s"
expect "exec deadline message" "$T/err" '\[timed out\] exec in pod demo/frontend did not finish within 2000 ms'
# a stalled server: stop the API server process mid-exec
kl -n demo exec --deadline 3000 frontend -- sleep 30 >"$T/out" 2>"$T/err" &
p=$!
sleep 1
kill -STOP "$LAB_APISERVER_PID"
t0=$(date +%s)
wait $p; rc=$?
t1=$(date +%s)
[ $rc = 125 ] && [ $((t1 - t0)) -le 5 ] && ok "stalled exec: deadline honoured" ||
	fail "stalled exec: rc $rc after $((t1 - t0)) s"
t0=$(date +%s)
kl --timeout 2000 get pods -A >"$T/out" 2>"$T/err"; rc=$?
t1=$(date +%s)
kill -CONT "$LAB_APISERVER_PID"
[ $rc = 1 ] && [ $((t1 - t0)) -le 6 ] && ok "stalled GET: timeout honoured ($((t1 - t0)) s)" ||
	fail "stalled GET: rc $rc after $((t1 - t0)) s"
expect "stalled GET message" "$T/err" '\[timed out\] the API server .* did not answer list pods in all namespaces in time'
kl get pods -A >"$T/out" 2>"$T/err" && ok "server usable again" ||
	fail "after SIGCONT: $(cat "$T/err")"

echo "$fails failures"
[ $fails -eq 0 ]
