#!/bin/sh
# make deps: check every build and test dependency; install what is
# missing with apt-get when running as root on Debian, otherwise print
# the exact command to run.  This is the project's only install step.
set -u

# pkg-config module -> Debian package (build dependencies)
LIBS="libpcap:libpcap-dev yaml-0.1:libyaml-dev json-c:libjson-c-dev
libcurl:libcurl4-openssl-dev libmicrohttpd:libmicrohttpd-dev check:check
gnutls:libgnutls28-dev"
# command -> Debian package (test and benchmark dependencies: oracles,
# the lab, the browser test, man page lint)
CMDS="pkg-config:pkg-config tshark:tshark tcpdump:tcpdump mandoc:mandoc
dot:graphviz ip:iproute2 nft:nftables iperf3:iperf3 jq:jq openssl:openssl
chromium:chromium nc:netcat-openbsd socat:socat clang:clang
python3:python3 hyperfine:hyperfine ping:iputils-ping"

missing=""
for pair in $LIBS; do
	mod=${pair%%:*}; pkg=${pair#*:}
	pkg-config --exists "$mod" 2>/dev/null || missing="$missing $pkg"
done
for pair in $CMDS; do
	cmd=${pair%%:*}; pkg=${pair#*:}
	command -v "$cmd" >/dev/null 2>&1 || missing="$missing $pkg"
done
# GNU time for the benchmarks' max RSS (`time` alone is a shell keyword)
[ -x /usr/bin/time ] || missing="$missing time"
# libFuzzer/ASan runtime for clang (fuzz targets)
[ -e /usr/lib/llvm-14/lib/clang/14.0.6/lib/linux/libclang_rt.fuzzer-x86_64.a ] ||
	ls /usr/lib/llvm-*/lib/clang/*/lib/linux/libclang_rt.fuzzer-*.a >/dev/null 2>&1 ||
	missing="$missing libclang-rt-14-dev"

[ -z "$missing" ] && exit 0

cmd="apt-get install -y --no-install-recommends$missing"
if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
	echo "deps: installing:$missing" >&2
	export DEBIAN_FRONTEND=noninteractive
	# tshark asks whether non-root users may capture; answer no.
	echo "wireshark-common wireshark-common/install-setuid boolean false" |
		debconf-set-selections 2>/dev/null
	apt-get update -qq >/dev/null || { echo "deps: apt-get update failed" >&2; exit 1; }
	# shellcheck disable=SC2086
	apt-get install -y -qq --no-install-recommends $missing >/dev/null ||
		{ echo "deps: failed: $cmd" >&2; exit 1; }
	exit 0
fi
echo "deps: missing packages:$missing" >&2
echo "deps: run as root: $cmd" >&2
exit 1
