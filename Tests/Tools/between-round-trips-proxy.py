#!/usr/bin/env python3
"""A loopback proxy in front of a real Redis that changes the data between the round trips of
one exporter poll, deterministically: a seam for end-to-end tests.

Every command from a client is forwarded and its whole reply relayed before the next command is
read, so Redis has run each command before the proxy reads the next. A poll starts with TIME;
its first XRANGE opens its second round trip (the first undelivered entries, the counting).
When a mutation is armed, the proxy runs it on its own connection to Redis right before that
XRANGE goes on, then prints one line:  applied <poll number> <epoch ms when that poll's TIME came>

usage: between-round-trips-proxy.py REDIS_PORT
  prints the port it listens on (127.0.0.1), then reads mutations from stdin, one JSON a line:
  {"commands": [["DEL", "s"], ["XADD", "s", "*", "n", "1"]]}
"""
import json
import socket
import sys
import threading
import time

REDIS_PORT = int(sys.argv[1])
lock = threading.Lock()
state = {"polls": 0, "pending": None, "time_ms": 0}


def encode(args):
    out = b"*%d\r\n" % len(args)
    for a in args:
        b = a if isinstance(a, bytes) else str(a).encode()
        out += b"$%d\r\n%s\r\n" % (len(b), b)
    return out


def read_line(f):
    line = f.readline()
    if not line:
        raise EOFError
    return line


def read_reply(f):
    """One whole RESP2 reply, as its raw bytes."""
    line = read_line(f)
    kind = line[:1]
    if kind in (b"+", b"-", b":"):
        return line
    if kind == b"$":
        n = int(line[1:])
        return line if n < 0 else line + f.read(n + 2)
    if kind == b"*":
        n = int(line[1:])
        return line + b"".join(read_reply(f) for _ in range(max(n, 0)))
    raise ValueError("bad reply %r" % line)


def read_command(f):
    head = read_line(f)
    if not head.startswith(b"*"):
        raise ValueError("inline commands are not proxied")
    raw, args = head, []
    for _ in range(int(head[1:])):
        size = read_line(f)
        data = f.read(int(size[1:]) + 2)
        raw += size + data
        args.append(data[:-2])
    return raw, args


def mutate(commands):
    s = socket.create_connection(("127.0.0.1", REDIS_PORT))
    f = s.makefile("rb")
    try:
        for c in commands:
            s.sendall(encode(c))
            reply = read_reply(f)
            if reply.startswith(b"-"):
                print("mutation error %s" % reply.strip().decode(errors="replace"), file=sys.stderr, flush=True)
    finally:
        s.close()


def serve(client):
    upstream = socket.create_connection(("127.0.0.1", REDIS_PORT))
    cf, uf = client.makefile("rb"), upstream.makefile("rb")
    in_poll = False
    try:
        while True:
            raw, args = read_command(cf)
            name = args[0].upper() if args else b""
            if name == b"TIME":
                with lock:
                    state["polls"] += 1
                    state["time_ms"] = int(time.time() * 1000)
                in_poll = True
            elif name == b"XRANGE" and in_poll:
                in_poll = False
                with lock:
                    pending, state["pending"] = state["pending"], None
                    poll, time_ms = state["polls"], state["time_ms"]
                if pending is not None:
                    mutate(pending)
                    print("applied %d %d" % (poll, time_ms), flush=True)
            upstream.sendall(raw)
            client.sendall(read_reply(uf))
    except (EOFError, ConnectionError, ValueError, OSError):
        pass
    finally:
        client.close()
        upstream.close()


def control():
    for line in sys.stdin:
        line = line.strip()
        if line:
            with lock:
                state["pending"] = json.loads(line)["commands"]
    # stdin closed: the test is over; it stops the proxy by its pid


server = socket.socket()
server.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
server.bind(("127.0.0.1", 0))
server.listen(16)
print(server.getsockname()[1], flush=True)
threading.Thread(target=control, daemon=True).start()
while True:
    c, _ = server.accept()
    threading.Thread(target=serve, args=(c,), daemon=True).start()
