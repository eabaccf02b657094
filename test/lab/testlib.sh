# testlib.sh - start a private lab from an integration test.
#
#   . "$ROOT/test/lab/testlib.sh"
#   lab_start mytest            # exits 77 (skip, loudly) without root/netns
#   kubectl get pods -A         # KUBECONFIG and HOME are set
#   lab_ns demo frontend        # -> the pod's network namespace name
#
# Each test gets its own LAB_ID (derived from the checkout and the test
# name) and its own state directory under /tmp, so tests of several
# checkouts, and a lab started with `make lab-up`, never collide.  The
# lab is stopped on exit, on failure too (an EXIT trap; a test that sets
# its own EXIT trap must call lab_stop from it).  Set LAB_PAGE_SIZE
# before lab_start for a server that pages small.

lab_start() {
	LAB_DIR=${ROOT:?ROOT is not set}/test/lab
	LAB_ID=ck$(printf '%s %s' "$ROOT" "$1" | sha256sum | cut -c1-10)
	LAB_STATE=$(mktemp -d "${TMPDIR:-/tmp}/cilkit-lab.XXXXXX")
	export LAB_ID LAB_STATE
	. "$LAB_DIR/common.sh"
	if ! why=$(lab_can_run); then
		rmdir "$LAB_STATE"
		echo "************************************************************"
		echo "SKIPPING the lab tests: $why"
		echo "************************************************************"
		echo "skipped: $why"
		exit 77
	fi
	LAB_HOME=$(mktemp -d "${TMPDIR:-/tmp}/cilkit-lab-home.XXXXXX")
	trap 'lab_stop' EXIT
	trap 'exit 130' INT TERM
	if ! BUILD=${BUILD:-build} sh "$LAB_DIR/up.sh" >"$LAB_HOME/up.log" 2>&1
	then
		cat "$LAB_HOME/up.log"
		echo "lab_start: the lab did not start"
		exit 1
	fi
	HOME=$LAB_HOME
	KUBECONFIG=$LAB_STATE/kubeconfig
	export HOME KUBECONFIG
	LAB_SERVER=$(cat "$LAB_STATE/server")
	LAB_APISERVER_PID=$(cat "$LAB_STATE/apiserver.pid")
}

# The network namespace of pod NS/NAME (the node's for hostNetwork pods).
lab_ns() {
	awk -v ns="$1" -v n="$2" '$1 == ns && $2 == n { print $6 }' \
		"$LAB_STATE/pods.tsv"
}

lab_stop() {
	[ -n "${LAB_STATE:-}" ] || return 0
	if [ -d "$LAB_STATE" ]; then
		sh "$LAB_DIR/down.sh" >/dev/null 2>&1 ||
			sh "$LAB_DIR/down.sh"
	fi
	[ -n "${LAB_HOME:-}" ] && rm -rf "$LAB_HOME"
	LAB_HOME=
}
