#!/usr/bin/env python3
"""Slow, many and hostile HTTP clients against one server on 127.0.0.1, for end-to-end tests.
Prints one JSON object on stdout with what each client saw; the test decides what is right.

usage:
  http-abuse.py slowloris PORT COUNT SECONDS   COUNT clients from 127.0.0.1 trickle header bytes
                                               for SECONDS while clients from 127.0.0.2 are served
  http-abuse.py flood PORT COUNT               COUNT clients from 127.0.0.1..127.0.0.40 at once,
                                               each sending one request and reading the answer
  http-abuse.py cases PORT                     one connection per hostile request
  http-abuse.py keepalive PORT SECONDS         a request, SECONDS idle, a second request
"""
import json
import random
import re
import resource
import select
import socket
import sys
import time

soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
resource.setrlimit(resource.RLIMIT_NOFILE, (min(hard, 8192), hard))


def connect(port, source="127.0.0.1", timeout=5.0):
    s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    s.settimeout(timeout)
    s.bind((source, 0))
    s.connect(("127.0.0.1", port))
    return s


def read_answer(s, limit=1 << 24):
    """Reads until the server closes or a full response (by Content-Length) is in. Returns
    (status or None, bytes read, closed)."""
    data = b""
    while len(data) < limit:
        try:
            chunk = s.recv(65536)
        except (ConnectionResetError, BrokenPipeError):
            return status_of(data), data, True
        except socket.timeout:
            return status_of(data), data, False
        if not chunk:
            return status_of(data), data, True
        data += chunk
        head, sep, body = data.partition(b"\r\n\r\n")
        if sep:
            length = None
            for line in head.split(b"\r\n")[1:]:
                name, _, value = line.partition(b":")
                if name.strip().lower() == b"content-length":
                    length = int(value.strip())
            if length is not None and len(body) >= length:
                return status_of(data), data, False
    return status_of(data), data, False


def status_of(data):
    if not data.startswith(b"HTTP/1."):
        return None
    try:
        return int(data.split(b" ", 2)[1])
    except (IndexError, ValueError):
        return None


def timed_get(port, source, path="/-/healthy"):
    start = time.monotonic()
    try:
        s = connect(port, source, timeout=5)
        s.sendall(b"GET %s HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n" % path.encode())
        status, _, _ = read_answer(s)
        s.close()
    except OSError as e:
        return {"status": None, "error": type(e).__name__, "ms": (time.monotonic() - start) * 1000}
    return {"status": status, "ms": (time.monotonic() - start) * 1000}


def closed_by_peer(s):
    try:
        return s.recv(4096) == b""
    except BlockingIOError:
        return False
    except OSError:
        return True


def slowloris(port, count, seconds):
    clients = []
    refused = 0
    for _ in range(count):
        try:
            s = connect(port, "127.0.0.1")
            s.sendall(b"GET /metrics HTTP/1.1\r\nHost: x\r\n")
            s.setblocking(False)
            clients.append({"sock": s, "opened": time.monotonic(), "closed": None})
        except OSError:
            refused += 1
    time.sleep(0.5)
    start = time.monotonic()
    # Clients the server closed at once (over the per-address limit) are not holding a slot.
    for c in clients:
        if closed_by_peer(c["sock"]):
            c["closed"] = time.monotonic()
    held = [c for c in clients if c["closed"] is None]
    others = []
    next_other = time.monotonic()
    next_byte = time.monotonic()
    while time.monotonic() - start < seconds:
        now = time.monotonic()
        if now >= next_byte:
            next_byte = now + 1.0
            for c in held:
                if c["closed"] is None:
                    try:
                        c["sock"].send(b"X")  # one byte of a header line, every second
                    except OSError:
                        c["closed"] = time.monotonic()
        open_socks = [c["sock"] for c in held if c["closed"] is None]
        if open_socks:
            readable, _, _ = select.select(open_socks, [], [], 0.05)
            for s in readable:
                c = next(c for c in held if c["sock"] is s)
                if closed_by_peer(s):
                    c["closed"] = time.monotonic()
        else:
            time.sleep(0.05)
        if time.monotonic() >= next_other:
            next_other = time.monotonic() + 0.25
            others.append(timed_get(port, "127.0.0.2", "/api/v1/events/health"))
    cut_after = sorted(c["closed"] - c["opened"] for c in held if c["closed"] is not None)
    result = {
        "attempted": count,
        "refused": refused,
        "closed_at_once": len(clients) - len(held),
        "held": len(held),
        "cut": len(cut_after),
        "cut_after_min_s": cut_after[0] if cut_after else None,
        "cut_after_max_s": cut_after[-1] if cut_after else None,
        "still_open": sum(1 for c in held if c["closed"] is None),
        "others": len(others),
        "others_ok": sum(1 for o in others if o["status"] == 200),
        "others_max_ms": max((o["ms"] for o in others), default=None),
    }
    for c in clients:
        c["sock"].close()
    return result


def flood(port, count):
    socks = []
    failed_connect = 0
    for i in range(count):
        try:
            s = connect(port, "127.0.0.%d" % (1 + i % 40), timeout=10)
            socks.append(s)
        except OSError:
            failed_connect += 1
    for s in socks:
        try:
            s.sendall(b"GET /api/v1/events/consumer-lag HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
        except OSError:
            pass
    answered = closed = other = 0
    for s in socks:
        status, _, was_closed = read_answer(s)
        if status == 200:
            answered += 1
        elif status is None and was_closed:
            closed += 1
        else:
            other += 1
        s.close()
    after = [timed_get(port, "127.0.0.1") for _ in range(20)]
    return {"attempted": count, "failed_connect": failed_connect, "answered_200": answered,
            "closed_unanswered": closed, "other": other,
            "after_ok": sum(1 for a in after if a["status"] == 200),
            "after_max_ms": max(a["ms"] for a in after)}


def raw_case(port, payload, read=True):
    try:
        s = connect(port, timeout=10)
        try:
            s.sendall(payload)
        except OSError:
            pass  # the server may close before reading everything
        status, data, closed = read_answer(s) if read else (None, b"", False)
        s.close()
        return {"status": status, "closed": closed, "bytes": len(data)}
    except OSError as e:
        return {"status": None, "closed": True, "error": type(e).__name__}


def cases(port):
    rnd = random.Random(12)
    big = b"a" * (1 << 20)
    results = {
        "garbage": raw_case(port, bytes(rnd.randrange(256) for _ in range(4096)) + b"\r\n\r\n"),
        "nul_in_path": raw_case(port, b"GET /met\x00rics HTTP/1.1\r\nHost: x\r\n\r\n"),
        "nul_bytes_only": raw_case(port, b"\x00" * 64 + b"\r\n\r\n"),
        "nul_in_header_name": raw_case(port, b"GET /metrics HTTP/1.1\r\nHost: x\r\nX-\x00A: b\r\n\r\n"),
        "nul_in_header": raw_case(port, b"GET /metrics HTTP/1.1\r\nHost: x\r\nX-A: b\x00c\r\n\r\n"),
        "header_line_1MiB": raw_case(port, b"GET /metrics HTTP/1.1\r\nHost: x\r\nX-Long: " + big + b"\r\n\r\n"),
        "headers_10000": raw_case(port, b"GET /metrics HTTP/1.1\r\nHost: x\r\n"
                                  + b"".join(b"X-H%d: v\r\n" % i for i in range(10000)) + b"\r\n"),
        "absolute_uri": raw_case(port, b"GET http://evil.example/metrics HTTP/1.1\r\nHost: x\r\n\r\n"),
        "path_traversal": raw_case(port, b"GET /../../../../etc/passwd HTTP/1.1\r\nHost: x\r\n\r\n"),
        "path_traversal_api": raw_case(port, b"GET /api/v1/events/../../../etc/passwd HTTP/1.1\r\nHost: x\r\n\r\n"),
        "path_traversal_encoded": raw_case(port, b"GET /%2e%2e/%2e%2e/etc/passwd HTTP/1.1\r\nHost: x\r\n\r\n"),
        "bad_method": raw_case(port, b"BREW /metrics HTTP/1.1\r\nHost: x\r\n\r\n"),
        "lowercase_method": raw_case(port, b"get /metrics HTTP/1.1\r\nHost: x\r\n\r\n"),
        "no_version": raw_case(port, b"GET /metrics\r\n\r\n"),
        "bad_version": raw_case(port, b"GET /metrics HTTP/9.9\r\nHost: x\r\n\r\n"),
        "header_without_colon": raw_case(port, b"GET /metrics HTTP/1.1\r\nHost: x\r\nnonsense\r\n\r\n"),
        "url_64KiB": raw_case(port, b"GET /" + b"a" * 65536 + b" HTTP/1.1\r\nHost: x\r\n\r\n"),
        "bad_content_length": raw_case(port, b"GET /metrics HTTP/1.1\r\nHost: x\r\nContent-Length: -5\r\n\r\n"),
        "bad_chunked_body": raw_case(port, b"POST /metrics HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n"),
    }
    # Two requests in one write: both answered, in order.
    s = connect(port)
    s.sendall(b"GET /-/healthy HTTP/1.1\r\nHost: x\r\n\r\nGET /-/ready HTTP/1.1\r\nHost: x\r\n\r\n"
              b"GET /nope HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
    data = b""
    while True:
        chunk = s.recv(65536)
        if not chunk:
            break
        data += chunk
    s.close()
    results["pipelined"] = {"statuses": [int(code) for code in re.findall(rb"HTTP/1\.1 (\d{3}) ", data)]}
    # Clients that vanish mid-response: read a little of the body, then reset the connection.
    vanished = 0
    for _ in range(100):
        s = connect(port)
        s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
        s.sendall(b"GET /metrics HTTP/1.1\r\nHost: x\r\n\r\n")
        s.recv(256)
        s.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, b"\x01\x00\x00\x00\x00\x00\x00\x00")
        s.close()
        vanished += 1
    results["vanished_mid_response"] = {"count": vanished}
    results["after"] = timed_get(port, "127.0.0.1", "/api/v1/events/consumer-lag")
    return results


def keepalive(port, wait):
    """One keep-alive connection: a request, WAIT seconds of silence, a second request."""
    s = connect(port, timeout=wait + 5)
    s.sendall(b"GET /-/healthy HTTP/1.1\r\nHost: x\r\n\r\n")
    first, _, _ = read_answer(s)
    time.sleep(wait)
    try:
        s.sendall(b"GET /-/ready HTTP/1.1\r\nHost: x\r\n\r\n")
        second, _, closed = read_answer(s)
    except OSError:
        second, closed = None, True
    s.close()
    return {"first": first, "second": second, "closed": closed}


def main():
    mode, port = sys.argv[1], int(sys.argv[2])
    if mode == "slowloris":
        out = slowloris(port, int(sys.argv[3]), float(sys.argv[4]))
    elif mode == "flood":
        out = flood(port, int(sys.argv[3]))
    elif mode == "keepalive":
        out = keepalive(port, float(sys.argv[3]))
    elif mode == "cases":
        out = cases(port)
    else:
        sys.exit(__doc__)
    print(json.dumps(out))


if __name__ == "__main__":
    main()
