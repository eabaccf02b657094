#!/bin/sh
# flow-analyzer's CSV export of a capture says what its JSON export
# says: for every shared capture, one row per conversation, in the same
# order, each column equal to the JSON field it is documented as (the
# JSON is the form checked against tshark).  Python's csv module reads
# the file, so the quoting is checked by a reader that is not ours.
set -u
: "${BIN:?}" "${SHARED_DATA:?}"
FA="$BIN/flow-analyzer"
P="$SHARED_DATA/pcap"
command -v python3 >/dev/null || { echo "SKIP: no python3"; exit 77; }
[ -d "$P" ] || { echo "SKIP: no $P"; exit 77; }
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
fails=0
n=0

for f in "$P"/*/*.pcap "$P"/*/*.pcapng; do
	[ -f "$f" ] || continue
	"$FA" -i "$f" -e json >"$tmp/j" 2>/dev/null
	rj=$?
	"$FA" -i "$f" -e csv >"$tmp/c" 2>/dev/null
	rc=$?
	# Damaged captures are refused (exit 2) the same way by both.
	if [ "$rj" != "$rc" ]; then
		echo "FAIL: $f: exit $rj with JSON, $rc with CSV"
		fails=$((fails + 1))
		continue
	fi
	[ "$rj" -le 1 ] || continue
	python3 - "$tmp/j" "$tmp/c" "$f" <<'EOF' || fails=$((fails + 1))
import csv, json, sys

doc = json.load(open(sys.argv[1]))
rows = list(csv.DictReader(open(sys.argv[2], newline="")))
name = sys.argv[3]
convs = doc["conversations"]
bad = []
if len(rows) != len(convs):
    bad.append("%d rows, %d conversations" % (len(rows), len(convs)))

def text(v):
    # How a JSON value reads in a CSV cell: null is empty.
    if v is None:
        return ""
    if isinstance(v, bool):
        return "true" if v else "false"
    return str(v)

same = ["id", "protocol", "client", "client_port", "server",
        "server_port", "client_guessed", "packets", "bytes",
        "packets_to_server", "bytes_to_server", "packets_to_client",
        "bytes_to_client", "first", "last", "state", "retransmissions",
        "fast_retransmissions", "spurious_retransmissions", "dup_acks",
        "zero_windows", "resets", "reset_by", "out_of_order",
        "lost_segments", "fragmented_datagrams"]
for c, r in zip(convs, rows):
    want = {k: text(c[k]) for k in same}
    rtt = c["handshake_rtt_ms"]
    want["handshake_rtt_ms"] = "" if rtt is None else "%.3f" % rtt
    t = c["tunnel"]
    want["tunnel"] = "" if t is None else t["type"]
    want["vni"] = "" if t is None else str(t["vni"])
    e = c["icmp_error"]
    want["icmp_error"] = "" if e is None else e["meaning"]
    d = c["dns"] or {}
    want["dns_queries"] = str(d.get("queries", 0))
    want["dns_errors"] = str(d.get("errors", 0))
    want["dns_unanswered"] = str(d.get("unanswered", 0))
    for k, v in want.items():
        if r.get(k) != v:
            bad.append("conversation %s: %s is %r in CSV, %r in JSON"
                       % (c["id"], k, r.get(k), v))
    if set(r) != set(want):
        bad.append("columns %s, documented %s" % (sorted(r), sorted(want)))
for b in bad[:5]:
    print("FAIL: %s: %s" % (name, b))
sys.exit(1 if bad else 0)
EOF
	n=$((n + 1))
done
[ "$n" -gt 20 ] || { echo "FAIL: only $n captures compared"; fails=$((fails + 1)); }
echo "$n captures: CSV and JSON agree ($fails failures)"
[ "$fails" -eq 0 ]
