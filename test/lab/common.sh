# common.sh - sourced by up.sh, down.sh and the lab tests; sets:
#   LAB_DIR    test/lab of this checkout
#   LAB_ROOT   the checkout
#   LAB_STATE  state directory (default test/lab/.state; env overrides)
#   LAB_ID     prefix of every global name (network namespaces); env
#              overrides, else the id recorded in LAB_STATE, else
#              "ck" + 6 hex digits of the checkout path's SHA-256
# Callers set LAB_DIR before sourcing.
LAB_ROOT=$(cd "$LAB_DIR/../.." && pwd)
LAB_STATE=${LAB_STATE:-$LAB_DIR/.state}
case $LAB_STATE in /*) ;; *) LAB_STATE=$(pwd)/$LAB_STATE ;; esac
if [ -z "${LAB_ID:-}" ] && [ -s "$LAB_STATE/lab_id" ]; then
	LAB_ID=$(cat "$LAB_STATE/lab_id")
fi
if [ -z "${LAB_ID:-}" ]; then
	LAB_ID=ck$(printf '%s' "$LAB_ROOT" | sha256sum | cut -c1-6)
fi
case $LAB_ID in
*[!a-z0-9]* | "")
	echo "lab: LAB_ID must be lower-case letters and digits: '$LAB_ID'" >&2
	exit 2 ;;
esac
if [ ${#LAB_ID} -gt 16 ]; then
	echo "lab: LAB_ID is longer than 16 characters: '$LAB_ID'" >&2
	exit 2
fi
export LAB_ID LAB_STATE

# Print why the lab cannot run here (and return 1), or return 0.
lab_can_run() {
	if [ "$(id -u)" != 0 ]; then
		echo "the lab needs root (network namespaces, veths, nftables)"
		return 1
	fi
	for c in ip nft openssl socat python3; do
		command -v $c >/dev/null 2>&1 ||
			{ echo "the lab needs '$c' (make deps)"; return 1; }
	done
	if ! ip netns add "$LAB_ID-probe" 2>/dev/null; then
		echo "cannot create network namespaces here"
		return 1
	fi
	ip netns del "$LAB_ID-probe"
	return 0
}

# The lab's network namespaces that exist now.
lab_netns() {
	ip netns list 2>/dev/null | awk -v p="$LAB_ID-" \
		'index($1, p) == 1 { print $1 }'
}

# Whether pid runs: a zombie does not (the lab's processes are orphans,
# and pid 1 may reap them late).
running() {
	st=$(awk '{ print $3 }' "/proc/$1/stat" 2>/dev/null)
	[ -n "$st" ] && [ "$st" != Z ]
}
