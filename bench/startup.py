#!/usr/bin/env python3
"""Start-to-ready time and idle RSS of fcmock (release build), median of N runs.

Usage: bench/startup.py [BINARY] [RUNS]
Ready means /_fcmock/health answers 200; RSS is read from /proc one second later.
"""
import socket
import statistics
import subprocess
import sys
import time
import urllib.request

binary = sys.argv[1] if len(sys.argv) > 1 else "target/release/fcmock"
runs = int(sys.argv[2]) if len(sys.argv) > 2 else 5


def free_port():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


ready_ms, rss_kb = [], []
for _ in range(runs):
    port = free_port()
    t0 = time.perf_counter()
    proc = subprocess.Popen([binary, "--port", str(port)], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    url = f"http://127.0.0.1:{port}/_fcmock/health"
    while True:
        try:
            with urllib.request.urlopen(url, timeout=1) as r:
                if r.status == 200:
                    break
        except OSError:
            time.sleep(0.001)
        if time.perf_counter() - t0 > 30:
            sys.exit("fcmock did not become ready in 30 s")
    ready_ms.append((time.perf_counter() - t0) * 1000)
    time.sleep(1)
    with open(f"/proc/{proc.pid}/status") as f:
        rss_kb += [int(l.split()[1]) for l in f if l.startswith("VmRSS:")]
    proc.terminate()
    proc.wait()

print(f"start to ready: median {statistics.median(ready_ms):.1f} ms (min {min(ready_ms):.1f}, max {max(ready_ms):.1f}) over {runs} runs")
print(f"idle RSS: median {statistics.median(rss_kb) / 1024:.1f} MiB (min {min(rss_kb) / 1024:.1f}, max {max(rss_kb) / 1024:.1f})")
