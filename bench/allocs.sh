#!/usr/bin/env bash
# Heap allocations per headless flow on the server: a uprobe on glibc's
# malloc counts every call while `fcmock bench --url` runs flows against a
# server pinned to core 0 (needs perf and the right to add uprobes: root).
#
#   bench/allocs.sh [SERVER_BINARY]     # default target/release/fcmock
#
# Prints flows, mallocs and mallocs per flow (the count includes the few
# connections the load generator opens).
set -euo pipefail
cd "$(dirname "$0")/.."
BIN=${1:-target/release/fcmock}
GEN=${FCMOCK_BIN:-target/release/fcmock}
LIBC=$(ldconfig -p | awk '/libc\.so\.6 .*x86-64/ {print $NF; exit}')
PORT=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
perf probe -q -x "$LIBC" malloc
trap 'kill $SERVER 2>/dev/null || true; perf probe -q -d "probe_libc:malloc" || true' EXIT
taskset -c 0 "$BIN" --port "$PORT" --config bench/bench-client.yaml >/dev/null 2>&1 &
SERVER=$!
DISCOVERY=http://127.0.0.1:$PORT/api/v2/.well-known/openid-configuration
for _ in $(seq 100); do curl -fs "$DISCOVERY" >/dev/null 2>&1 && break; sleep 0.05; done
perf stat -x, -e probe_libc:malloc -p "$SERVER" -o /tmp/fcmock-allocs.$$ -- sleep 2 &
STAT=$!
sleep 0.1
flows=$(taskset -c 1 "$GEN" bench --json --url "http://127.0.0.1:$PORT" --discovery "$DISCOVERY" --auto-login \
    --client-id 0000bench0000bench0000bench0000bench0000bench0000bench0000bench0 \
    --client-secret bench-secret-0123456789abcdef0123456789abcdef0123456789 -c 4 -d 1 |
    python3 -c 'import json, sys; print(json.load(sys.stdin)["flows"])')
wait $STAT
mallocs=$(awk -F, '/probe_libc:malloc/ {print $1}' /tmp/fcmock-allocs.$$)
rm -f /tmp/fcmock-allocs.$$
echo "$flows flows, $mallocs mallocs, $((mallocs / flows)) per flow"
