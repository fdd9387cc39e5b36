#!/usr/bin/env python3
"""Usage: [CDP_WIDTH=px] cdp-watch.py URL SECONDS EXPRESSION [CHROMIUM]

Opens URL in headless Chromium and, over the DevTools protocol (--remote-debugging-pipe: JSON
messages ending in NUL on fds 3 and 4, no library needed), evaluates EXPRESSION in the page
every 100 ms for SECONDS, printing one JSON line per evaluation: {"t": epoch_ms, "value": ...}.
Chromium is stopped by its pid at the end. Used by the status page test to see the page change
without a reload while the exporter's data changes.
"""
import json
import os
import subprocess
import sys
import tempfile
import time

url, seconds, expression = sys.argv[1], float(sys.argv[2]), sys.argv[3]
binary = sys.argv[4] if len(sys.argv) > 4 else "chromium"
to_chrome_r, to_chrome_w = os.pipe()
from_chrome_r, from_chrome_w = os.pipe()
profile = tempfile.mkdtemp(prefix="cdp-watch.")
# Chromium reads commands on fd 3 and writes replies on fd 4.
proc = subprocess.Popen(
    [binary, "--headless", "--no-sandbox", "--disable-gpu", "--remote-debugging-pipe", "--user-data-dir=" + profile,
     "--no-first-run", "--window-size=%s,800" % os.environ.get("CDP_WIDTH", "1000"), url],
    close_fds=False, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    preexec_fn=lambda: (os.dup2(to_chrome_r, 103), os.dup2(from_chrome_w, 104), os.dup2(103, 3), os.dup2(104, 4)))
os.close(to_chrome_r)
os.close(from_chrome_w)
buffer = b""
next_id = 0


def send(method, params=None, session=None):
    global next_id
    next_id += 1
    message = {"id": next_id, "method": method, "params": params or {}}
    if session:
        message["sessionId"] = session
    os.write(to_chrome_w, json.dumps(message).encode() + b"\0")
    return next_id


def receive(wanted):
    global buffer
    deadline = time.time() + 10
    while time.time() < deadline:
        while b"\0" in buffer:
            raw, buffer = buffer.split(b"\0", 1)
            message = json.loads(raw)
            if message.get("id") == wanted:
                return message
        chunk = os.read(from_chrome_r, 65536)
        if not chunk:
            break
        buffer += chunk
    raise SystemExit("cdp-watch: no reply to message %d" % wanted)


try:
    page = None
    for _ in range(50):
        targets = receive(send("Target.getTargets"))["result"]["targetInfos"]
        page = next((t for t in targets if t["type"] == "page"), None)
        if page:
            break
        time.sleep(0.1)
    if not page:
        raise SystemExit("cdp-watch: no page")
    session = receive(send("Target.attachToTarget", {"targetId": page["targetId"], "flatten": True}))["result"]["sessionId"]
    if os.environ.get("CDP_WIDTH"):
        # A phone: headless windows are at least 500 px wide, so the viewport is emulated.
        receive(send("Emulation.setDeviceMetricsOverride", {"width": int(os.environ["CDP_WIDTH"]), "height": 800,
                                                          "deviceScaleFactor": 2, "mobile": True}, session))
    end = time.time() + seconds
    while time.time() < end:
        reply = receive(send("Runtime.evaluate", {"expression": expression, "returnByValue": True}, session))
        value = reply.get("result", {}).get("result", {}).get("value")
        print(json.dumps({"t": int(time.time() * 1000), "value": value}), flush=True)
        time.sleep(0.1)
finally:
    proc.terminate()
    try:
        proc.wait(timeout=10)
    except subprocess.TimeoutExpired:
        proc.kill()
    subprocess.run(["rm", "-rf", profile])
