"""Shared by the Python bench scripts (window-rss.py, answer-during-poll.py, cluster-bench.py):
a free loopback port, a private Redis filled by the shared harness' populate.py, the exporter's
readiness and one of its own metrics, and stopping every process by its pid."""
import os
import shutil
import socket
import subprocess
import sys
import time
import urllib.request

HARNESS = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "..", "shared", "bench-peer")


def free_port():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


def populated_redis(n, tmp, procs):
    """A redis-server on a free loopback port (appended to `procs`), with populate.py's N
    streams (one group, 50 entries each); returns its port."""
    port = free_port()
    procs.append(subprocess.Popen(["redis-server", "--port", str(port), "--bind", "127.0.0.1", "--save", "",
                                   "--appendonly", "no", "--dir", tmp],
                                  stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL))
    for _ in range(100):
        if subprocess.run(["redis-cli", "-p", str(port), "PING"], capture_output=True, text=True).stdout.strip() == "PONG":
            break
        time.sleep(0.1)
    subprocess.run([sys.executable, os.path.join(HARNESS, "populate.py"), "--port", str(port), "--streams", str(n),
                    "--groups", "1", "--entries", "50"], check=True, stdout=subprocess.DEVNULL)
    return port


def wait_ready(base, exporter, who):
    """Waits for the exporter's /-/ready (its first poll); exits naming `who` if it never comes."""
    started = time.time()
    while True:
        try:
            with urllib.request.urlopen(base + "/-/ready", timeout=5) as r:
                if r.status == 200:
                    return
        except Exception:
            pass
        if exporter.poll() is not None or time.time() - started > 300:
            sys.exit(f"{who}: the exporter never became ready")
        time.sleep(0.1)


def metric(base, name):
    """The value of an unlabelled sample of the exporter's /metrics, 0 when absent."""
    with urllib.request.urlopen(base + "/metrics", timeout=30) as r:
        for line in r.read().decode().splitlines():
            if line.startswith(name + " "):
                return float(line.split()[-1])
    return 0.0


def stop(procs, tmp):
    """Stops every process started, by its pid, newest first, and removes `tmp`."""
    for p in reversed(procs):
        if p.poll() is None:
            p.terminate()
            try:
                p.wait(10)
            except subprocess.TimeoutExpired:
                p.kill()
    shutil.rmtree(tmp, ignore_errors=True)
