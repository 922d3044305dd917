#!/usr/bin/env python3
"""Process measurements shared by the benchmark scripts: start-to-ready time,
resident memory of a process tree, and `fcmock bench` runs while sampling RSS.

Used by bench/startup.py, bench/compare.py and bench/soak.py; standard library only.
"""
import json
import os
import socket
import statistics
import subprocess
import threading
import time
import urllib.request


# The auto_login client of bench/bench-client.yaml.
BENCH_CLIENT = "0000bench0000bench0000bench0000bench0000bench0000bench0000bench0"
BENCH_SECRET = "bench-secret-0123456789abcdef0123456789abcdef0123456789"


def bench_argv(fcmock, base, concurrency, duration, discovery=None):
    """`fcmock bench` against the server at `base`, logging in as the bench client."""
    argv = [fcmock, "bench", "--json", "--url", base, "--auto-login",
            "--client-id", BENCH_CLIENT, "--client-secret", BENCH_SECRET,
            "-c", str(concurrency), "-d", str(duration)]
    if discovery:
        argv += ["--discovery", discovery]
    return argv


def free_port():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


def tree_pids(pid):
    """pid and all its descendants (a wrapper script may spawn the server)."""
    children = {}
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat") as f:
                ppid = int(f.read().rsplit(")", 1)[1].split()[1])
        except (OSError, IndexError, ValueError):
            continue
        children.setdefault(ppid, []).append(int(entry))
    out, todo = [], [pid]
    while todo:
        p = todo.pop()
        out.append(p)
        todo.extend(children.get(p, []))
    return out


def rss_bytes(pid):
    """Resident set of the process tree, bytes (VmRSS summed)."""
    total = 0
    for p in tree_pids(pid):
        try:
            with open(f"/proc/{p}/status") as f:
                total += 1024 * sum(int(l.split()[1]) for l in f if l.startswith("VmRSS:"))
        except OSError:
            pass
    return total


def start(argv, ready_url, timeout=30.0, env=None):
    """Spawns argv and waits until ready_url answers 200.
    Returns (process, milliseconds from spawn to the first 200)."""
    t0 = time.perf_counter()
    proc = subprocess.Popen(argv, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env=env)
    while True:
        try:
            with urllib.request.urlopen(ready_url, timeout=1) as r:
                if r.status == 200:
                    return proc, (time.perf_counter() - t0) * 1000
        except OSError:
            time.sleep(0.001)
        if proc.poll() is not None:
            raise RuntimeError(f"{argv[0]} exited with {proc.returncode} before being ready")
        if time.perf_counter() - t0 > timeout:
            proc.kill()
            raise RuntimeError(f"{argv[0]} not ready in {timeout} s ({ready_url})")


def stop(proc):
    proc.terminate()
    try:
        proc.wait(timeout=10)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()


def startup(argv_for_port, ready_path, runs, settle=1.0, warm_requests=0):
    """Start-to-ready (ms) and idle RSS (bytes) over `runs` cold starts.
    argv_for_port(port) gives the command; RSS is read `settle` seconds after
    `warm_requests` requests to the ready URL."""
    ready_ms, rss = [], []
    for _ in range(runs):
        port = free_port()
        url = f"http://127.0.0.1:{port}{ready_path}"
        proc, ms = start(argv_for_port(port), url)
        for _ in range(warm_requests):
            urllib.request.urlopen(url, timeout=5).read()
        time.sleep(settle)
        rss.append(rss_bytes(proc.pid))
        stop(proc)
        ready_ms.append(ms)
    return ready_ms, rss


def bench_while_sampling(bench_argv, server_pid, interval=0.25):
    """Runs `fcmock bench … --json` and samples the server's RSS meanwhile.
    Returns (the JSON report, list of RSS samples in bytes)."""
    samples, done = [], threading.Event()

    def sample():
        while not done.is_set():
            samples.append(rss_bytes(server_pid))
            done.wait(interval)

    t = threading.Thread(target=sample, daemon=True)
    t.start()
    try:
        out = subprocess.run(bench_argv, capture_output=True, text=True, check=False)
    finally:
        done.set()
        t.join()
    lines = [l for l in out.stdout.splitlines() if l.startswith("{")]
    if not lines:
        raise RuntimeError(f"bench printed no JSON line: {out.stderr.strip()[:500]}")
    return json.loads(lines[-1]), samples


def summary(values, unit="", scale=1.0, digits=1):
    v = [x / scale for x in values]
    return f"median {statistics.median(v):.{digits}f}{unit} (min {min(v):.{digits}f}, max {max(v):.{digits}f})"
