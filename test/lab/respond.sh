#!/bin/sh
# respond.sh NAME PORT - the lab's TCP servers: socat runs this once per
# connection; it reads one request line and answers like a tiny HTTP
# server, so both raw TCP probes and HTTP clients get a reply.
read -r _ || true
body="$1 $2"
printf 'HTTP/1.0 200 OK\r\nContent-Type: text/plain\r\nContent-Length: %d\r\n\r\n%s\n' \
	$((${#body} + 1)) "$body"
