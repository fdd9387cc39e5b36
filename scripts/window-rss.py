#!/usr/bin/env python3
"""Usage: scripts/window-rss.py BINARY N SECONDS [exporter flags ...]

Steady-state memory: what the exporter holds once every group's --lag.window is full, which
poll.py (10 polls) never reaches. A private Redis on a free loopback port with N streams (the
shared harness' populate.py: one group, 50 entries each, every group with lag and pending
entries), the exporter polling it with the given flags (default: the shipped defaults,
--poll.interval 5s and --lag.window 5m), scraped like Prometheus (gzip'ed OpenMetrics) every
15 s. Samples VmRSS every 5 s for SECONDS and prints JSON: RSS after the first poll, at the end,
the peak (VmHWM), the polls and the samples a window then holds (polls within the window).
Every process is stopped by its pid.
"""
import gzip
import json
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request

if len(sys.argv) < 4:
    sys.exit(__doc__)
BIN, N, SECONDS = sys.argv[1], int(sys.argv[2]), float(sys.argv[3])
FLAGS = sys.argv[4:]
HARNESS = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "shared", "bench-peer")
procs = []
tmp = tempfile.mkdtemp(prefix="window-rss.")


def free_port():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


def rss_kib(pid):
    figures = {}
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            key, _, value = line.partition(":")
            if key in ("VmRSS", "VmHWM"):
                figures[key] = int(value.split()[0])
    return figures


def get(url, headers=None):
    req = urllib.request.Request(url, headers=headers or {})
    with urllib.request.urlopen(req, timeout=30) as r:
        return r.status, r.read()


def polls(base):
    _, body = get(base + "/metrics")
    for line in body.decode().splitlines():
        if line.startswith("event_exporter_polls_total"):
            return int(float(line.split()[-1]))
    return 0


try:
    rport, eport = free_port(), free_port()
    procs.append(subprocess.Popen(["redis-server", "--port", str(rport), "--bind", "127.0.0.1", "--save", "",
                                   "--appendonly", "no", "--dir", tmp],
                                  stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL))
    for _ in range(100):
        if subprocess.run(["redis-cli", "-p", str(rport), "PING"], capture_output=True, text=True).stdout.strip() == "PONG":
            break
        time.sleep(0.1)
    subprocess.run([sys.executable, os.path.join(HARNESS, "populate.py"), "--port", str(rport), "--streams", str(N),
                    "--groups", "1", "--entries", "50"], check=True, stdout=subprocess.DEVNULL)
    exporter = subprocess.Popen([BIN, "--redis.url", f"redis://127.0.0.1:{rport}/0",
                                 "--web.listen-address", f"127.0.0.1:{eport}", "--streams.pattern", "events:*",
                                 "--consumer-group", "*", "--log.level", "warn"] + FLAGS,
                                stdout=subprocess.DEVNULL, stderr=open(os.path.join(tmp, "exporter.log"), "w"))
    procs.append(exporter)
    base = f"http://127.0.0.1:{eport}"
    started = time.time()
    while True:
        try:
            if get(base + "/-/ready")[0] == 200:
                break
        except Exception:
            pass
        if exporter.poll() is not None or time.time() - started > 300:
            sys.exit("window-rss: the exporter never became ready")
        time.sleep(0.1)
    ready = time.time()
    first = rss_kib(exporter.pid)["VmRSS"]
    curve = []
    next_scrape = ready
    while time.time() - ready < SECONDS:
        if time.time() >= next_scrape:
            _, body = get(base + "/metrics", {"Accept": "application/openmetrics-text;version=1.0.0",
                                               "Accept-Encoding": "gzip"})
            gzip.decompress(body)
            next_scrape += 15
        if exporter.poll() is not None:
            sys.exit("window-rss: the exporter exited")
        curve.append((round(time.time() - ready), round(rss_kib(exporter.pid)["VmRSS"] / 1024, 1)))
        time.sleep(5)
    end = rss_kib(exporter.pid)
    print(json.dumps({"streams": N, "flags": " ".join(FLAGS) or "(defaults)", "seconds": SECONDS,
                      "polls": polls(base), "rss_after_first_poll_mib": round(first / 1024, 1),
                      "rss_end_mib": round(end["VmRSS"] / 1024, 1), "peak_rss_mib": round(end["VmHWM"] / 1024, 1),
                      "rss_curve_mib": curve}, indent=1))
finally:
    for p in reversed(procs):
        if p.poll() is None:
            p.terminate()
            try:
                p.wait(10)
            except subprocess.TimeoutExpired:
                p.kill()
    shutil.rmtree(tmp, ignore_errors=True)
