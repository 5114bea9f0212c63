#!/usr/bin/env python3
"""proxy.py DIR - a minimal HTTP CONNECT proxy for the client tests: binds
127.0.0.1 on a free port, writes it to DIR/proxy-port, logs each tunnel as
"CONNECT host:port" to DIR/proxy.log and relays bytes both ways."""
import os
import select
import socket
import sys
import threading

DIR = sys.argv[1]


def relay(c):
    try:
        head = b""
        while b"\r\n\r\n" not in head:
            chunk = c.recv(4096)
            if not chunk:
                return
            head += chunk
        line = head.split(b"\r\n", 1)[0].decode()
        method, target, _ = line.split(" ", 2)
        with open(os.path.join(DIR, "proxy.log"), "a") as f:
            f.write("%s %s\n" % (method, target))
        if method != "CONNECT":
            c.sendall(b"HTTP/1.1 405 Method Not Allowed\r\nContent-Length: 0\r\n\r\n")
            return
        host, port = target.rsplit(":", 1)
        u = socket.create_connection((host, int(port)))
        c.sendall(b"HTTP/1.1 200 Connection established\r\n\r\n")
        socks = [c, u]
        while True:
            r, _, _ = select.select(socks, [], [], 30)
            if not r:
                return
            for s in r:
                data = s.recv(65536)
                if not data:
                    return
                (u if s is c else c).sendall(data)
    except OSError:
        pass
    finally:
        c.close()


srv = socket.socket()
srv.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
srv.bind(("127.0.0.1", 0))
srv.listen(16)
tmp = os.path.join(DIR, "proxy-port.tmp")
with open(tmp, "w") as f:
    f.write(str(srv.getsockname()[1]))
os.rename(tmp, os.path.join(DIR, "proxy-port"))
while True:
    conn, _ = srv.accept()
    threading.Thread(target=relay, args=(conn,), daemon=True).start()
