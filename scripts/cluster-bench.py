#!/usr/bin/env python3
"""Usage: scripts/cluster-bench.py BINARY [N]   (default N = 10000)

One run, side by side: the exporter polling one Redis with N streams, then a Redis Cluster of
three primaries with 3N streams (N on each), the same data per stream as the shared harness'
populate.py (one group, 50 entries, a random part read and a part of that acknowledged).
Prints JSON: each poll's mean wall time (from event_exporter_poll_duration_seconds), the
cluster's per-node poll times, and the ratio cluster / single. The Redis is the redis-server on
PATH; every server runs on loopback, on free ports, and is stopped by its pid.
"""
import json
import os
import random
import re
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request

import redis

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "lib"))
from benchlib import free_port  # noqa: E402

BIN = sys.argv[1] if len(sys.argv) > 1 else sys.exit(__doc__)
N = int(sys.argv[2]) if len(sys.argv) > 2 else 10000
procs = []
tmp = tempfile.mkdtemp(prefix="cluster-bench.")


def crc16(data):
    crc = 0
    for byte in data:
        crc ^= byte << 8
        for _ in range(8):
            crc = ((crc << 1) ^ 0x1021) if crc & 0x8000 else crc << 1
            crc &= 0xFFFF
    return crc


def slot(key):
    b = key.encode()
    i = b.find(b"{")
    if i >= 0:
        j = b.find(b"}", i + 1)
        if j > i + 1:
            b = b[i + 1:j]
    return crc16(b) % 16384


def start_redis(port, *extra):
    d = os.path.join(tmp, str(port))
    os.makedirs(d)
    p = subprocess.Popen(["redis-server", "--port", str(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no",
                          "--dir", d, *extra], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    procs.append(p)
    r = redis.Redis(port=port, socket_timeout=120)
    for _ in range(100):
        try:
            r.ping()
            return r
        except redis.exceptions.ConnectionError:
            time.sleep(0.05)
    sys.exit("cluster-bench: redis on %d did not start" % port)


def populate(r, keys, rnd):
    t0 = int(time.time() * 1000) - 51
    ids = ["%d-0" % (t0 + e) for e in range(50)]
    payload = {"kind": "msg", "body": "x" * 32}
    pipe = r.pipeline(transaction=False)
    for n, key in enumerate(keys, 1):
        for i in ids:
            pipe.xadd(key, payload, id=i)
        pipe.xgroup_create(key, "signalr-consumers", id="0")
        k = rnd.randint(1, 49)
        acked = rnd.randint(0, k - 1)
        pipe.xreadgroup("signalr-consumers", "instance-1", {key: ">"}, count=k)
        if acked:
            pipe.xack(key, "signalr-consumers", *ids[:acked])
        if n % 500 == 0:
            pipe.execute()
    pipe.execute()


def metrics(port):
    with urllib.request.urlopen("http://127.0.0.1:%d/metrics" % port, timeout=60) as resp:
        return resp.read().decode()


def value(text, name, labels=""):
    m = re.search(r"^%s%s (\S+)$" % (re.escape(name), re.escape(labels)), text, re.M)
    return float(m.group(1)) if m else None


def measure(urls, streams, polls=8):
    """Starts the exporter on `urls`, waits for discovery and two more polls, then returns the
    mean poll time over `polls` polls and the last scrape."""
    port = free_port()
    log = open(os.path.join(tmp, "exporter-%d.log" % port), "w")
    exp = subprocess.Popen([BIN, "--redis.url", ",".join(urls), "--web.listen-address", "127.0.0.1:%d" % port,
                            "--streams", "fixed:none", "--streams.pattern", "events:*", "--consumer-group", "*",
                            "--poll.interval", "250ms", "--log.level", "warn"], stdout=subprocess.DEVNULL, stderr=log)
    procs.append(exp)
    deadline = time.time() + 600
    while True:
        try:
            text = metrics(port)
            if (value(text, "event_exporter_streams_monitored") or 0) >= streams:
                break
        except OSError:
            pass
        if exp.poll() is not None or time.time() > deadline:
            sys.exit("cluster-bench: the exporter never monitored %d streams (log: %s)" % (streams, log.name))
        time.sleep(0.2)
    def counts(text):
        return value(text, "event_exporter_poll_duration_seconds_sum"), value(text, "event_exporter_poll_duration_seconds_count")
    start = counts(metrics(port))
    while counts(metrics(port))[1] < start[1] + 2:
        time.sleep(0.1)
    start = counts(metrics(port))
    while True:
        time.sleep(0.5)
        text = metrics(port)
        end = counts(text)
        if end[1] >= start[1] + polls:
            break
    exp.terminate()
    exp.wait()
    return 1000 * (end[0] - start[0]) / (end[1] - start[1]), text


try:
    rnd = random.Random(1)
    # One Redis, N streams.
    single_port = free_port()
    single = start_redis(single_port)
    populate(single, ["events:s%d" % i for i in range(N)], rnd)
    single_ms, _ = measure(["redis://127.0.0.1:%d/0" % single_port], N + 1)
    procs[0].terminate()
    procs[0].wait()

    # Three primaries, 3N streams: N on each (names drawn until each primary has N).
    ports = [free_port() for _ in range(3)]
    nodes = [start_redis(p, "--cluster-enabled", "yes", "--cluster-config-file", os.path.join(tmp, "nodes-%d.conf" % p),
                         "--cluster-port", str(free_port())) for p in ports]
    subprocess.run(["redis-cli", "--cluster", "create"] + ["127.0.0.1:%d" % p for p in ports] + ["--cluster-yes"],
                   check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    while not all(b"cluster_state:ok" in n.execute_command("CLUSTER", "INFO") for n in nodes):
        time.sleep(0.1)
    owner = {}
    for p in ports:  # each node's own slots: the "myself" line of CLUSTER NODES
        out = subprocess.run(["redis-cli", "-p", str(p), "CLUSTER", "NODES"], capture_output=True, text=True, check=True).stdout
        mine = next(line for line in out.splitlines() if "myself" in line.split()[2])
        for part in mine.split()[8:]:
            if part.startswith("["):
                continue  # a slot being migrated
            start, _, end = part.partition("-")
            for s in range(int(start), int(end or start) + 1):
                owner[s] = p
    assert len(owner) == 16384
    by_port = {p: [] for p in ports}
    i = 0
    while any(len(v) < N for v in by_port.values()):
        key = "events:s%d" % i
        i += 1
        keys = by_port[owner[slot(key)]]
        if len(keys) < N:
            keys.append(key)
    assert int(nodes[0].execute_command("CLUSTER", "KEYSLOT", "events:s1")) == slot("events:s1")
    for n, p in zip(nodes, ports):
        populate(n, by_port[p], rnd)
    cluster_ms, text = measure(["redis://127.0.0.1:%d/0" % ports[0]], 3 * N + 1)
    per_node = {m.group(1): round(1000 * float(m.group(2)), 1) for m in
                re.finditer(r'^event_exporter_node_poll_duration_seconds\{node="([^"]+)"\} (\S+)$', text, re.M)}
    print(json.dumps({
        "single_streams": N, "single_poll_ms": round(single_ms, 1),
        "cluster_primaries": 3, "cluster_streams": 3 * N, "cluster_poll_ms": round(cluster_ms, 1),
        "cluster_node_poll_ms_last": per_node,
        "cluster_over_single": round(cluster_ms / single_ms, 2),
    }, indent=1))
finally:
    for p in procs:
        if p.poll() is None:
            p.terminate()
            try:
                p.wait(timeout=10)
            except subprocess.TimeoutExpired:
                p.kill()
    shutil.rmtree(tmp, ignore_errors=True)
