#!/usr/bin/env bash
# fcmock against a peer mock, same load, one run: flows/s and their ratio,
# start to ready, idle and loaded RSS.
#
#   bench/compare.sh [--duration S] [--concurrency C] [--runs N] [--starts N]
#   FCMOCK_BIN=target/x86_64-unknown-linux-musl/release/fcmock bench/compare.sh   # another build
#
# Builds fcmock in release mode, installs axa's oauth2-mock-server from the npm
# registry into target/peers (pinned version), then runs bench/compare.py.
# Needs cargo, node + npm and python3.
set -euo pipefail
cd "$(dirname "$0")/.."

PEER_VERSION=8.2.3
PEER_DIR=target/peers/oauth2-mock-server-$PEER_VERSION

if [ -z "${FCMOCK_BIN:-}" ]; then
    cargo build --release --locked --quiet
    FCMOCK_BIN=target/release/fcmock
fi
if [ ! -x "$PEER_DIR/node_modules/.bin/oauth2-mock-server" ]; then
    mkdir -p "$PEER_DIR"
    npm install --silent --no-audit --no-fund --prefix "$PEER_DIR" "oauth2-mock-server@$PEER_VERSION" >/dev/null
fi
# The peer's own entry point, run by node directly (no npx wrapper in the RSS).
PEER_JS=$(readlink -f "$PEER_DIR/node_modules/.bin/oauth2-mock-server")
exec python3 bench/compare.py "$FCMOCK_BIN" "$PEER_JS" "$@"
