#!/usr/bin/env python3
"""fcmock side by side with a peer mock (axa's oauth2-mock-server, from npm).

Usage: bench/compare.py FCMOCK_BINARY PEER_BIN_JS [--duration S] [--concurrency C] [--runs N]
Normally run through bench/compare.sh, which builds fcmock and installs the peer.

Both servers get the same load from the same generator (`fcmock bench --url`):
authorize → code on the redirect → token → verify the id_token on the JWKS →
userinfo (verified when signed). fcmock runs its full FranceConnect hub with an
auto_login client; the peer issues codes without a login page. The load
generator shares the machine with the server under test, as in a CI job.
"""
import argparse
import os
import statistics
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from measure import bench_argv, bench_while_sampling, free_port, start, startup, stop, summary  # noqa: E402

HERE = os.path.dirname(os.path.abspath(__file__))


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("fcmock")
    ap.add_argument("peer_js")
    ap.add_argument("--duration", type=float, default=10.0)
    ap.add_argument("--concurrency", type=int, default=32)
    ap.add_argument("--runs", type=int, default=3, help="load runs per server (median reported)")
    ap.add_argument("--starts", type=int, default=5, help="cold starts per server")
    a = ap.parse_args()

    servers = {
        "fcmock": {
            "argv": lambda port: [a.fcmock, "--port", str(port), "--config", os.path.join(HERE, "bench-client.yaml")],
            "ready": "/_fcmock/health",
            "discovery": "/api/v2/.well-known/openid-configuration",
        },
        "oauth2-mock-server": {
            "argv": lambda port: ["node", a.peer_js, "-a", "127.0.0.1", "-p", str(port)],
            "ready": "/.well-known/openid-configuration",
            "discovery": "/.well-known/openid-configuration",
        },
    }
    results = {}
    for name, s in servers.items():
        print(f"== {name}: {a.starts} cold starts", flush=True)
        ready_ms, idle = startup(s["argv"], s["ready"], a.starts, settle=1.0, warm_requests=20)
        print(f"   start to ready {summary(ready_ms, ' ms')}; idle RSS {summary(idle, ' MB', scale=1e6)}")
        rates, loaded, errors = [], [], 0
        for run in range(a.runs):
            port = free_port()
            base = f"http://127.0.0.1:{port}"
            proc, _ = start(s["argv"](port), base + s["ready"])
            try:
                report, rss = bench_while_sampling(
                    bench_argv(a.fcmock, base, a.concurrency, a.duration, base + s["discovery"]),
                    proc.pid,
                )
            finally:
                stop(proc)
            errs = sum(report["errors"].values())
            errors += errs
            rates.append(report["flows_per_second"])
            loaded.append(max(rss) if rss else 0)
            print(f"   load run {run + 1}: {report['flows_per_second']:.0f} flows/s, {errs} errors, "
                  f"flow p50 {report['latency'].get('flow', {}).get('p50_us', 0) / 1000:.1f} ms, "
                  f"peak RSS {max(rss) / 1e6 if rss else 0:.1f} MB", flush=True)
        results[name] = {
            "ready_ms": statistics.median(ready_ms),
            "idle_mb": statistics.median(idle) / 1e6,
            "flows_s": statistics.median(rates),
            "loaded_mb": statistics.median(loaded) / 1e6,
            "errors": errors,
        }

    f, p = results["fcmock"], results["oauth2-mock-server"]
    print()
    print(f"{'':24} {'fcmock':>14} {'oauth2-mock-server':>20} {'ratio':>8}")
    rows = [
        ("flows/s (median)", "flows_s", "{:.0f}", f["flows_s"] / p["flows_s"] if p["flows_s"] else float("inf")),
        ("start to ready, ms", "ready_ms", "{:.1f}", p["ready_ms"] / f["ready_ms"]),
        ("idle RSS, MB", "idle_mb", "{:.1f}", p["idle_mb"] / f["idle_mb"]),
        ("RSS under load, MB", "loaded_mb", "{:.1f}", p["loaded_mb"] / f["loaded_mb"]),
        ("errors", "errors", "{:d}", None),
    ]
    for label, key, fmt, ratio in rows:
        r = f"{ratio:.1f}x" if ratio is not None else ""
        print(f"{label:24} {fmt.format(f[key]):>14} {fmt.format(p[key]):>20} {r:>8}")
    print(f"(ratios: how many times better fcmock is; concurrency {a.concurrency}, "
          f"{a.duration:g} s per load run, {a.runs} runs, {a.starts} cold starts)")
    return 1 if f["errors"] or p["errors"] else 0


if __name__ == "__main__":
    sys.exit(main())
