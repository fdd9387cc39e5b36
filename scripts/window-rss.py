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
import subprocess
import sys
import tempfile
import time
import urllib.request

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "lib"))
from benchlib import free_port, metric, populated_redis, stop, wait_ready  # noqa: E402

if len(sys.argv) < 4:
    sys.exit(__doc__)
BIN, N, SECONDS = sys.argv[1], int(sys.argv[2]), float(sys.argv[3])
FLAGS = sys.argv[4:]
procs = []
tmp = tempfile.mkdtemp(prefix="window-rss.")


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


try:
    rport, eport = populated_redis(N, tmp, procs), free_port()
    exporter = subprocess.Popen([BIN, "--redis.url", f"redis://127.0.0.1:{rport}/0",
                                 "--web.listen-address", f"127.0.0.1:{eport}", "--streams.pattern", "events:*",
                                 "--consumer-group", "*", "--log.level", "warn"] + FLAGS,
                                stdout=subprocess.DEVNULL, stderr=open(os.path.join(tmp, "exporter.log"), "w"))
    procs.append(exporter)
    base = f"http://127.0.0.1:{eport}"
    wait_ready(base, exporter, "window-rss")
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
                      "polls": int(metric(base, "event_exporter_polls_total")), "rss_after_first_poll_mib": round(first / 1024, 1),
                      "rss_end_mib": round(end["VmRSS"] / 1024, 1), "peak_rss_mib": round(end["VmHWM"] / 1024, 1),
                      "rss_curve_mib": curve}, indent=1))
finally:
    stop(procs, tmp)
