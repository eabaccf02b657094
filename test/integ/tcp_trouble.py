#!/usr/bin/env python3
"""tcp_trouble.py - TCP traffic with the troubles a capture should show,
for the pcap integration tests (pcap_lossy.sh).

  tcp_trouble.py serve
      Listen on TCP 7000-7003 (IPv4 7000/7001, IPv6 7002/7003), print
      "listening" once all four listen, serve for two minutes.  A
      client sends the 4-byte length of the answer it wants, then its
      upload, and shuts down its side; the server reads it all and
      answers.  Ports 7001/7003 read through a 4 KiB receive buffer,
      after a second and slowly: the window closes.

  tcp_trouble.py run V4 V6 [basic]
      Against the server at V4 and V6, all at once: bulk transfers both
      ways over IPv4 and IPv6, a slow reader on each, an abort with a
      reset, a keep-alive that idles, and (unless "basic") a connection
      to a closed port (7005, V4) and to a port whose SYNs are dropped
      (7009, V6).  Exits 1 after saying what did not go as planned.
"""
import socket
import struct
import sys
import threading
import time


def listen(fam, addr, port, slow):
    s = socket.socket(fam, socket.SOCK_STREAM)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    if slow:
        s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
    s.bind((addr, port))
    s.listen(64)
    return s


def handle(c, slow):
    try:
        n = int.from_bytes(c.recv(4, socket.MSG_WAITALL), 'big')
        if slow:
            time.sleep(1.0)
        while True:
            b = c.recv(65536)
            if not b:
                break
            if slow:
                time.sleep(0.05)
        c.sendall(b'x' * n)
    except OSError:
        pass
    finally:
        c.close()


def serve_on(s, slow):
    while True:
        c, _ = s.accept()
        threading.Thread(target=handle, args=(c, slow), daemon=True).start()


def serve():
    for fam, addr, base in ((socket.AF_INET, '0.0.0.0', 7000),
                            (socket.AF_INET6, '::', 7002)):
        for port, slow in ((base, False), (base + 1, True)):
            s = listen(fam, addr, port, slow)
            threading.Thread(target=serve_on, args=(s, slow),
                             daemon=True).start()
    # One line, once every socket listens (threads would interleave).
    print('listening', flush=True)
    time.sleep(120)


errors = []


def transfer(fam, host, port, up, down):
    try:
        s = socket.create_connection((host, port), timeout=30)
        s.sendall(down.to_bytes(4, 'big') + b'y' * up)
        s.shutdown(socket.SHUT_WR)
        while s.recv(65536):
            pass
        s.close()
    except OSError as e:
        errors.append('%s port %d: %s' % (host, port, e))


def abort(host, port):
    try:
        s = socket.create_connection((host, port), timeout=30)
        s.sendall((0).to_bytes(4, 'big') + b'z' * 20000)
        time.sleep(0.3)
        s.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER,
                     struct.pack('ii', 1, 0))
        s.close()
    except OSError as e:
        errors.append('abort: %s' % e)


def refused(host, port):
    try:
        socket.create_connection((host, port), timeout=5)
        errors.append('port %d answered' % port)
    except ConnectionRefusedError:
        pass
    except OSError as e:
        errors.append('port %d: %s, not refused' % (port, e))


def unanswered(host, port):
    try:
        socket.create_connection((host, port), timeout=1.5)
        errors.append('port %d answered' % port)
    except OSError:
        pass


def keepalive(host, port):
    try:
        s = socket.create_connection((host, port), timeout=30)
        s.setsockopt(socket.SOL_SOCKET, socket.SO_KEEPALIVE, 1)
        s.setsockopt(socket.IPPROTO_TCP, socket.TCP_KEEPIDLE, 1)
        s.setsockopt(socket.IPPROTO_TCP, socket.TCP_KEEPINTVL, 1)
        time.sleep(2.5)
        s.sendall((10).to_bytes(4, 'big'))
        s.shutdown(socket.SHUT_WR)
        while s.recv(65536):
            pass
        s.close()
    except OSError as e:
        errors.append('keep-alive: %s' % e)


def run(v4, v6, basic):
    jobs = []
    for i in range(6):
        jobs.append((transfer, (socket.AF_INET, v4, 7000, 300000 * (i % 3),
                                400000)))
        jobs.append((transfer, (socket.AF_INET6, v6, 7002, 200000,
                                300000 * (i % 2))))
    jobs.append((transfer, (socket.AF_INET, v4, 7001, 200000, 1000)))
    jobs.append((transfer, (socket.AF_INET6, v6, 7003, 150000, 1000)))
    jobs.append((abort, (v4, 7000)))
    jobs.append((keepalive, (v4, 7000)))
    if not basic:
        jobs.append((refused, (v4, 7005)))
        jobs.append((unanswered, (v6, 7009)))
    ts = [threading.Thread(target=f, args=a) for f, a in jobs]
    for t in ts:
        t.start()
    for t in ts:
        t.join()
    for e in errors:
        print('tcp_trouble:', e)
    return 1 if errors else 0


if __name__ == '__main__':
    if sys.argv[1:2] == ['serve']:
        serve()
    elif sys.argv[1:2] == ['run'] and len(sys.argv) >= 4:
        sys.exit(run(sys.argv[2], sys.argv[3], sys.argv[4:5] == ['basic']))
    else:
        sys.exit('usage: tcp_trouble.py serve | run V4 V6 [basic]')
