#!/bin/sh
# lab-exec-ws: the lab API server's pods/exec at the WebSocket frame
# level, with a client written here from RFC 6455 and kubernetes-api.md 3
# (kubectl covers only v5 and well-behaved clients): v4 and v5, the
# empty first message, fragmented and masked client messages, ping/pong,
# the v5 stdin close signal, exit codes on channel 3, the close frame,
# protocol errors, and that a client going away kills the command.
# Skips (77) without root.
set -u
ROOT=${ROOT:-$(cd "$(dirname "$0")/../.." && pwd)}
. "$ROOT/test/lab/testlib.sh"
lab_start execws

python3 - "$LAB_STATE" "$(lab_ns demo backend)" <<'EOF'
import base64
import hashlib
import json
import os
import socket
import ssl
import struct
import subprocess
import sys
import time

state, backend_ns = sys.argv[1], sys.argv[2]
port = int(open(state + "/port").read())
ctx = ssl.create_default_context(cafile=state + "/ca.crt")
ctx.load_cert_chain(state + "/admin.crt", state + "/admin.key")
GUID = "258EAFA5-E914-47DA-95CA-C5AB0DC85B11"
fails = 0


def check(name, cond, detail=""):
    global fails
    if cond:
        print("ok   " + name)
    else:
        fails += 1
        print("FAIL %s %s" % (name, detail))


class WS:
    def __init__(self, query, protos, ns="demo", pod="backend"):
        s = socket.create_connection(("127.0.0.1", port), timeout=20)
        self.s = ctx.wrap_socket(s, server_hostname="127.0.0.1")
        self.key = base64.b64encode(os.urandom(16)).decode()
        path = "/api/v1/namespaces/%s/pods/%s/exec?%s" % (ns, pod, query)
        req = ("GET %s HTTP/1.1\r\nHost: 127.0.0.1:%d\r\n"
               "Connection: Upgrade\r\nUpgrade: websocket\r\n"
               "Sec-WebSocket-Key: %s\r\nSec-WebSocket-Version: 13\r\n"
               % (path, port, self.key))
        if protos:
            req += "Sec-WebSocket-Protocol: %s\r\n" % protos
        self.s.sendall((req + "\r\n").encode())
        self.buf = b""
        while b"\r\n\r\n" not in self.buf:
            d = self.s.recv(65536)
            if not d:
                break
            self.buf += d
        head, _, self.buf = self.buf.partition(b"\r\n\r\n")
        lines = head.decode().split("\r\n")
        self.status = int(lines[0].split()[1])
        self.headers = {}
        for l in lines[1:]:
            k, _, v = l.partition(":")
            self.headers[k.strip().lower()] = v.strip()

    def accept_ok(self):
        want = base64.b64encode(hashlib.sha1(
            (self.key + GUID).encode()).digest()).decode()
        return self.headers.get("sec-websocket-accept") == want

    def send(self, op, payload=b"", fin=True):
        mask = os.urandom(4)
        n = len(payload)
        h = bytes([(0x80 if fin else 0) | op])
        if n < 126:
            h += bytes([0x80 | n])
        elif n < 65536:
            h += bytes([0x80 | 126]) + struct.pack(">H", n)
        else:
            h += bytes([0x80 | 127]) + struct.pack(">Q", n)
        body = bytes(b ^ mask[i % 4] for i, b in enumerate(payload))
        self.s.sendall(h + mask + body)

    def _need(self, n):
        while len(self.buf) < n:
            d = self.s.recv(65536)
            if not d:
                raise EOFError
            self.buf += d

    def frame(self):
        self._need(2)
        b0, b1 = self.buf[0], self.buf[1]
        masked = b1 & 0x80
        n = b1 & 0x7F
        off = 2
        if n == 126:
            self._need(4)
            n = struct.unpack(">H", self.buf[2:4])[0]
            off = 4
        elif n == 127:
            self._need(10)
            n = struct.unpack(">Q", self.buf[2:10])[0]
            off = 10
        self._need(off + n)
        payload = self.buf[off:off + n]
        self.buf = self.buf[off + n:]
        return bool(b0 & 0x80), b0 & 0x0F, bool(masked), payload

    def messages(self):
        """All frames until the server's close: list of (op, payload)."""
        out = []
        self.masked = False
        while True:
            try:
                fin, op, masked, p = self.frame()
            except (EOFError, OSError):
                out.append(("eof", b""))
                return out
            self.masked |= masked
            out.append((op, p))
            if op == 8:
                self.send(8, p[:2])
                return out


def stdout_of(msgs, ch=1):
    return b"".join(p[1:] for op, p in msgs if op == 2 and p[:1] ==
                    bytes([ch]))


def status_of(msgs):
    for op, p in msgs:
        if op == 2 and p[:1] == b"\x03":
            return json.loads(p[1:])
    return None


# v4 only: picked, empty first message, output, Success, close 1000
w = WS("command=echo&command=hi&container=backend&stdout=true&stderr=true",
       "v4.channel.k8s.io")
check("v4: 101", w.status == 101, w.status)
check("v4: accept key", w.accept_ok())
check("v4: protocol", w.headers.get("sec-websocket-protocol") ==
      "v4.channel.k8s.io", w.headers)
m = w.messages()
check("v4: first message is an empty stdout", m[0] == (2, b"\x01"), m[:1])
check("v4: stdout", stdout_of(m) == b"hi\n", m)
check("v4: Success on channel 3", status_of(m) == {"metadata": {},
      "status": "Success"}, m)
check("v4: close 1000", m[-1] == (8, b"\x03\xe8"), m[-1])
check("server frames are unmasked", not w.masked)

# v5 preferred; fragmented stdin, ping/pong, FF 00 closes stdin
w = WS("command=cat&container=backend&stdin=true&stdout=true&stderr=true",
       "v5.channel.k8s.io, v4.channel.k8s.io")
check("v5 chosen first", w.headers.get("sec-websocket-protocol") ==
      "v5.channel.k8s.io", w.headers)
w.send(2, b"\x00abc", fin=False)
w.send(0, b"def")                  # continuation
w.send(9, b"png")                  # ping
w.send(2, b"\x00" + bytes(range(256)) * 300)   # 76800 bytes, 64-bit len
w.send(2, b"\xff\x00")             # v5: stdin is done
m = w.messages()
check("pong echoes the ping", (10, b"png") in m, m[:4])
check("fragmented + binary stdin comes back",
      stdout_of(m) == b"abcdef" + bytes(range(256)) * 300,
      len(stdout_of(m)))
check("v5: Success after stdin close", status_of(m) is not None and
      status_of(m)["status"] == "Success", status_of(m))

# exit code
w = WS("command=sh&command=-c&command=echo%20err%20%3E%262%3B%20exit%207"
       "&container=backend&stdout=true&stderr=true", "v5.channel.k8s.io")
m = w.messages()
st = status_of(m) or {}
check("stderr on channel 2", stdout_of(m, 2) == b"err\n", m)
check("exit 7 as NonZeroExitCode", st.get("reason") == "NonZeroExitCode" and
      st.get("details", {}).get("causes") == [{"reason": "ExitCode",
                                               "message": "7"}], st)

# stdout only: no stderr channel is used
w = WS("command=sh&command=-c&command=echo%20x%3B%20echo%20y%20%3E%262"
       "&container=backend&stdout=true", "v5.channel.k8s.io")
m = w.messages()
check("stderr not requested: not sent", stdout_of(m, 2) == b"" and
      stdout_of(m) == b"x\n", m)

# a text frame on a binary protocol is a protocol error
w = WS("command=cat&container=backend&stdin=true&stdout=true",
       "v5.channel.k8s.io")
w.send(1, b"\x00hello")
m = w.messages()
check("text frame: close 1002", (8, b"\x03\xea") in m, m)

# no protocol we speak: 400
w = WS("command=true&container=backend&stdout=true", "base64.channel.k8s.io")
check("no usable subprotocol: 400", w.status == 400, w.status)
w = WS("command=true&container=backend&stdout=true", None)
check("no subprotocol: 400", w.status == 400, w.status)

# the client goes away: the command dies with it
w = WS("command=sleep&command=37&container=backend&stdout=true",
       "v5.channel.k8s.io")
w.frame()
time.sleep(0.5)
pids = subprocess.run(["ip", "netns", "pids", backend_ns],
                      capture_output=True, text=True).stdout.split()
cmds = [open("/proc/%s/cmdline" % p).read() for p in pids
        if os.path.exists("/proc/%s/cmdline" % p)]
check("sleep runs in the pod", any(c.startswith("sleep\x0037") for c in cmds),
      cmds)
w.s.close()
gone = False
for _ in range(40):
    time.sleep(0.1)
    pids = subprocess.run(["ip", "netns", "pids", backend_ns],
                          capture_output=True, text=True).stdout.split()
    cmds = []
    for p in pids:
        try:
            cmds.append(open("/proc/%s/cmdline" % p).read())
        except OSError:
            pass
    if not any(c.startswith("sleep\x0037") for c in cmds):
        gone = True
        break
check("client gone: the command is killed", gone, cmds)

print("%d failures" % fails)
sys.exit(1 if fails else 0)
EOF
