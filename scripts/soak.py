#!/usr/bin/env python3
"""The soak behind scripts/soak.sh: one private Redis, the exporter, the traffic generator, churn,
wrk and a checker, for a given number of minutes; then a summary, a PNG and an exit status.

What runs (all on loopback, all started and stopped here by pid):
- redis-server on a free port, with appendonly yes / appendfsync always, so its data survives
  every restart; it is restarted every few minutes, alternately by SIGKILL and by SHUTDOWN, and
  started again on the same port after a few seconds down;
- the exporter (--poll.interval 250ms, discovery of soak:* every 1s, every group monitored, the
  control streams as fixed --streams, logs as JSON);
- stream-lag-traffic producing into and consuming from soak:traffic:1..4;
- churn, every 2 s: a new stream soak:churn:N with two groups, entries and a reader, a group
  created on a traffic stream; older churn streams, churn groups and traffic-stream groups
  destroyed (at most 6 churn streams live at once);
- wrk scraping /metrics (plain, gzip, OpenMetrics), the three JSON endpoints and /-/ready;
- every 2 s a sample of the exporter's RSS, fds and threads (/proc/PID) into samples.csv;
- around every restart (down and 10 s after), every snapshot that says Redis is connected and
  not stale must still show the control streams and their groups (Redis kept them);
- every ~5 s a check: a deterministic write to the control streams ctl:plain and ctl:trimmed
  (XADD, XREADGROUP by alternating consumers, XACK), then the exporter's first snapshot whose
  poll started after that write, compared field by field with XLEN, XINFO GROUPS, XINFO
  CONSUMERS and XPENDING from redis-cli, lag with the XRANGE count after last-delivered-id
  (Redis' own XINFO lag is null or, on 7.0, too high where entries were trimmed; both counted).
"""
import argparse
import csv
import datetime
import json
import os
import re
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import time
import urllib.error
import urllib.request

CONTROL = ["ctl:plain", "ctl:trimmed"]
TRIMMED_MAXLEN = 40
TRAFFIC = [f"soak:traffic:{i}" for i in range(1, 5)]
POLL_INTERVAL = 0.25
SAMPLE_EVERY = 2.0
CHECK_EVERY = 5.0
CHURN_EVERY = 2.0
REDIS_DOWN_FOR = 3.0
FRESH_TIMEOUT = 30.0
# Growth tolerance: the end (median of the last 10% of samples) against the baseline (median of
# the samples after warm-up, in the first half), and the least-squares rise over the last half.
RSS_TOLERANCE_RATIO = 0.05
RSS_TOLERANCE_KIB = 2048
COUNT_TOLERANCE = 2  # fds and threads
# The only warn/error lines a soak may cause: Redis going away, streams and groups deleted.
INDUCED_SKIP_REASONS = {"missing_stream", "missing_group"}
POLL_FAILED = "poll failed; reconnecting with backoff"
SKIPPED = "skipped during a poll; later ones are only counted"


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def say(text):
    print(f"soak: {text}", flush=True)


class Soak:
    def __init__(self, minutes, bin_dir, out):
        self.seconds = minutes * 60
        self.bin_dir = bin_dir
        # Absolute: redis-server opens its --logfile after changing to its --dir.
        self.out = os.path.abspath(out)
        self.redis_port = free_port()
        self.redis_dir = os.path.join(self.out, "redis")
        os.makedirs(self.redis_dir, exist_ok=True)
        # Every few minutes, at least 3 restarts in a short run.
        self.restart_every = min(150.0, max(30.0, self.seconds / 4))
        self.redis = None
        self.exporter = None
        self.traffic = None
        self.wrk = None
        self.exporter_port = None
        self.logs = {}
        self.t0 = None
        self.restarts = []  # (down_at, up_at or None, kind), seconds since t0
        self.redis_down_until = None
        self.restart_kind = 0
        self.samples = []
        self.checks = 0
        self.check_waits = []
        self.mismatches = []
        self.skipped_checks = 0
        self.watching = False  # set once the control streams exist
        self.watch_until = 0.0
        self.watched = 0
        self.last_watched = None
        self.redis_lag_null = 0  # group checks where XINFO GROUPS gave a null lag
        self.redis_lag_wrong = 0  # ... and where it disagreed with the XRANGE count
        self.churn_n = 0
        self.failures = []
        self.exporter_died = False

    # --- processes -------------------------------------------------------------------------
    def log_file(self, name):
        if name not in self.logs:
            self.logs[name] = open(os.path.join(self.out, f"{name}.log"), "ab")
        return self.logs[name]

    def start_redis(self):
        self.redis = subprocess.Popen(
            ["redis-server", "--port", str(self.redis_port), "--bind", "127.0.0.1",
             "--dir", self.redis_dir, "--appendonly", "yes", "--appendfsync", "always", "--save", "",
             "--logfile", os.path.join(self.out, "redis.log"), "--daemonize", "no"],
            stdout=subprocess.DEVNULL, stderr=self.log_file("redis-stderr"))
        deadline = time.time() + 30
        while time.time() < deadline:
            self.watch()  # Redis accepts connections while it loads its data: the exporter may poll it
            if self.cli_raw(["PING"], check=False).strip() == "PONG":
                return
            if self.redis.poll() is not None:
                break
            time.sleep(0.05)
        raise RuntimeError(f"redis-server did not start on 127.0.0.1:{self.redis_port}")

    def cli_raw(self, args, stdin=None, check=True):
        r = subprocess.run(["redis-cli", "-h", "127.0.0.1", "-p", str(self.redis_port)] + args,
                           input=stdin, capture_output=True, text=True, timeout=30)
        if check and r.returncode != 0:
            raise RuntimeError(f"redis-cli {args}: {r.stderr.strip()}")
        return r.stdout

    def cli(self, commands):
        """Several commands through one redis-cli, one reply a line, as JSON (RESP3 maps as objects)."""
        text = "".join(" ".join(c) + "\n" for c in commands)
        lines = self.cli_raw(["--json"], stdin=text).splitlines()
        if len(lines) != len(commands):
            raise RuntimeError(f"redis-cli gave {len(lines)} replies for {len(commands)} commands: {lines[:5]}")
        replies = []
        for line in lines:
            replies.append(RedisError(line) if line.startswith("error:") else json.loads(line))
        return replies

    def start_exporter(self):
        log = os.path.join(self.out, "exporter.log")
        self.exporter = subprocess.Popen(
            [os.path.join(self.bin_dir, "stream-lag-exporter"),
             "--redis.url", f"redis://127.0.0.1:{self.redis_port}/0",
             "--streams", ",".join(CONTROL), "--streams.pattern", "soak:*",
             "--streams.discovery-interval", "1s", "--consumer-group", "*",
             "--poll.interval", f"{int(POLL_INTERVAL * 1000)}ms", "--redis.timeout", "1s",
             "--lag.degraded-threshold", "1000000", "--lag.unhealthy-threshold", "2000000",
             "--web.listen-address", "127.0.0.1:0", "--log.format", "json"],
            stdout=subprocess.DEVNULL, stderr=self.log_file("exporter"))
        deadline = time.time() + 30
        while time.time() < deadline:
            for entry in self.exporter_log():
                if entry.get("msg") == "listening" and "web.address" in entry:
                    self.exporter_port = int(entry["web.address"].rsplit(":", 1)[1])
                    return
            if self.exporter.poll() is not None:
                break
            time.sleep(0.05)
        raise RuntimeError("the exporter did not start listening; see exporter.log")

    def exporter_log(self):
        entries = []
        if "exporter" in self.logs and not self.logs["exporter"].closed:
            self.logs["exporter"].flush()
        with open(os.path.join(self.out, "exporter.log"), "rb") as f:
            for raw in f:
                try:
                    entries.append(json.loads(raw))
                except ValueError:
                    entries.append({"level": "unparsed", "msg": raw.decode("utf-8", "replace").rstrip()})
        return entries

    def start_traffic(self):
        self.traffic = subprocess.Popen(
            [os.path.join(self.bin_dir, "stream-lag-traffic"),
             "--redis.url", f"redis://127.0.0.1:{self.redis_port}/0",
             "--streams", ",".join(TRAFFIC), "--consumer-group", "workers",
             "--produce-rate", "40", "--consume-rate", "45", "--consume-period", "60s",
             "--consumers", "3", "--ack-ratio", "0.99", "--maxlen", "2000"],
            stdout=subprocess.DEVNULL, stderr=self.log_file("traffic"))

    def start_wrk(self):
        script = os.path.join(self.out, "scrape.lua")
        with open(script, "w") as f:
            f.write(WRK_SCRIPT)
        with open(os.path.join(self.out, "wrk.txt"), "wb") as out:
            self.wrk = subprocess.Popen(
                ["wrk", "-t4", "-c4", f"-d{int(self.seconds) + 60}s", "--timeout", "5s", "--latency",
                 "-s", script, f"http://127.0.0.1:{self.exporter_port}"],
                stdout=out, stderr=subprocess.STDOUT)

    def stop(self, proc, sig=signal.SIGTERM, wait=10):
        if proc is None or proc.poll() is not None:
            return
        proc.send_signal(sig)
        try:
            proc.wait(wait)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()

    def now(self):
        return time.time() - self.t0

    # --- Redis restarts ----------------------------------------------------------------------
    def redis_up(self):
        return self.redis_down_until is None

    def take_redis_down(self):
        kind = ["SIGKILL", "SHUTDOWN"][self.restart_kind % 2]
        self.restart_kind += 1
        at = self.now()
        if kind == "SIGKILL":
            self.redis.kill()
        else:
            # With appendonly, SHUTDOWN fsyncs the AOF and exits; the connection just closes.
            self.cli_raw(["SHUTDOWN"], check=False)
        self.redis.wait(30)
        self.restarts.append([at, None, kind])
        self.redis_down_until = time.time() + REDIS_DOWN_FOR
        say(f"t={at:.0f}s redis down by {kind}")

    def bring_redis_back(self):
        self.start_redis()
        self.watch_until = time.time() + 10
        self.restarts[-1][1] = self.now()
        self.redis_down_until = None
        say(f"t={self.now():.0f}s redis back on the same port with its data (AOF)")

    # --- churn -------------------------------------------------------------------------------
    def churn(self):
        n = self.churn_n
        self.churn_n += 1
        key = f"soak:churn:{n}"
        traffic = TRAFFIC[n % len(TRAFFIC)]
        commands = [
            ["XGROUP", "CREATE", key, "ga", "0", "MKSTREAM"],
            ["XGROUP", "CREATE", key, "gb", "$"],
            ["XADD", key, "*", "n", str(n)],
            ["XADD", key, "*", "n", str(n)],
            ["XADD", key, "*", "n", str(n)],
            ["XREADGROUP", "GROUP", "ga", "w1", "COUNT", "2", "STREAMS", key, ">"],
            ["XGROUP", "CREATE", traffic, f"churn{n}", "$", "MKSTREAM"],
        ]
        if n >= 3:
            old = n - 3
            commands.append(["XGROUP", "DESTROY", TRAFFIC[old % len(TRAFFIC)], f"churn{old}"])
            if old % 2 == 1:
                commands.append(["XGROUP", "DESTROY", f"soak:churn:{old}", "ga"])
        if n >= 6:
            commands.append(["DEL", f"soak:churn:{n - 6}"])
        for reply in self.cli(commands):
            if isinstance(reply, RedisError):
                raise RuntimeError(f"churn step {n}: {reply}")

    # --- samples -----------------------------------------------------------------------------
    def sample(self, event=""):
        pid = self.exporter.pid
        try:
            with open(f"/proc/{pid}/status") as f:
                status = dict(line.split(":", 1) for line in f if ":" in line)
            rss = int(status["VmRSS"].split()[0])
            threads = int(status["Threads"])
            fds = len(os.listdir(f"/proc/{pid}/fd"))
        except (OSError, KeyError, ValueError):
            return
        with open("/proc/loadavg") as f:
            load = float(f.read().split()[0])
        self.samples.append({"seconds": round(self.now(), 1), "rss_kib": rss, "fds": fds, "threads": threads,
                             "load1": load, "redis_up": int(self.redis_up()), "event": event})

    # --- checks ------------------------------------------------------------------------------
    def fetch(self, path):
        with urllib.request.urlopen(f"http://127.0.0.1:{self.exporter_port}{path}", timeout=5) as r:
            return json.load(r)

    def fresh(self, path, since):
        """The first snapshot whose poll started after `since` (collected_at is read as the poll's
        first round trip goes out)."""
        deadline = time.time() + FRESH_TIMEOUT
        while time.time() < deadline:
            try:
                body = self.fetch(path)
                collected = datetime.datetime.fromisoformat(body["collected_at"].replace("Z", "+00:00")).timestamp()
                if collected > since + 0.005:
                    return body
            except (urllib.error.URLError, OSError, KeyError, ValueError):
                pass
            time.sleep(0.05)
        return None

    def watch(self):
        """Around a restart, every new snapshot that says Redis is connected and not stale must
        show the control streams with their groups: they exist all along (Redis keeps its data),
        so a snapshot without them shows something Redis never held (e.g. a poll that met
        LOADING replies published as if the streams were unreadable or gone)."""
        if self.exporter is None or self.exporter_port is None or not self.watching:
            return
        try:
            body = self.fetch("/api/v1/events/consumer-lag")
        except (urllib.error.URLError, OSError, ValueError):
            return
        collected = body.get("collected_at")
        if collected == self.last_watched or not body.get("redis_connected") or body.get("stale"):
            return
        self.last_watched = collected
        self.watched += 1
        for s in CONTROL:
            stream = body.get("streams", {}).get(s)
            groups = (stream or {}).get("groups", {})
            if stream is None or any(not groups.get(g, {}).get("exists") for g in ("readers", "idle")):
                shown = "absent" if stream is None else f"groups {sorted(groups)}, lag {stream.get('lag')}"
                problem = (f"snapshot {collected} (redis_connected, not stale) shows {s} {shown}; "
                           f"it holds groups idle and readers all along")
                self.mismatches.append((round(self.now(), 1), "watch", problem))
                say(f"MISMATCH {problem}")

    def write_control(self, k):
        for s in CONTROL:
            trim = ["MAXLEN", str(TRIMMED_MAXLEN)] if s == "ctl:trimmed" else []
            commands = [["XADD", s] + trim + ["*", "check", str(k), "i", str(i)] for i in range(1 + k % 4)]
            commands.append(["XREADGROUP", "GROUP", "readers", f"c{1 + k % 2}", "COUNT", str(1 + k % 3), "STREAMS", s, ">"])
            replies = self.cli(commands)
            read = replies[-1]
            if isinstance(read, RedisError):
                raise RuntimeError(f"control write {s}: {read}")
            ids = [entry[0] for entry in (read or {}).get(s, [])]
            if k % 2 == 0 and ids:
                self.cli([["XACK", s, "readers", ids[0]]])

    def reference(self, s):
        """What Redis itself says about control stream `s`."""
        length, groups = self.cli([["XLEN", s], ["XINFO", "GROUPS", s]])
        ref = {"length": length, "groups": {}}
        for g in groups:
            name = g["name"]
            consumers, oldest = self.cli([["XINFO", "CONSUMERS", s, name], ["XPENDING", s, name, "-", "+", "1"]])
            # Lag by its definition, the entries after last-delivered-id, counted with XRANGE.
            # XINFO's own figure is null where Redis cannot tell, and on 7.0 too high once a
            # group's undelivered entries were trimmed away (entries-added - entries-read still
            # counts them): those are counted, not blamed on the exporter.
            after = self.cli([["XRANGE", s, "(" + g["last-delivered-id"], "+", "COUNT", "10001"]])[0]
            lag = len(after)
            if g["lag"] is None:
                self.redis_lag_null += 1
            elif g["lag"] != lag:
                self.redis_lag_wrong += 1
                if self.redis_lag_wrong == 1:
                    say(f"redis' XINFO GROUPS lag of {s} {name} is {g['lag']}, but XRANGE counts {lag} entries "
                        f"after its last-delivered-id (XLEN {length}); the count is the reference")
            ref["groups"][name] = {
                "lag": lag, "pending": g["pending"], "last_delivered_id": g["last-delivered-id"],
                "entries_read": g["entries-read"],
                "oldest_pending_deliveries": oldest[0][3] if oldest else None,
                "consumers": sorted((c["name"], c["pending"]) for c in consumers),
            }
        return ref

    def check(self):
        k = self.checks
        self.write_control(k)
        since = time.time()
        lag_body = self.fresh("/api/v1/events/consumer-lag", since)
        streams_body = self.fresh("/api/v1/events/streams", since)
        waited = time.time() - since
        self.checks += 1
        if k == 3:
            self.plant()
        problems = []
        if lag_body is None or streams_body is None:
            problems.append(f"no snapshot newer than the write within {FRESH_TIMEOUT:.0f}s")
        else:
            self.check_waits.append(waited)
            problems += self.compare(lag_body, streams_body)
        for p in problems:
            self.mismatches.append((round(self.now(), 1), k, p))
            say(f"MISMATCH check {k}: {p}")

    def plant(self):
        """SOAK_PLANT makes one fault on purpose, to show the soak fails on it: `mismatch` adds an
        entry after the exporter's snapshot was taken (its figures are then one behind Redis'),
        `rewind` moves a control group back (the exporter's rewind warning is not an induced
        line), `kill` kills the exporter."""
        what = os.environ.get("SOAK_PLANT", "")
        if what == "mismatch":
            self.cli([["XADD", CONTROL[0], "*", "planted", "1"]])
        elif what == "rewind":
            self.cli([["XGROUP", "SETID", CONTROL[0], "readers", "0"]])
        elif what == "kill":
            self.exporter.kill()
        elif what:
            raise RuntimeError(f"SOAK_PLANT={what}: not mismatch, rewind or kill")
        if what:
            say(f"planted: {what}")

    def compare(self, lag_body, streams_body):
        problems = []

        def same(what, exporter, redis):
            if exporter != redis:
                problems.append(f"{what}: exporter {exporter!r}, redis {redis!r}")

        same("redis_connected", lag_body.get("redis_connected"), True)
        same("stale", lag_body.get("stale"), False)
        streams = lag_body.get("streams", {})
        same("total_lag = sum of streams' lag", lag_body.get("total_lag"),
             sum(v.get("lag") or 0 for v in streams.values()))
        same("stream_count = number of streams", lag_body.get("stream_count"), len(streams))
        listed = {s["name"]: s for s in streams_body.get("streams", [])}
        for s in CONTROL:
            ref = self.reference(s)
            mine = streams.get(s)
            if mine is None:
                problems.append(f"{s}: missing from consumer-lag")
                continue
            same(f"{s} length", listed.get(s, {}).get("length"), ref["length"])
            same(f"{s} groups", listed.get(s, {}).get("groups"), len(ref["groups"]))
            same(f"{s} group names", sorted(mine.get("groups", {})), sorted(ref["groups"]))
            same(f"{s} lag", mine.get("lag"), sum(g["lag"] for g in ref["groups"].values()))
            same(f"{s} pending", mine.get("pending"), sum(g["pending"] for g in ref["groups"].values()))
            same(f"{s} consumers", mine.get("consumers"),
                 sorted({c for g in ref["groups"].values() for c, _ in g["consumers"]}))
            for name, want in ref["groups"].items():
                got = mine.get("groups", {}).get(name)
                if got is None:
                    continue
                where = f"{s} {name}"
                same(f"{where} exists", got.get("exists"), True)
                same(f"{where} lag_exact", got.get("lag_exact"), True)
                for field in ("lag", "pending", "last_delivered_id", "entries_read"):
                    same(f"{where} {field}", got.get(field), want[field])
                if want["pending"] > 0:
                    same(f"{where} oldest_pending_deliveries", got.get("oldest_pending_deliveries"),
                         want["oldest_pending_deliveries"])
                same(f"{where} consumers", sorted((c["name"], c["pending"]) for c in got.get("consumers", [])),
                     want["consumers"])
        return problems

    # --- the run -----------------------------------------------------------------------------
    def run(self):
        self.t0 = time.time()
        self.start_redis()
        for s in CONTROL:
            self.cli([["XGROUP", "CREATE", s, "readers", "$", "MKSTREAM"], ["XGROUP", "CREATE", s, "idle", "$"]])
        self.start_exporter()
        self.watching = True
        self.start_traffic()
        self.start_wrk()
        say(f"redis 127.0.0.1:{self.redis_port} (pid {self.redis.pid}), exporter 127.0.0.1:{self.exporter_port} "
            f"(pid {self.exporter.pid}), traffic pid {self.traffic.pid}, wrk pid {self.wrk.pid}; "
            f"{self.seconds / 60:g} min, redis restarted every {self.restart_every:.0f}s; output in {self.out}")
        end = self.t0 + self.seconds
        due = {"sample": self.t0, "churn": self.t0 + 1, "check": self.t0 + 3,
               "restart": self.t0 + self.restart_every}
        next_report = self.t0 + 60
        while time.time() < end:
            if self.exporter.poll() is not None:
                self.exporter_died = True
                self.failures.append(f"the exporter exited with status {self.exporter.returncode} at t={self.now():.0f}s")
                break
            now = time.time()
            event = ""
            if self.redis_down_until is not None and now >= self.redis_down_until:
                self.bring_redis_back()
                event = "redis up"
            elif now >= due["restart"] and self.redis_up() and now < end - 20:
                self.take_redis_down()
                event = f"redis {self.restarts[-1][2]}"
                due["restart"] += self.restart_every
            if now >= due["churn"]:
                if self.redis_up():
                    try:
                        self.churn()
                    except RuntimeError as error:
                        self.failures.append(str(error))
                        say(str(error))
                due["churn"] += CHURN_EVERY
            if event:  # a restart gets its own sample, so the curve shows where it happened
                self.sample(event)
            elif now >= due["sample"]:
                self.sample()
                due["sample"] = max(due["sample"] + SAMPLE_EVERY, now)
            if now >= due["check"]:
                if self.redis_up():
                    self.check()
                else:
                    self.skipped_checks += 1
                due["check"] = time.time() + CHECK_EVERY
            if now >= next_report:
                last = self.samples[-1] if self.samples else {}
                say(f"t={self.now():.0f}s rss={last.get('rss_kib', 0) / 1024:.1f}MiB fds={last.get('fds')} "
                    f"threads={last.get('threads')} load={last.get('load1')} checks={self.checks} "
                    f"mismatches={len(self.mismatches)}")
                next_report += 60
            if self.redis_down_until is not None or time.time() < self.watch_until:
                self.watch()  # while Redis is down and for 10 s after it is back
                pause = 0.05
            else:
                pause = min(due.values()) - time.time()
            if pause > 0:
                time.sleep(min(pause, 0.5))
        self.sample("end")

    def shutdown(self):
        self.stop(self.wrk, signal.SIGINT)
        self.stop(self.traffic)
        exporter_status = None
        if self.exporter is not None and self.exporter.poll() is None:
            self.stop(self.exporter)
            exporter_status = self.exporter.returncode
        self.stop(self.redis)
        for f in self.logs.values():
            f.close()
        return exporter_status

    # --- verdict -----------------------------------------------------------------------------
    def classify_logs(self):
        windows = [(down - 1, (up if up is not None else self.now()) + 15) for down, up, _ in self.restarts]
        induced, unexpected = {}, []
        for entry in self.exporter_log():
            level = entry.get("level")
            if level not in ("warn", "error", "unparsed"):
                continue
            msg = entry.get("msg", "")
            when = None
            try:
                when = datetime.datetime.fromisoformat(entry["ts"].replace("Z", "+00:00")).timestamp() - self.t0
            except (KeyError, ValueError):
                pass
            if msg == POLL_FAILED and when is not None and any(a <= when <= b for a, b in windows):
                key = f"{msg} (redis restart)"
            elif (msg == SKIPPED and "LOADING" in entry.get("example", "") and when is not None
                  and any(a <= when <= b for a, b in windows)):
                # The line is Redis' doing; what the exporter published meanwhile is watch()'s business.
                key = f"{msg} (LOADING: redis loading its data after a restart)"
            elif msg == SKIPPED and entry.get("reason") in INDUCED_SKIP_REASONS:
                key = f"{msg} (reason={entry.get('reason')}: churn deletes)"
            else:
                unexpected.append(entry)
                continue
            induced[key] = induced.get(key, 0) + 1
        return induced, unexpected

    def series_stats(self, rows, key):
        values = [r[key] for r in rows]
        return min(values), statistics.median(values), max(values)

    def slope_per_hour(self, rows, key):
        xs = [r["seconds"] for r in rows]
        ys = [r[key] for r in rows]
        if len(xs) < 3:
            return 0.0
        mx, my = statistics.fmean(xs), statistics.fmean(ys)
        den = sum((x - mx) ** 2 for x in xs)
        return 0.0 if den == 0 else sum((x - mx) * (y - my) for x, y in zip(xs, ys)) / den * 3600

    def verdict(self, exporter_status):
        rows = [r for r in self.samples if r["event"] != "end"] or self.samples
        duration = rows[-1]["seconds"] if rows else 0
        warmup = min(60.0, duration * 0.2)
        half = duration / 2
        base = [r for r in rows if warmup <= r["seconds"] <= half] or rows[:1]
        tail_n = max(3, len(rows) // 10)
        tail = rows[-tail_n:]
        last_half = [r for r in rows if r["seconds"] >= half]
        lines = []
        lines.append(f"soak of {duration / 60:.1f} min; {len(rows)} samples every {SAMPLE_EVERY:g}s; "
                     f"warm-up {warmup:.0f}s excluded from the baseline (samples {warmup:.0f}-{half:.0f}s)")
        for key, unit, scale in (("rss_kib", "MiB", 1024), ("fds", "", 1), ("threads", "", 1)):
            lo, med, hi = self.series_stats(rows, key)
            b = statistics.median(r[key] for r in base)
            e = statistics.median(r[key] for r in tail)
            slope = self.slope_per_hour(last_half, key)
            rise = slope * (duration - half) / 3600
            fmt = (lambda v: f"{v / scale:.1f}{unit}") if scale != 1 else (lambda v: f"{v:g}")
            lines.append(f"{key:8} min {fmt(lo)} median {fmt(med)} max {fmt(hi)}; first {fmt(rows[0][key])} "
                         f"last {fmt(rows[-1][key])}; baseline median {fmt(b)} -> end median {fmt(e)}; "
                         f"slope over the last half {slope / scale:+.2f}{unit}/h (fitted rise {rise / scale:+.2f}{unit})")
            if key == "rss_kib":
                allowed = max(b * RSS_TOLERANCE_RATIO, RSS_TOLERANCE_KIB)
                if e - b > allowed or rise > allowed:
                    self.failures.append(f"RSS grew beyond the tolerance of {allowed / 1024:.1f} MiB "
                                         f"(baseline {b / 1024:.1f}, end {e / 1024:.1f}, fitted rise over the last half {rise / 1024:.1f} MiB)")
            else:
                base_max = max(r[key] for r in base)
                if e > base_max + COUNT_TOLERANCE:
                    self.failures.append(f"{key} grew: end median {e:g} > baseline max {base_max:g} + {COUNT_TOLERANCE}")
        loads = [r["load1"] for r in rows]
        lines.append(f"load average (1 min) during the run: min {min(loads):.2f} median {statistics.median(loads):.2f} max {max(loads):.2f} on {os.cpu_count()} cores")
        lines.append(f"redis restarts: {len(self.restarts)} ("
                     + ", ".join(f"{kind} at {down:.0f}s, up at {up:.0f}s" if up is not None else f"{kind} at {down:.0f}s"
                                 for down, up, kind in self.restarts) + ")")
        lines.append(f"churn steps: {self.churn_n} (streams soak:churn:N created and deleted, groups created and destroyed)")
        waits = sorted(self.check_waits)
        wait_text = (f"; wait for a snapshot newer than the write: median {statistics.median(waits) * 1000:.0f} ms, "
                     f"max {waits[-1] * 1000:.0f} ms") if waits else ""
        lines.append(f"checks: {self.checks} done, {self.skipped_checks} skipped while redis was down, "
                     f"mismatches: {len(self.mismatches)}{wait_text}")
        lines.append(f"snapshots watched around restarts (control streams and groups present whenever "
                     f"redis_connected and not stale): {self.watched}")
        lines.append(f"redis' own XINFO GROUPS lag, against the XRANGE count used as reference: null {self.redis_lag_null} times, "
                     f"different {self.redis_lag_wrong} times (a group behind the trim point of ctl:trimmed)")
        for when, k, p in self.mismatches[:20]:
            lines.append(f"  mismatch at t={when}s check {k}: {p}")
        if self.mismatches:
            self.failures.append(f"{len(self.mismatches)} mismatches between the exporter and redis")
        induced, unexpected = self.classify_logs()
        lines.append(f"exporter warn/error lines: {sum(induced.values())} induced, {len(unexpected)} unexpected")
        for key, count in sorted(induced.items()):
            lines.append(f"  induced: {count} x {key}")
        for entry in unexpected[:20]:
            lines.append(f"  UNEXPECTED: {json.dumps(entry)}")
        if unexpected:
            self.failures.append(f"{len(unexpected)} unexpected warn/error lines in the exporter log")
        lines.append(self.wrk_summary())
        if exporter_status not in (None, 0):
            self.failures.append(f"the exporter exited with status {exporter_status} on SIGTERM")
        if exporter_status == 0:
            lines.append("exporter stopped cleanly on SIGTERM (exit 0)")
        lines.append("VERDICT: " + ("FAIL: " + "; ".join(self.failures) if self.failures else "PASS"))
        return lines

    def wrk_summary(self):
        path = os.path.join(self.out, "wrk.txt")
        text = open(path).read() if os.path.exists(path) else ""
        requests = next((l.split()[0] for l in text.splitlines() if "requests in" in l), "?")
        rate = next((l.split()[-1] for l in text.splitlines() if l.startswith("Requests/sec")), "?")
        p99 = next((l.split()[-1] for l in text.splitlines() if l.strip().startswith("99%")), "?")
        non2xx = next((l.split()[-1] for l in text.splitlines() if "Non-2xx" in l), "0")
        socket_errors = next((l.strip() for l in text.splitlines() if "Socket errors" in l), "")
        counts = dict((k, int(v)) for k, v in re.findall(r"(connect|read|write|timeout) (\d+)", socket_errors))
        # A refused connection or a 5 s timeout on loopback means the exporter stopped serving;
        # a scrape never waits for Redis.
        if counts.get("connect", 0) or counts.get("timeout", 0):
            self.failures.append(f"wrk: {socket_errors}")
        if not text:
            self.failures.append("wrk gave no report")
        statuses = {}
        for l in text.splitlines():
            parts = l.split()
            if len(parts) == 4 and parts[0] == "status":
                statuses[(parts[1], parts[2])] = int(parts[3])
        by_name = ", ".join(f"{name} {code}: {n}" for (name, code), n in sorted(statuses.items()))
        # Only the health endpoint may answer other than 200: 503 while Redis is down or a
        # group is stalled (the control streams' idle groups stall after --lag.stall-after, 5m).
        wrong = {k: n for k, n in statuses.items() if k[1] != "200" and not (k[0] == "health" and k[1] == "503")}
        if wrong:
            self.failures.append(f"wrk got unexpected statuses: {wrong}")
        if text and not statuses:
            self.failures.append("wrk printed no statuses")
        return (f"wrk: {requests} requests ({rate}/s), p99 {p99}, non-2xx {non2xx}; by request: {by_name}; "
                f"{socket_errors or 'no socket errors'}")

    def write_outputs(self):
        with open(os.path.join(self.out, "samples.csv"), "w", newline="") as f:
            w = csv.DictWriter(f, fieldnames=["seconds", "rss_kib", "fds", "threads", "load1", "redis_up", "event"])
            w.writeheader()
            w.writerows(self.samples)
        with open(os.path.join(self.out, "restarts.csv"), "w") as f:
            f.write("down_seconds,up_seconds,kind\n")
            for down, up, kind in self.restarts:
                f.write(f"{down:.1f},{'' if up is None else f'{up:.1f}'},{kind}\n")
        with open(os.path.join(self.out, "mismatches.csv"), "w") as f:
            f.write("seconds,check,problem\n")
            for when, k, p in self.mismatches:
                f.write(f"{when},{k},\"{p}\"\n")

    def plot(self, png):
        if not shutil.which("gnuplot"):
            say("gnuplot not found: no PNG")
            return
        arrows = "\n".join(
            f'set arrow from {down / 60:.3f}, graph 0 to {down / 60:.3f}, graph 1 nohead lc rgb "#d62728" dt 2 lw 1'
            for down, _, _ in self.restarts)
        data = os.path.join(self.out, "samples.csv")
        minutes = self.seconds / 60
        script = f"""
set terminal pngcairo size 900,640 font ",9"
set output "{png}"
set datafile separator ","
set key off
set grid
set xrange [0:{minutes:g}]
set multiplot layout 3,1 title "stream-lag-exporter soak: {minutes:g} min, {len(self.restarts)} Redis restarts (dashed red), {self.checks} checks, {len(self.mismatches)} mismatches"
{arrows}
set ylabel "RSS (MiB)"
set yrange [0:*]
set offsets 0, 0, graph 0.15, 0
plot "{data}" using ($1/60):($2/1024) skip 1 with lines lw 2 lc rgb "#1f77b4"
set ylabel "open fds"
plot "{data}" using ($1/60):3 skip 1 with lines lw 2 lc rgb "#2ca02c"
set ylabel "threads"
set xlabel "minutes"
plot "{data}" using ($1/60):4 skip 1 with lines lw 2 lc rgb "#9467bd"
unset multiplot
"""
        subprocess.run(["gnuplot"], input=script, text=True, check=True)


class RedisError(str):
    pass


WRK_SCRIPT = r"""
-- Every endpoint a dashboard or Prometheus uses, in turn, each connection pausing 20 ms between
-- requests: a steady scrape load (about 200 requests/s), not a benchmark. One connection per
-- thread, so a thread knows which request each response answers; the statuses by request are
-- printed at the end as "status <name> <code> <count>".
local requests = {
  {"metrics", "/metrics", {}},
  {"consumer-lag", "/api/v1/events/consumer-lag", {}},
  {"metrics-gzip", "/metrics", {["Accept-Encoding"] = "gzip"}},
  {"streams", "/api/v1/events/streams", {}},
  {"metrics-openmetrics", "/metrics", {["Accept"] = "application/openmetrics-text; version=1.0.0"}},
  {"health", "/api/v1/events/health", {}},
  {"ready", "/-/ready", {}},
}
local threads = {}
function setup(thread) table.insert(threads, thread) end
function init(args) statuses = {}; i = 0; last = "" end
function request()
  i = i % #requests + 1
  last = requests[i][1]
  return wrk.format("GET", requests[i][2], requests[i][3])
end
function response(status, headers, body)
  local key = last .. " " .. status
  statuses[key] = (statuses[key] or 0) + 1
end
function delay() return 20 end
function done(summary, latency, requests)
  local total = {}
  for _, t in ipairs(threads) do
    for k, v in pairs(t:get("statuses")) do total[k] = (total[k] or 0) + v end
  end
  for k, v in pairs(total) do io.write(string.format("status %s %d\n", k, v)) end
end
"""


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("minutes", type=float)
    parser.add_argument("--bin-dir", required=True)
    parser.add_argument("--out", required=True)
    parser.add_argument("--png", help="also copy the PNG here")
    args = parser.parse_args()
    soak = Soak(args.minutes, args.bin_dir, args.out)
    interrupted = False

    def on_signal(number, _frame):
        raise KeyboardInterrupt

    signal.signal(signal.SIGTERM, on_signal)
    try:
        soak.run()
    except KeyboardInterrupt:
        interrupted = True
        soak.failures.append("interrupted")
    except Exception as error:  # a broken setup is a failed soak, with whatever was measured
        soak.failures.append(f"soak aborted: {error}")
    finally:
        status = soak.shutdown()
    soak.write_outputs()
    png = os.path.join(args.out, "soak.png")
    if len(soak.samples) >= 2:
        soak.plot(png)
        if args.png:
            shutil.copyfile(png, args.png)
    lines = soak.verdict(status) if len(soak.samples) >= 2 else ["VERDICT: FAIL: " + "; ".join(soak.failures or ["no samples"])]
    with open(os.path.join(args.out, "summary.txt"), "w") as f:
        f.write("\n".join(lines) + "\n")
    print("\n".join(lines), flush=True)
    if interrupted or soak.failures:
        sys.exit(1)


if __name__ == "__main__":
    main()
