#!/usr/bin/env bash
# CPU cost per flow on each side: the server pinned to core 0, the load
# generator (`fcmock bench --url`) to core 1, 8 seconds at concurrency 32.
#
#   bench/pinned.sh [SERVER_BINARY]          # fcmock (default target/release/fcmock)
#   bench/pinned.sh --peer PEER_BIN_JS       # axa's oauth2-mock-server under node
#
# Prints flows/s, the CPU time (user + system) per flow of each process and
# the flows' p99 latency.
#
# The generator checks both signatures of every flow, which costs it more
# CPU per flow than the server, so the server's core is not saturated and
# flows/s is the generator's. VERIFY_EVERY=16 checks signatures on one flow
# in 16 per worker (claims on all): the generator then keeps the server's
# core busy and flows/s is what that core serves. CONCURRENCY (default 32)
# sets the generator's concurrent flows: at 32 the server's core still idles
# ~5% of the time; 64 keeps it fully busy (and queues, so p99 grows).
set -euo pipefail
cd "$(dirname "$0")/.."
GEN=${FCMOCK_BIN:-target/release/fcmock}
PORT=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
if [ "${1:-}" = "--peer" ]; then
    taskset -c 0 node "$2" -a 127.0.0.1 -p "$PORT" >/dev/null 2>&1 &
    DISCOVERY=http://127.0.0.1:$PORT/.well-known/openid-configuration
else
    taskset -c 0 "${1:-target/release/fcmock}" --port "$PORT" --config bench/bench-client.yaml >/dev/null 2>&1 &
    DISCOVERY=http://127.0.0.1:$PORT/api/v2/.well-known/openid-configuration
fi
SERVER=$!
trap 'kill $SERVER 2>/dev/null || true' EXIT
for _ in $(seq 100); do curl -fs "$DISCOVERY" >/dev/null 2>&1 && break; sleep 0.05; done
ticks() { awk '{print $14 + $15}' "/proc/$1/stat"; }
HZ=$(getconf CLK_TCK)
before=$(ticks $SERVER)
out=$( { /usr/bin/time -f "GEN_CPU %U %S" taskset -c 1 "$GEN" bench --json --url "http://127.0.0.1:$PORT" \
    --discovery "$DISCOVERY" --auto-login \
    --client-id 0000bench0000bench0000bench0000bench0000bench0000bench0000bench0 \
    --client-secret bench-secret-0123456789abcdef0123456789abcdef0123456789 -c "${CONCURRENCY:-32}" -d 8 \
    --verify-every "${VERIFY_EVERY:-1}"; } 2>&1)
after=$(ticks $SERVER)
python3 - "$out" "$((after - before))" "$HZ" <<'PY'
import json, sys
out, server_ticks, hz = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
report = json.loads([l for l in out.splitlines() if l.startswith("{")][-1])
u, s = [float(x) for x in [l for l in out.splitlines() if l.startswith("GEN_CPU")][-1].split()[1:]]
flows = report["flows"]
p99 = report["latency"]["flow"]["p99_us"] / 1000
print(f"{report['flows_per_second']:.0f} flows/s, {sum(report['errors'].values())} errors; "
      f"server {server_ticks / hz / flows * 1e6:.0f} us CPU per flow, "
      f"load generator {(u + s) / flows * 1e6:.0f} us CPU per flow; flow p99 {p99:.1f} ms")
PY
