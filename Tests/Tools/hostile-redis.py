#!/usr/bin/env python3
"""A fake Redis that answers the exporter's poll like Redis 7.0 does, except for the values a
scenario overrides: a broken or hostile server for end-to-end tests. Listens on 127.0.0.1 on a
free port, prints the port on stdout, serves until killed.

usage: hostile-redis.py '{"time": ["9223372036854775807", "999999"], "delivery_time": -9223372036854775808}'
"""
import json
import socket
import sys
import threading

scenario = json.loads(sys.argv[1]) if len(sys.argv) > 1 else {}
NOW_S = 1795939000


def bulk(s):
    b = s if isinstance(s, bytes) else str(s).encode()
    return b"$%d\r\n%s\r\n" % (len(b), b)


def integer(n):
    return b":%d\r\n" % n


def array(items):
    return b"*%d\r\n" % len(items) + b"".join(items)


def entry(i):
    return array([bulk("1764396000%03d-0" % i), array([bulk("n"), bulk(str(i))])])


def xinfo_full():
    seen = scenario.get("seen_time", NOW_S * 1000 - 500)
    delivery = scenario.get("delivery_time", NOW_S * 1000 - 800)
    consumer = array([bulk("name"), bulk("instance-1"), bulk("seen-time"), integer(seen),
                      bulk("pel-count"), integer(1), bulk("pending"),
                      array([array([bulk("1764396000002-0"), integer(delivery), integer(1)])])])
    group = array([bulk("name"), bulk("signalr-consumers"), bulk("last-delivered-id"), bulk("1764396000005-0"),
                   bulk("entries-read"), integer(scenario.get("entries_read", 5)),
                   bulk("lag"), integer(scenario.get("lag", 5)), bulk("pel-count"), integer(1),
                   bulk("pending"), array([array([bulk("1764396000002-0"), bulk("instance-1"),
                                                  integer(delivery), integer(scenario.get("delivery_count", 1))])]),
                   bulk("consumers"), array([consumer])])
    return array([bulk("length"), integer(scenario.get("length", 10)),
                  bulk("last-generated-id"), bulk("1764396000010-0"),
                  bulk("entries-added"), integer(scenario.get("entries_added", 10)),
                  bulk("entries"), array([entry(1)]),
                  bulk("groups"), array([group])])


def answer(args):
    cmd = args[0].upper() if args else b""
    if cmd == b"TIME":
        s, us = scenario.get("time", [str(NOW_S), "123456"])
        return array([bulk(s), bulk(us)])
    if cmd == b"XINFO":
        if args[2] != b"events:chat":
            return b"-ERR no such key\r\n"
        return xinfo_full()
    if cmd == b"XREVRANGE":
        return array([entry(10)]) if args[1] == b"events:chat" else array([])
    if cmd == b"XRANGE":
        return array([entry(6)]) if args[1] == b"events:chat" else array([])
    if cmd in (b"PING",):
        return b"+PONG\r\n"
    if cmd in (b"SELECT", b"AUTH", b"CLIENT"):
        return b"+OK\r\n"
    return b"-ERR unknown command\r\n"


def read_line(f):
    line = f.readline()
    if not line:
        raise EOFError
    return line.rstrip(b"\r\n")


def serve(conn):
    f = conn.makefile("rb")
    try:
        while True:
            head = read_line(f)
            if not head.startswith(b"*"):
                return
            args = []
            for _ in range(int(head[1:])):
                n = int(read_line(f)[1:])
                args.append(f.read(n + 2)[:-2])
            conn.sendall(answer(args))
    except (EOFError, ConnectionError, ValueError):
        pass
    finally:
        conn.close()


server = socket.socket()
server.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
server.bind(("127.0.0.1", 0))
server.listen(16)
print(server.getsockname()[1], flush=True)
while True:
    c, _ = server.accept()
    threading.Thread(target=serve, args=(c,), daemon=True).start()
