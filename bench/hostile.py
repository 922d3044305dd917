#!/usr/bin/env python3
"""Memory under hostile traffic: what unauthenticated requests can make fcmock hold.

Usage: bench/hostile.py [BINARY] [REQUESTS]

Sends REQUESTS (default 12,000) requests, each with a 60 KB header and a
60 KB form body, alternating an unknown path under /api/v2 (journaled) and
an authorize with a 40 KB state (which creates a session and an interaction),
from 8 threads. Prints the server's RSS before and after, the largest RSS
seen, and the size of one GET /_fcmock/api/journal afterwards.
"""
import os
import sys
import threading
import time
import http.client
import urllib.parse

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from measure import free_port, rss_bytes, start  # noqa: E402

binary = sys.argv[1] if len(sys.argv) > 1 else "target/release/fcmock"
total = int(sys.argv[2]) if len(sys.argv) > 2 else 12_000
CLIENT = "6d2f1a3c9e8b47d5a0c4e2f19b7d3a5c8e1f0b2d4c6a8e0f1a3b5c7d9e2f4a6b"

port = free_port()
proc, _ = start([binary, "--port", str(port)], f"http://127.0.0.1:{port}/_fcmock/health")
before = rss_bytes(proc.pid)
peak = [before]
stop = threading.Event()


def sample():
    while not stop.is_set():
        peak[0] = max(peak[0], rss_bytes(proc.pid))
        time.sleep(0.2)


def worker(n, offset):
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    header = "h" * 60_000
    body = "b=" + "x" * 60_000
    state = "s" * 40_000
    for i in range(n):
        if (i + offset) % 2 == 0:
            path = f"/api/v2/nowhere-{i}"
        else:
            q = urllib.parse.urlencode({
                "client_id": CLIENT, "redirect_uri": "http://localhost:3000/callback",
                "response_type": "code", "scope": "openid identite_pivot",
                "acr_values": "eidas1", "nonce": "n" * 32, "state": f"{offset}-{i}-{state}"})
            path = f"/api/v2/authorize?{q}"
        try:
            conn.request("POST" if (i + offset) % 2 == 0 else "GET", path,
                         body=body if (i + offset) % 2 == 0 else None,
                         headers={"X-Padding": header, "Content-Type": "application/x-www-form-urlencoded"})
            conn.getresponse().read()
        except (OSError, http.client.HTTPException):
            conn.close()
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)


sampler = threading.Thread(target=sample)
sampler.start()
t0 = time.perf_counter()
threads = [threading.Thread(target=worker, args=(total // 8, k)) for k in range(8)]
for t in threads:
    t.start()
for t in threads:
    t.join()
elapsed = time.perf_counter() - t0
time.sleep(0.5)
after = rss_bytes(proc.pid)
conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
conn.request("GET", "/_fcmock/api/journal")
journal = len(conn.getresponse().read())
stop.set()
sampler.join()
proc.terminate()
proc.wait()
mb = 1e6
print(f"{total} hostile requests in {elapsed:.1f} s: RSS {before / mb:.1f} MB before, "
      f"{after / mb:.1f} MB after, peak {peak[0] / mb:.1f} MB; GET /journal afterwards: {journal / mb:.1f} MB")
