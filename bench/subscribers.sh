#!/usr/bin/env bash
# Subscription fan-out on PostgreSQL with several servers: bench/subscribers.sh
# (from anywhere). See bench/README.md, "Subscribers".
#
# For each count in SUBSCRIBERS: a fresh pair of `twinning serve` processes
# on one fresh PostgreSQL database, the subscribers spread over both (each
# server's WebSockets in turn), the mutations written through the first, every
# subscription selecting the changed `record` (bench/subscribers.mjs
# --with-record): median/p99 delivery and each server's memory.
#
# Environment (all optional):
#   SUBSCRIBERS="1000 10000"   the counts, one run each (servers restarted between)
#   MUTATIONS=200              sequential createCity mutations per run
#   SERVERS=2                  servers on the database (1: every subscriber on one)
#   WITH_RECORD=1              select `record` in the subscription (0: not)
#   PG_URL=postgres://postgres@127.0.0.1:5432   the PostgreSQL server
#   TWINNING=path              the binary (default target/release/twinning, built unless SKIP_BUILD=1)
set -euo pipefail

cd "$(dirname "${BASH_SOURCE[0]}")/.."
ROOT=$PWD
SUBSCRIBERS=${SUBSCRIBERS:-"1000 10000"}
MUTATIONS=${MUTATIONS:-200}
SERVERS=${SERVERS:-2}
WITH_RECORD=${WITH_RECORD:-1}
PG_URL=${PG_URL:-postgres://postgres@127.0.0.1:5432}
TWINNING=${TWINNING:-$ROOT/target/release/twinning}
DB=twinning_subs_$$
RUN=$ROOT/bench/out/subs-$(date -u +%Y%m%dT%H%M%SZ)
mkdir -p "$RUN"
PIDS=()

log() { printf '%s %s\n' "$(date -u +%H:%M:%S)" "$*" >&2; }
die() { log "error: $*"; exit 1; }

stop_servers() {
  local pid
  for pid in "${PIDS[@]}"; do
    kill -TERM "$pid" 2>/dev/null || true
    wait "$pid" 2>/dev/null || true
  done
  PIDS=()
}
cleanup() {
  local status=$?
  stop_servers
  psql "$PG_URL/postgres" -qAtc "DROP DATABASE IF EXISTS $DB WITH (FORCE)" >/dev/null 2>&1 || true
  exit "$status"
}
trap cleanup EXIT
trap 'exit 130' INT TERM HUP

for tool in node psql curl; do command -v "$tool" >/dev/null || die "$tool is missing"; done
if [ -z "${SKIP_BUILD:-}" ] && [ "$TWINNING" = "$ROOT/target/release/twinning" ]; then
  log "cargo build --release --bin twinning"
  cargo build --release --bin twinning >&2
fi
[ -x "$TWINNING" ] || die "no binary at $TWINNING"
[ -d tests/clients/node_modules/ws ] || (cd tests/clients && npm ci --no-audit --no-fund >&2)
# One descriptor per WebSocket, in the servers and in the client.
ulimit -n "$(ulimit -Hn)"

free_port() {
  python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

psql "$PG_URL/postgres" -qAtc "CREATE DATABASE $DB" >/dev/null
export DATABASE_URL=$PG_URL/$DB
"$TWINNING" migrate up >"$RUN/migrate.log" 2>&1 || die "migration failed; see $RUN/migrate.log"
KEY=$("$TWINNING" keys create --name subscribers --role editor 2>/dev/null)

flag=()
[ "$WITH_RECORD" = 1 ] && flag=(--with-record)
for n in $SUBSCRIBERS; do
  urls=()
  args=()
  for i in $(seq 1 "$SERVERS"); do
    port=$(free_port)
    "$TWINNING" serve --listen "127.0.0.1:$port" --example-data=false --rate-limits=false \
      --ws-max-connections $((n + 100)) >>"$RUN/server-$n-$i.log" 2>&1 &
    PIDS+=($!)
    urls+=("http://127.0.0.1:$port")
    args+=(--subscribe-url "http://127.0.0.1:$port" --pid "$!")
    for _ in $(seq 1 500); do
      curl -fsS -o /dev/null "http://127.0.0.1:$port/ready" 2>/dev/null && break
      kill -0 "${PIDS[-1]}" 2>/dev/null || die "a server exited; see $RUN/server-$n-$i.log"
      sleep 0.02
    done
  done
  log "$n subscribers over $SERVERS server(s), writes through the first"
  node bench/subscribers.mjs --url "${urls[0]}" --key "$KEY" --subscribers "$n" \
    --mutations "$MUTATIONS" "${flag[@]}" "${args[@]}" | tee "$RUN/subscribers-$n.txt"
  stop_servers
done
log "raw outputs: ${RUN#"$ROOT"/}"
