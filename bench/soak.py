#!/usr/bin/env python3
"""Soak: many concurrent login flows for a while; RSS must stay flat and errors at 0.

Usage: bench/soak.py [--binary target/release/fcmock] [--duration 600] [--concurrency 200]
                     [--config bench/soak.yaml] [--tolerance 0.15]

Starts fcmock with the auto_login bench client, runs `fcmock bench --url` at the
given concurrency, and samples the server's RSS every second. Every store
(sessions, interactions, codes, tokens, journal) is bounded, so once they are
full RSS levels off. Verdict: the median RSS over the last tenth of the run is
within `tolerance` (plus 2 MB) of the median over 40–50% of the run, and no
flow failed. Exit 1 otherwise. `--config` adds a configuration file (default:
bench/soak.yaml, small store capacities so that they fill within seconds).
"""
import argparse
import os
import statistics
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from measure import bench_argv, bench_while_sampling, free_port, start, stop  # noqa: E402

HERE = os.path.dirname(os.path.abspath(__file__))


def window(samples, lo, hi):
    n = len(samples)
    part = samples[int(n * lo):max(int(n * hi), int(n * lo) + 1)]
    return statistics.median(part)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--binary", default="target/release/fcmock")
    ap.add_argument("--duration", type=float, default=600.0)
    ap.add_argument("--concurrency", type=int, default=200)
    ap.add_argument("--config", action="append", default=None)
    ap.add_argument("--tolerance", type=float, default=0.15)
    a = ap.parse_args()
    configs = a.config or [os.path.join(HERE, "bench-client.yaml"), os.path.join(HERE, "soak.yaml")]

    port = free_port()
    base = f"http://127.0.0.1:{port}"
    argv = [a.binary, "--port", str(port)]
    for c in configs:
        argv += ["--config", c]
    proc, _ = start(argv, base + "/_fcmock/health")
    try:
        report, samples = bench_while_sampling(
            bench_argv(a.binary, base, a.concurrency, a.duration),
            proc.pid,
            interval=1.0,
        )
        alive = proc.poll() is None
    finally:
        stop(proc)

    errors = sum(report["errors"].values())
    mb = [s / 1e6 for s in samples]
    mid, end, peak = window(mb, 0.4, 0.5), window(mb, 0.9, 1.0), max(mb)
    flat = end <= mid * (1 + a.tolerance) + 2
    print(f"soak: {report['flows']} flows in {report['seconds']:.0f} s at concurrency {a.concurrency} "
          f"({report['flows_per_second']:.0f} flows/s), {errors} errors {report['errors'] or ''}")
    print(f"RSS: start {mb[0]:.1f} MB, 40-50% {mid:.1f} MB, last 10% {end:.1f} MB, peak {peak:.1f} MB "
          f"({len(mb)} samples) -> {'flat' if flat else 'GROWING'}")
    print("RSS trace (MB, one per tenth of the run): "
          + " ".join(f"{window(mb, i / 10, (i + 1) / 10):.1f}" for i in range(10)))
    ok = flat and errors == 0 and alive and report["flows"] > 0
    if not alive:
        print("the server died during the run")
    print("PASS" if ok else "FAIL")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
