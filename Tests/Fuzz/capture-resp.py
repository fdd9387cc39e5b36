#!/usr/bin/env python3
"""Writes the `resp` target's seeds: real RESP2 replies, each prefixed by the target's feed-size
byte (0 = all at once, else that many bytes per feed).

Usage (from the package root): python3 Tests/Fuzz/capture-resp.py [/usr/bin/redis-server]

Copies every checked-in capture under Tests/LagCoreTests/Golden/replies (the poll's commands
on 6.2.5, 7.0 and 8.2.3), then captures from a private redis-server (7.0 on Debian) what those
lack: a poll's pipelined round trip as one byte stream, SCAN ... TYPE stream, INFO, ROLE,
CLUSTER SHARDS and CLUSTER SLOTS (a cluster-enabled node owning every slot), and SENTINEL
get-master-addr-by-name (a sentinel watching the first server). Servers listen on free loopback
ports, keep no files outside a temp directory, and are stopped by pid."""
import glob, importlib.util, os, signal, subprocess, sys, tempfile, time

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
OUT = os.path.join(HERE, "corpus", "resp")
spec = importlib.util.spec_from_file_location("capture", os.path.join(ROOT, "Tests/LagCoreTests/Golden/replies/capture.py"))
capture = importlib.util.module_from_spec(spec)
spec.loader.exec_module(capture)


def put(name, data, chunk=0):
    os.makedirs(OUT, exist_ok=True)
    with open(os.path.join(OUT, name), "wb") as f:
        f.write(bytes([chunk]) + data)


def start(server, work, name, *extra):
    port = capture.free_port()
    pidfile = os.path.join(work, name + ".pid")
    subprocess.run([server, *extra, "--port", str(port), "--bind", "127.0.0.1", "--daemonize", "yes",
                    "--pidfile", pidfile, "--dir", work, "--logfile", os.path.join(work, name + ".log")], check=True)
    for _ in range(100):
        try:
            c = capture.Conn(port)
            c.ok("PING")
            return port, pidfile, c
        except (OSError, EOFError, RuntimeError):
            time.sleep(0.05)
    raise RuntimeError(f"{name} did not start")


def stop(pidfile):
    with open(pidfile) as f:
        pid = int(f.read().strip())
    os.kill(pid, signal.SIGTERM)
    for _ in range(100):
        try:
            os.kill(pid, 0)
            time.sleep(0.05)
        except ProcessLookupError:
            return


def main():
    server = sys.argv[1] if len(sys.argv) > 1 else "/usr/bin/redis-server"
    for path in sorted(glob.glob(os.path.join(ROOT, "Tests/LagCoreTests/Golden/replies/redis-*/*.resp"))):
        version = os.path.basename(os.path.dirname(path))
        with open(path, "rb") as f:
            data = f.read()
        put(f"{version}-{os.path.basename(path)}", data)
    work = tempfile.mkdtemp(prefix="capture-resp-")
    pidfiles = []
    try:
        port, pidfile, c = start(server, work, "plain", "--save", "", "--appendonly", "no")
        pidfiles.append(pidfile)
        for n in range(1, 6):
            c.ok("XADD", "events:chat", f"1764396000{n:03d}-0", "n", str(n))
        c.ok("XGROUP", "CREATE", "events:chat", "signalr-consumers", "0")
        c.ok("XREADGROUP", "GROUP", "signalr-consumers", "instance-1", "COUNT", "2", "STREAMS", "events:chat", ">")
        # One poll's first round trip, pipelined: the replies back to back as the socket has them.
        poll = [("TIME",), ("XINFO", "STREAM", "events:chat", "FULL", "COUNT", "1"),
                ("XREVRANGE", "events:chat", "+", "-", "COUNT", "1"), ("XRANGE", "events:chat", "1764396000002-1", "+", "COUNT", "3")]
        stream = b"".join(c.raw(*cmd) for cmd in poll)
        put("7.0-poll-pipelined", stream)
        put("7.0-poll-pipelined-feed7", stream, chunk=7)
        put("7.0-poll-pipelined-feed1", stream[:200], chunk=1)
        put("7.0-scan", c.raw("SCAN", "0", "MATCH", "events:*", "COUNT", "1000", "TYPE", "stream"))
        put("7.0-info-server", c.raw("INFO", "server"))
        put("7.0-role", c.raw("ROLE"))
        put("7.0-error-noauth", c.raw("AUTH", "nobody", "wrong"))

        sconf = os.path.join(work, "sentinel.conf")
        sport = capture.free_port()
        with open(sconf, "w") as f:
            f.write(f"port {sport}\nbind 127.0.0.1\nsentinel monitor mymaster 127.0.0.1 {port} 1\n"
                    f"pidfile {work}/sentinel.pid\ndaemonize yes\nlogfile {work}/sentinel.log\ndir {work}\n")
        subprocess.run([server, sconf, "--sentinel"], check=True)
        pidfiles.append(os.path.join(work, "sentinel.pid"))
        for _ in range(100):
            try:
                s = capture.Conn(sport)
                s.ok("PING")
                break
            except (OSError, EOFError, RuntimeError):
                time.sleep(0.05)
        put("7.0-sentinel-master-addr", s.raw("SENTINEL", "get-master-addr-by-name", "mymaster"))
        put("7.0-sentinel-master-addr-unknown", s.raw("SENTINEL", "get-master-addr-by-name", "nosuch"))
        put("7.0-sentinel-role", s.raw("ROLE"))

        _, cpidfile, n = start(server, work, "cluster", "--save", "", "--appendonly", "no", "--cluster-enabled", "yes",
                               "--cluster-config-file", os.path.join(work, "nodes.conf"))
        pidfiles.append(cpidfile)
        n.ok("CLUSTER", "ADDSLOTSRANGE", "0", "16383")
        time.sleep(0.2)
        put("7.0-cluster-shards", n.raw("CLUSTER", "SHARDS"))
        put("7.0-cluster-slots", n.raw("CLUSTER", "SLOTS"))
        put("7.0-info-cluster", n.raw("INFO", "cluster"))
        # Hand-written, in Redis' words: a one-node cluster never redirects.
        put("hand-error-moved", b"-MOVED 3999 127.0.0.1:7002\r\n")
    finally:
        for p in pidfiles:
            if os.path.exists(p):
                stop(p)


main()
