#!/bin/sh
# lib/flow_stats_html_assets.c is generated from lib/html/ by
# mk/embed.sh: fail when someone edited one without regenerating.
set -u
tmp=$(mktemp)
trap 'rm -f "$tmp"' EXIT
sh "$ROOT/mk/embed.sh" >"$tmp" || exit 1
if ! cmp -s "$tmp" "$ROOT/lib/flow_stats_html_assets.c"; then
	echo "lib/flow_stats_html_assets.c is stale: run"
	echo "  sh mk/embed.sh > lib/flow_stats_html_assets.c"
	exit 1
fi
if command -v node >/dev/null 2>&1; then
	node --check "$ROOT/lib/html/flow_report.js" || exit 1
fi
exit 0
