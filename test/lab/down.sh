#!/bin/sh
# down.sh - stop the lab: the API server, every process in the lab's
# network namespaces, the namespaces (and with them every interface),
# and the state directory.  Idempotent; safe on a half-started lab.
set -u
LAB_DIR=$(cd "$(dirname "$0")" && pwd)
. "$LAB_DIR/common.sh"
S=$LAB_STATE

if [ "$(id -u)" != 0 ]; then
	echo "lab-down: needs root" >&2
	exit 77
fi

# The API server, by the pid up.sh recorded (only if it is ours).
if [ -s "$S/apiserver.pid" ]; then
	pid=$(cat "$S/apiserver.pid")
	if tr '\0' ' ' 2>/dev/null <"/proc/$pid/cmdline" |
	    grep -q "lab-apiserver .*$S/"; then
		kill -TERM "$pid" 2>/dev/null
		i=0
		while running "$pid" && [ $i -lt 60 ]; do
			sleep 0.05
			i=$((i + 1))
		done
		kill -KILL "$pid" 2>/dev/null
	fi
fi

# Everything running inside the lab's namespaces: servers, exec'd
# commands.  Pods first, nodes last.
nslist=$(lab_netns)
for round in 1 2 3; do
	left=""
	for ns in $nslist; do
		pids=$(ip netns pids "$ns" 2>/dev/null)
		[ -n "$pids" ] || continue
		# shellcheck disable=SC2086
		kill -KILL $pids 2>/dev/null
		left="$left $ns"
	done
	[ -z "$left" ] && break
	sleep 0.1
done
for ns in $nslist; do
	case $ns in "$LAB_ID"-node*) continue ;; esac
	ip netns del "$ns" 2>/dev/null
done
for ns in $nslist; do
	ip netns del "$ns" 2>/dev/null
done

rc=0
if [ -n "$(lab_netns)" ]; then
	echo "lab-down: namespaces left behind: $(lab_netns | tr '\n' ' ')" >&2
	rc=1
fi
# The state directory: only if it is a lab's (it holds lab_id).
if [ -d "$S" ] && { [ -f "$S/lab_id" ] || [ -z "$(ls -A "$S")" ]; }; then
	rm -rf "$S"
fi
[ $rc -eq 0 ] && echo "lab $LAB_ID is down"
exit $rc
