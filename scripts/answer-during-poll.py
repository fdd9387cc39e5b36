#!/usr/bin/env python3
"""Usage: scripts/answer-during-poll.py BINARY N SECONDS

How fast the exporter answers while it polls. A private Redis on a free loopback port with N
streams (the shared harness' populate.py: one group, 50 entries each), the exporter polling it
every 250 ms, so that it is inside a poll most of the time (the share is printed). For SECONDS,
every 0.1 s, curl asks for each endpoint once, one after the other: `/metrics` as Prometheus
asks (gzip'ed OpenMetrics), `/metrics` as plain text, and the health, consumer-lag and streams
JSON. Prints JSON: per endpoint the status codes, the body size, and the median, p99 and max of
the time to the first byte and to the last. The first requests of each endpoint (one, then one
two polls later) are reported on their own: a body nobody asked for lately is made for the
request, and from the next publication on as the poll publishes.
Every process is stopped by its pid.
"""
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "lib"))
from benchlib import free_port, metric, populated_redis, stop, wait_ready  # noqa: E402

if len(sys.argv) != 4:
    sys.exit(__doc__)
BIN, N, SECONDS = sys.argv[1], int(sys.argv[2]), float(sys.argv[3])
REQUESTS = {
    "metrics, gzip'ed OpenMetrics": ("/metrics", ["-H", "Accept: application/openmetrics-text;version=1.0.0,text/plain;version=0.0.4;q=0.5",
                                                  "-H", "Accept-Encoding: gzip"]),
    "metrics, plain text": ("/metrics", []),
    "health": ("/api/v1/events/health", []),
    "consumer-lag": ("/api/v1/events/consumer-lag", []),
    "streams": ("/api/v1/events/streams", []),
}
procs = []
tmp = tempfile.mkdtemp(prefix="answer-during-poll.")


def spread(values):
    values = sorted(values)
    return {"median": round(statistics.median(values), 1), "p99": round(values[min(len(values) - 1, int(0.99 * len(values)))], 1),
            "max": round(values[-1], 1)}


try:
    rport, eport = populated_redis(N, tmp, procs), free_port()
    exporter = subprocess.Popen([BIN, "--redis.url", f"redis://127.0.0.1:{rport}/0", "--poll.interval", "250ms",
                                 "--web.listen-address", f"127.0.0.1:{eport}", "--streams.pattern", "events:*",
                                 "--consumer-group", "*", "--log.level", "warn"],
                                stdout=subprocess.DEVNULL, stderr=open(os.path.join(tmp, "exporter.log"), "w"))
    procs.append(exporter)
    base = f"http://127.0.0.1:{eport}"
    wait_ready(base, exporter, "answer-during-poll")
    # Two more polls (discovery, the bodies asked for made at publish time), then measure.
    first_polls = metric(base, "event_exporter_polls_total")
    while metric(base, "event_exporter_polls_total") < first_polls + 2:
        time.sleep(0.1)
    def ask(path, headers):
        out = subprocess.run(["curl", "-s", "-o", "/dev/null", "-w", "%{http_code} %{time_starttransfer} %{time_total} %{size_download}"]
                             + headers + [base + path], capture_output=True, text=True).stdout.split()
        return (out[0], 1000 * float(out[1]), 1000 * float(out[2]), int(out[3]))

    first = {name: [ask(path, headers)] for name, (path, headers) in REQUESTS.items()}
    asked = metric(base, "event_exporter_polls_total")
    while metric(base, "event_exporter_polls_total") < asked + 2:
        time.sleep(0.1)
    for name, (path, headers) in REQUESTS.items():
        first[name].append(ask(path, headers))
    polled0, began = metric(base, "event_exporter_poll_duration_seconds_sum"), time.time()
    times = {name: [] for name in REQUESTS}
    while time.time() - began < SECONDS:
        for name, (path, headers) in REQUESTS.items():
            times[name].append(ask(path, headers))
        if exporter.poll() is not None:
            sys.exit("answer-during-poll: the exporter exited")
        time.sleep(0.1)
    elapsed, polled = time.time() - began, metric(base, "event_exporter_poll_duration_seconds_sum") - polled0
    result = {"streams": N + 3, "seconds": round(elapsed, 1), "share_of_time_polling": round(polled / elapsed, 2), "requests": {}}
    for name, rows in times.items():
        codes = {}
        for row in rows:
            codes[row[0]] = codes.get(row[0], 0) + 1
        result["requests"][name] = {"n": len(rows), "status": codes, "bytes": rows[-1][3],
                                    "first_byte_ms": spread([r[1] for r in rows]), "whole_ms": spread([r[2] for r in rows]),
                                    "first_requests": [{"status": r[0], "first_byte_ms": round(r[1], 1), "whole_ms": round(r[2], 1)}
                                                       for r in first[name]]}
    print(json.dumps(result, indent=1))
finally:
    stop(procs, tmp)
