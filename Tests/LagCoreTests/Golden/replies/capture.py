#!/usr/bin/env python3
"""Captures the raw RESP2 replies the LagCore tests parse, from real Redis servers.

Usage (from the package root):
    python3 Tests/LagCoreTests/Golden/replies/capture.py 6.2.5=.cache/redis/6.2.5/redis-server \
        7.0=/usr/bin/redis-server 8.2.3=.cache/redis/8.2.3/redis-server

For each server it starts a private redis-server on a free loopback port (no persistence),
builds the scenarios below with fixed entry IDs, and writes every captured reply to
`redis-<version>/<name>.resp`: the exact bytes Redis sent (RESP2), nothing added. The
command that produced each file is listed in `redis-<version>/commands.txt`. The server is
stopped by the pid from its pidfile.
"""
import os
import signal
import socket
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
BASE = 1764396000000  # the ms part of every entry ID below


def eid(n, seq=0):
    return f"{BASE + n}-{seq}"


def encode(args):
    out = b"*%d\r\n" % len(args)
    for a in args:
        b = a if isinstance(a, bytes) else str(a).encode()
        out += b"$%d\r\n%s\r\n" % (len(b), b)
    return out


class Conn:
    def __init__(self, port):
        self.sock = socket.create_connection(("127.0.0.1", port))
        self.buf = b""

    def _fill(self):
        chunk = self.sock.recv(65536)
        if not chunk:
            raise EOFError
        self.buf += chunk

    def _line(self, pos):
        while True:
            end = self.buf.find(b"\r\n", pos)
            if end >= 0:
                return end
            self._fill()

    def _skip(self, pos):
        """Returns the position just after one complete reply starting at pos."""
        end = self._line(pos)
        kind, head = self.buf[pos:pos + 1], self.buf[pos + 1:end]
        pos = end + 2
        if kind in (b"+", b"-", b":"):
            return pos
        if kind == b"$":
            n = int(head)
            if n < 0:
                return pos
            while len(self.buf) < pos + n + 2:
                self._fill()
            return pos + n + 2
        if kind == b"*":
            n = int(head)
            for _ in range(max(n, 0)):
                pos = self._skip(pos)
            return pos
        raise ValueError(f"unexpected RESP type {kind!r}")

    def raw(self, *args):
        """Sends one command and returns its reply's exact bytes."""
        self.sock.sendall(encode(args))
        end = self._skip(0)
        reply, self.buf = self.buf[:end], self.buf[end:]
        return reply

    def ok(self, *args):
        reply = self.raw(*args)
        if reply.startswith(b"-"):
            raise RuntimeError(f"{args}: {reply!r}")
        return reply


def free_port():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


def capture(version, server):
    outdir = os.path.join(HERE, f"redis-{version}")
    os.makedirs(outdir, exist_ok=True)
    work = tempfile.mkdtemp(prefix=f"capture-{version}-")
    pidfile = os.path.join(work, "redis.pid")
    port = free_port()
    subprocess.run([server, "--port", str(port), "--bind", "127.0.0.1", "--save", "",
                    "--appendonly", "no", "--daemonize", "yes", "--pidfile", pidfile,
                    "--dir", work, "--logfile", os.path.join(work, "redis.log")], check=True)
    try:
        for _ in range(100):
            try:
                c = Conn(port)
                c.ok("PING")
                break
            except (OSError, EOFError, RuntimeError):
                time.sleep(0.05)
        else:
            raise RuntimeError("redis did not start")
        listing = []

        def save(name, *args):
            reply = c.raw(*args)
            with open(os.path.join(outdir, name + ".resp"), "wb") as f:
                f.write(reply)
            listing.append(f"{name}.resp: " + " ".join(
                a.decode("latin-1") if isinstance(a, bytes) else str(a) for a in args))

        # busy: one group, two consumers, pending entries, some consumed and acknowledged.
        for n in range(1, 11):
            c.ok("XADD", "events:chat", eid(n), "n", str(n))
        # Pauses between steps so that every timestamp Redis reports is distinct.
        c.ok("XGROUP", "CREATE", "events:chat", "signalr-consumers", "0")
        c.ok("XREADGROUP", "GROUP", "signalr-consumers", "instance-1", "COUNT", "3",
             "STREAMS", "events:chat", ">")
        time.sleep(0.02)
        c.ok("XREADGROUP", "GROUP", "signalr-consumers", "instance-2", "COUNT", "2",
             "STREAMS", "events:chat", ">")
        time.sleep(0.02)
        c.ok("XACK", "events:chat", "signalr-consumers", eid(1))
        # A second delivery of the oldest pending entry: delivery count 2.
        c.ok("XCLAIM", "events:chat", "signalr-consumers", "instance-1", "0", eid(2))
        time.sleep(0.02)
        # A read of instance-2's history past its PEL returns nothing: seen-time moves,
        # active-time (7.2+) does not.
        c.ok("XREADGROUP", "GROUP", "signalr-consumers", "instance-2",
             "STREAMS", "events:chat", eid(99))
        time.sleep(0.02)
        save("xinfo-full-busy", "XINFO", "STREAM", "events:chat", "FULL", "COUNT", "1")
        save("xrevrange-busy", "XREVRANGE", "events:chat", "+", "-", "COUNT", "1")
        save("xrange-busy-first-undelivered", "XRANGE", "events:chat", eid(5, 1), "+", "COUNT", "1")

        # null-lag: an entry deleted inside the undelivered range (Redis >= 7.0 says lag null).
        for n in range(1, 11):
            c.ok("XADD", "events:remote", eid(n), "n", str(n))
        c.ok("XGROUP", "CREATE", "events:remote", "signalr-consumers", "0")
        c.ok("XREADGROUP", "GROUP", "signalr-consumers", "instance-1", "COUNT", "3",
             "STREAMS", "events:remote", ">")
        c.ok("XDEL", "events:remote", eid(6))
        time.sleep(0.02)
        save("xinfo-full-null-lag", "XINFO", "STREAM", "events:remote", "FULL", "COUNT", "1")
        save("xrevrange-null-lag", "XREVRANGE", "events:remote", "+", "-", "COUNT", "1")
        save("xrange-null-lag-page1", "XRANGE", "events:remote", eid(3, 1), "+", "COUNT", "4")
        save("xrange-null-lag-page2", "XRANGE", "events:remote", eid(8, 1), "+", "COUNT", "4")

        # empty: a stream with a group and no entries.
        c.ok("XGROUP", "CREATE", "events:empty", "signalr-consumers", "$", "MKSTREAM")
        save("xinfo-full-empty", "XINFO", "STREAM", "events:empty", "FULL", "COUNT", "1")
        save("xrevrange-empty", "XREVRANGE", "events:empty", "+", "-", "COUNT", "1")

        # tail: a group created at `$` with a consumer that never read, and a group at 0 that
        # never read (all entries undelivered).
        for n in range(1, 6):
            c.ok("XADD", "events:ticket", eid(n), "n", str(n))
        c.ok("XGROUP", "CREATE", "events:ticket", "signalr-consumers", "$")
        c.ok("XGROUP", "CREATECONSUMER", "events:ticket", "signalr-consumers", "idle-1")
        c.ok("XGROUP", "CREATE", "events:ticket", "audit", "0")
        save("xinfo-full-tail", "XINFO", "STREAM", "events:ticket", "FULL", "COUNT", "1")
        save("xrevrange-tail", "XREVRANGE", "events:ticket", "+", "-", "COUNT", "1")

        # errors, as each version words them.
        c.ok("SET", "plain:string", "x")
        save("error-wrongtype", "XINFO", "STREAM", "plain:string", "FULL", "COUNT", "1")
        save("error-no-such-key", "XINFO", "STREAM", "no:such:stream", "FULL", "COUNT", "1")
        save("error-nogroup", "XINFO", "CONSUMERS", "events:chat", "no-such-group")
        save("error-nogroup-xreadgroup", "XREADGROUP", "GROUP", "no-such-group", "c",
             "STREAMS", "events:chat", ">")
        save("xrevrange-missing", "XREVRANGE", "no:such:stream", "+", "-", "COUNT", "1")
        save("xrevrange-wrongtype", "XREVRANGE", "plain:string", "+", "-", "COUNT", "1")
        save("time", "TIME")

        with open(os.path.join(outdir, "commands.txt"), "w") as f:
            f.write(f"# redis-server {version}; entry IDs are {BASE}+n\n")
            f.write("\n".join(listing) + "\n")
        c.raw("PING")
    finally:
        with open(pidfile) as f:
            pid = int(f.read().strip())
        os.kill(pid, signal.SIGTERM)
        for _ in range(100):
            try:
                os.kill(pid, 0)
                time.sleep(0.05)
            except ProcessLookupError:
                break


if __name__ == "__main__":
    for spec in sys.argv[1:]:
        version, server = spec.split("=", 1)
        capture(version, server)
        print(f"captured redis {version}")
