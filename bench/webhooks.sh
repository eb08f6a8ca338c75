#!/usr/bin/env bash
# Webhook figures: deliveries per second to one fast local receiver, and the
# outbox's lag under Q6's write load. See bench/README.md, "Webhooks".
#
# 1. a fresh database (SQLite file or PostgreSQL database) with the bench
#    data set imported (bench/out/data-$SCALE.json, generated once as
#    bench/run does), an admin and an editor key;
# 2. one receiver on 127.0.0.1 (bench/webhook_receiver.py): answers 204 at
#    once, counts deliveries, and for each the lag from the change set's
#    time (the body's `timestamp`) to its arrival;
# 3. `twinning serve` with --webhook-allow-http --webhook-allow-private and
#    one endpoint, registered through the API;
# 4. drain: the receiver holds the first delivery unanswered (one endpoint's
#    deliveries go one at a time) while BACKLOG_SECS of Q6 load (wrk,
#    bench/q6.lua) fill the outbox; then it answers; once the outbox is
#    empty (`twinning_webhook_outbox_depth` on /metrics reads 0, a gauge
#    the worker refreshes every second, also while it sends), the
#    deliveries the receiver counted over the time from the release to the
#    last one's answer give deliveries/s;
# 5. lag: DURATION s of Q6 load with the endpoint enabled, sampling
#    `twinning_webhook_outbox_depth` and `…_oldest_pending_seconds` every
#    0.5 s; then the receiver's lag percentiles for that load.
#
# Environment (all optional):
#   TWINNING=target/release/twinning   the binary (build it with cargo build --release)
#   DATABASE=sqlite                    or postgres
#   PG_URL=postgres://postgres@127.0.0.1:5432
#   SCALE=5000                         the data set's scale (gen.py --scale)
#   BACKLOG_SECS=10  DURATION=30  CONCURRENCY=8  WRK_THREADS=2
set -euo pipefail

cd "$(dirname "${BASH_SOURCE[0]}")/.."
ROOT=$PWD
BENCH=$ROOT/bench
OUT=$BENCH/out
TWINNING=${TWINNING:-$ROOT/target/release/twinning}
DATABASE=${DATABASE:-sqlite}
PG_URL=${PG_URL:-postgres://postgres@127.0.0.1:5432}
SCALE=${SCALE:-5000}
BACKLOG_SECS=${BACKLOG_SECS:-10}
DURATION=${DURATION:-30}
CONCURRENCY=${CONCURRENCY:-8}
WRK_THREADS=${WRK_THREADS:-2}
DATA=$OUT/data-$SCALE.json
STAMP=$(date -u +%Y%m%dt%H%M%Sz)
RUN=$OUT/webhooks-${STAMP^^}
mkdir -p "$RUN"

log() { echo "$*" >&2; }
die() { log "webhooks.sh: $*"; exit 1; }
now_ms() { date +%s%3N; }
[ -x "$TWINNING" ] || die "no binary at $TWINNING (TWINNING=path, or cargo build --release)"
command -v wrk >/dev/null || die "needs wrk (apt-get install -y wrk)"

PIDS=()
PGDB=""
cleanup() {
  local pid
  for pid in "${PIDS[@]}"; do kill "$pid" 2>/dev/null || true; done
  for pid in "${PIDS[@]}"; do wait "$pid" 2>/dev/null || true; done
  [ -n "$PGDB" ] && psql "$PG_URL/postgres" -qc "DROP DATABASE IF EXISTS $PGDB" >/dev/null 2>&1 || true
}
trap cleanup EXIT

free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }

# ---------------------------------------------------------------- 1. data
if [ ! -s "$DATA" ]; then
  log "generating the scale-$SCALE data set"
  python3 "$ROOT/../shared/bench/gen.py" --scale "$SCALE" --seed 1 -o "$DATA.tmp" >&2
  mv "$DATA.tmp" "$DATA"
fi
case $DATABASE in
  sqlite) URL="sqlite://$RUN/webhooks.db?mode=rwc" ;;
  postgres)
    PGDB=twinning_webhooks_$$
    psql "$PG_URL/postgres" -qc "CREATE DATABASE $PGDB" >/dev/null
    URL=$PG_URL/$PGDB ;;
  *) die "DATABASE is sqlite or postgres, not $DATABASE" ;;
esac
export DATABASE_URL=$URL
t0=$(now_ms)
"$TWINNING" import "$DATA" >"$RUN/import.log" 2>&1 || die "import failed; see $RUN/import.log"
log "imported $DATA into $DATABASE in $(($(now_ms) - t0)) ms"
ADMIN=$("$TWINNING" keys create --name "webhooks-admin-$STAMP" --role admin 2>>"$RUN/keys.log")
EDITOR=$("$TWINNING" keys create --name "webhooks-editor-$STAMP" --role editor 2>>"$RUN/keys.log")

# ---------------------------------------------------------------- 2. receiver
RECEIVER_PORT=$(free_port)
python3 "$BENCH/webhook_receiver.py" "$RECEIVER_PORT" >"$RUN/receiver.log" 2>&1 &
PIDS+=($!)

# ---------------------------------------------------------------- 3. server
PORT=$(free_port)
SERVER=http://127.0.0.1:$PORT
"$TWINNING" serve --listen "127.0.0.1:$PORT" --example-data=false --rate-limits=false \
  --webhook-allow-http --webhook-allow-private --webhook-timeout-secs $((BACKLOG_SECS + 120)) \
  >"$RUN/server.log" 2>&1 &
PIDS+=($!)
for _ in $(seq 1 3000); do
  curl -fsS -o /dev/null "$SERVER/health" 2>/dev/null && break
  sleep 0.01
done
curl -fsS -o /dev/null "$SERVER/health" || die "the server did not start; see $RUN/server.log"
curl -fsS -o /dev/null "http://127.0.0.1:$RECEIVER_PORT/stats" || die "no receiver; see $RUN/receiver.log"

gql() { # QUERY-JSON-BODY: as the admin
  curl -fsS "$SERVER/graphql" -H "Authorization: Bearer $ADMIN" -H 'content-type: application/json' -d "$1"
}
gql "{\"query\":\"mutation { createWebhook(input: { url: \\\"http://127.0.0.1:$RECEIVER_PORT/hook\\\", description: \\\"bench\\\" }) { webhook { id } userErrors { message } } }\"}" |
  grep -q '"userErrors":\[\]' || die "could not register the endpoint"
metric() { curl -fsS "$SERVER/metrics" | awk -v m="$1" '$1 == m { print $2 }'; }
receiver() { curl -fsS "http://127.0.0.1:$RECEIVER_PORT/$1"; }

# Q6's load, as bench/run makes it: its pool of cities, topics and
# partnerships, and per run the data of bench/q6.lua.
python3 "$BENCH/bench.py" q6-pool "$DATA" "$RUN/q6-pool.json"
q6_load() { # TAG SECONDS: Q6 under wrk; prints its requests per second
  local data=$RUN/q6-$1.lua
  BENCH_AUTH=$EDITOR python3 "$BENCH/bench.py" q6-lua "$RUN/q6-pool.json" \
    "$BENCH/queries/q6.graphql" "$SERVER/graphql" "$STAMP-$1" "$WRK_THREADS" >"$data"
  BENCH_Q6_DATA=$data BENCH_AUTH=$EDITOR BENCH_THREADS=$WRK_THREADS \
    wrk -t "$WRK_THREADS" -c "$CONCURRENCY" -d "${2}s" -s "$BENCH/q6.lua" "$SERVER/graphql" \
    >"$RUN/wrk-$1.txt" 2>&1 || die "wrk failed; see $RUN/wrk-$1.txt"
  awk '/^Requests\/sec/ { print $2 }' "$RUN/wrk-$1.txt"
}
wait_drained() { # waits until the outbox is empty (at most 10 min)
  # Two readings of 0 a refresh apart: the gauge is read every second.
  local zero=0
  for _ in $(seq 1 12000); do
    if [ "$(metric twinning_webhook_outbox_depth)" = 0 ]; then
      zero=$((zero + 1))
      [ "$zero" -ge 2 ] && return
      sleep 1.1
    else
      zero=0
      sleep 0.05
    fi
  done
  die "the outbox did not drain in 10 minutes"
}

# ---------------------------------------------------------------- 4. drain
receiver hold >/dev/null
q6_load backlog "$BACKLOG_SECS" >/dev/null
sleep 1.5 # a fresh reading of the gauge
BACKLOG=$(metric twinning_webhook_outbox_depth)
before=$(receiver count)
released=$(now_ms)
receiver release >/dev/null
wait_drained
# The receiver's count and clock, not the gauge's: it is read once a second.
DELIVERED=$(($(receiver count) - before))
DRAIN_MS=$(($(receiver last) - released))
[ "$DELIVERED" -ge "$BACKLOG" ] || die "the receiver counted $DELIVERED of a backlog of $BACKLOG"
RATE=$(python3 -c "print(f'{$DELIVERED / max($DRAIN_MS, 1) * 1000:.0f}')")

# ---------------------------------------------------------------- 5. lag
receiver reset >/dev/null
(
  while :; do
    echo "$(now_ms) $(metric twinning_webhook_outbox_depth) $(metric twinning_webhook_outbox_oldest_pending_seconds)"
    sleep 0.5
  done
) >"$RUN/outbox-samples.txt" &
SAMPLER=$!
PIDS+=($SAMPLER)
Q6_RATE=$(q6_load lag "$DURATION")
load_ended=$(now_ms)
wait_drained
TAIL_MS=$(($(receiver last) - load_ended))
kill "$SAMPLER" 2>/dev/null || true
sleep 0.5
LAG=$(receiver stats)
MAX_DEPTH=$(awk '$2 > m { m = $2 } END { print m + 0 }' "$RUN/outbox-samples.txt")
MAX_OLDEST=$(awk '$3 > m { m = $3 } END { print m + 0 }' "$RUN/outbox-samples.txt")

{
  echo "webhooks on $DATABASE, $(basename "$TWINNING") of $(date -u -r "$TWINNING" '+%Y-%m-%d %H:%M UTC'), $(nproc) cores, load $(cut -d' ' -f1-3 /proc/loadavg)"
  echo "drain: $DELIVERED deliveries received in $DRAIN_MS ms after ${BACKLOG_SECS}s of Q6 queued them (outbox depth gauge $BACKLOG): $RATE deliveries/s"
  echo "lag under Q6 (c=$CONCURRENCY, ${DURATION}s, $Q6_RATE req/s): receiver $LAG; outbox depth max $MAX_DEPTH, oldest pending max ${MAX_OLDEST}s; last delivery ${TAIL_MS} ms after the load"
} | tee "$RUN/summary.txt"
