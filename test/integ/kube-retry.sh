#!/bin/sh
# kube-retry: the REST client's bounded retries against a small real
# HTTP server (python3) that misbehaves on purpose: 503 with
# Retry-After, 429 with details.retryAfterSeconds, a connection closed
# without an answer, a 500 that never recovers (retries are bounded and
# the message names the status), an expired continue token (410: the
# list restarts once), and a server that never answers (timeout).
# Plain http on 127.0.0.1 (no credentials are sent over http, as with
# client-go), so no root is needed.
set -u
ROOT=${ROOT:-$(cd "$(dirname "$0")/../.." && pwd)}
BUILD=${BUILD:-build}
TOOLS=${TOOLS:-$ROOT/$BUILD/tools}
command -v python3 >/dev/null 2>&1 || { echo "skipped: no python3"; exit 77; }
KL=$TOOLS/kubectl-lite
T=$(mktemp -d "${TMPDIR:-/tmp}/kube-retry.XXXXXX")
pid=
cleanup() {
	[ -n "$pid" ] && kill "$pid" 2>/dev/null
	rm -rf "$T"
}
trap cleanup EXIT
fails=0
ok() { echo "ok   $1"; }
fail() { echo "FAIL $1"; fails=$((fails + 1)); }

cat >"$T/server.py" <<'EOF'
import http.server, json, socket, sys, time
# per path: the answers to give, in order; the last one repeats
PLAN = {
    "/api/v1/namespaces/a/pods": ["503", "ok"],
    "/api/v1/namespaces/b/pods": ["429", "ok"],
    "/api/v1/namespaces/c/pods": ["reset", "ok"],
    "/api/v1/namespaces/d/pods": ["500"],
    "/api/v1/namespaces/e/pods": ["page1", "expired", "page1", "page2"],
    "/api/v1/namespaces/f/pods": ["hang"],
}
seen = {}
def pod(n):
    return {"metadata": {"name": n, "namespace": "x"}}
class H(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    def log_message(self, *a):
        pass
    def send(self, code, obj, extra=()):
        b = json.dumps(obj).encode()
        self.send_response(code)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(b)))
        for k, v in extra:
            self.send_header(k, v)
        self.end_headers()
        self.wfile.write(b)
    def do_GET(self):
        path = self.path.split("?")[0]
        plan = PLAN.get(path)
        if plan is None:
            return self.send(404, {"kind": "Status", "status": "Failure",
                "reason": "NotFound", "code": 404,
                "message": "the server could not find the requested resource"})
        i = seen.get(path, 0)
        seen[path] = i + 1
        with open(sys.argv[2], "a") as f:
            f.write("%s %s\n" % (path, self.path))
        step = plan[min(i, len(plan) - 1)]
        st = lambda code, reason, extra=None: {"kind": "Status",
            "status": "Failure", "reason": reason, "code": code,
            "message": "lab says %s" % reason, **(extra or {})}
        if step == "ok":
            self.send(200, {"kind": "PodList", "metadata": {}, "items": [pod("p1")]})
        elif step == "503":
            self.send(503, st(503, "ServiceUnavailable"), [("Retry-After", "1")])
        elif step == "429":
            self.send(429, st(429, "TooManyRequests",
                {"details": {"retryAfterSeconds": 1}}))
        elif step == "500":
            self.send(500, st(500, "InternalError"))
        elif step == "reset":
            self.connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER,
                b"\x01\x00\x00\x00\x00\x00\x00\x00")
            self.connection.close()
            self.close_connection = True
        elif step == "page1":
            self.send(200, {"kind": "PodList", "metadata": {"continue": "tok"},
                "items": [pod("p1")]})
        elif step == "expired":
            self.send(410, st(410, "Expired"))
        elif step == "page2":
            self.send(200, {"kind": "PodList", "metadata": {}, "items": [pod("p2")]})
        elif step == "hang":
            time.sleep(30)
http.server.ThreadingHTTPServer.daemon_threads = True
s = http.server.ThreadingHTTPServer(("127.0.0.1", 0), H)
open(sys.argv[1], "w").write(str(s.server_address[1]))
s.serve_forever()
EOF
python3 "$T/server.py" "$T/port" "$T/log" &
pid=$!
i=0
while [ ! -s "$T/port" ] && [ $i -lt 50 ]; do sleep 0.1; i=$((i + 1)); done
port=$(cat "$T/port")
cat >"$T/kc" <<EOF
apiVersion: v1
kind: Config
current-context: t
clusters:
- name: c
  cluster: {server: "http://127.0.0.1:$port"}
contexts:
- name: t
  context: {cluster: c}
EOF
kl() { timeout 60 "$KL" --kubeconfig "$T/kc" "$@"; }
count() { grep -c "^/api/v1/namespaces/$1/pods " "$T/log"; }

t0=$(date +%s)
kl -n a get pods >"$T/out" 2>"$T/err" && grep -q '"p1"' "$T/out" &&
	[ "$(count a)" = 2 ] && [ $(($(date +%s) - t0)) -ge 1 ] &&
	ok "503 + Retry-After: retried after a second, then served" ||
	fail "503: $(count a) requests $(cat "$T/err")"
kl -n b get pods >"$T/out" 2>"$T/err" && [ "$(count b)" = 2 ] &&
	ok "429 + retryAfterSeconds: retried" ||
	fail "429: $(count b) requests $(cat "$T/err")"
kl -n c get pods >"$T/out" 2>"$T/err" && grep -q '"p1"' "$T/out" &&
	[ "$(count c)" = 2 ] && ok "connection reset: retried" ||
	fail "reset: $(count c) requests $(cat "$T/err")"
kl -n d get pods >"$T/out" 2>"$T/err"; rc=$?
[ $rc = 1 ] && [ "$(count d)" = 4 ] &&
	grep -q '\[connection failed\] the API server http://127.0.0.1:[0-9]* answered 500 InternalError to list pods in namespace d: lab says InternalError' "$T/err" &&
	ok "500 forever: 1 try + 3 retries, then the status in the message" ||
	fail "500: rc $rc, $(count d) requests, $(cat "$T/err")"
kl -n e get pods >"$T/out" 2>"$T/err" &&
	[ "$(jq -r '[.items[].metadata.name] | join(" ")' "$T/out")" = "p1 p2" ] &&
	[ "$(count e)" = 4 ] && grep -q 'continue=tok' "$T/log" &&
	ok "410 on a continue token: the list restarts once" ||
	fail "410: $(count e) requests $(cat "$T/out" "$T/err")"
t0=$(date +%s)
kl --timeout 1500 -n f get pods >"$T/out" 2>"$T/err"; rc=$?
t1=$(date +%s)
[ $rc = 1 ] && [ $((t1 - t0)) -le 4 ] &&
	grep -q '\[timed out\] the API server .* did not answer list pods in namespace f in time' "$T/err" &&
	ok "no answer: the timeout is honoured ($((t1 - t0)) s)" ||
	fail "hang: rc $rc after $((t1 - t0)) s $(cat "$T/err")"
kl -n g get pods >"$T/out" 2>"$T/err"
grep -q '\[not found\] the API server http://127.0.0.1:[0-9]* does not serve pods' "$T/err" &&
	ok "unknown path: not served" || fail "404 path: $(cat "$T/err")"

echo "$fails failures"
[ $fails -eq 0 ]
