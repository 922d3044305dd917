#!/usr/bin/env python3
"""Start-to-ready time and idle RSS of fcmock (release build), median of N runs.

Usage: bench/startup.py [BINARY] [RUNS] [CONFIG]
Ready means /_fcmock/health answers 200; RSS is read from /proc one second later.
CONFIG (optional) is passed as --config, e.g. a file of 100,000 generated personas:
  target/release/fcmock personas generate --count 100000 --seed 1 --out /tmp/p100k.yaml
  bench/startup.py target/release/fcmock 3 /tmp/p100k.yaml
"""
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from measure import startup, summary  # noqa: E402

binary = sys.argv[1] if len(sys.argv) > 1 else "target/release/fcmock"
runs = int(sys.argv[2]) if len(sys.argv) > 2 else 5
extra = ["--config", sys.argv[3]] if len(sys.argv) > 3 else []

ready_ms, rss = startup(lambda port: [binary, "--port", str(port)] + extra, "/_fcmock/health", runs)
print(f"start to ready: {summary(ready_ms, ' ms')} over {runs} runs")
print(f"idle RSS: {summary(rss, ' MB', scale=1e6)}  [{summary(rss, ' MiB', scale=1 << 20)}]")
