#!/usr/bin/env bash
# Read replicas: Q1-Q3 on PostgreSQL with two streaming replicas versus
# none, on this machine. See "Read replicas" in bench/README.md.
#
# Sets up its own private cluster (initdb, pg_ctl, pg_basebackup -R, free
# ports, a temporary directory, all stopped and removed at the end): a
# primary with wal_level=replica, the bench data set imported into it and
# analysed, then two replicas copied from it. For each query and each mode
# ("none": the primary alone; "two": --database-replica-url twice) it starts
# `twinning serve` afresh, checks the answer against the generated data,
# warms up and loads it with wrk, and records req/s, p50, p99, the server's
# CPU and the reads each database answered (from /metrics).
#
# Environment (all optional):
#   TWINNING=path      the binary (default target/release/twinning; build it first)
#   DURATION=15 WARMUP=2 CONCURRENCY=32 WRK_THREADS=2   as bench/run
#   QUERIES="q1 q2 q3"
#   SCALE=5000         the data set (bench/out/data-SCALE.json, generated once)
#   REPLICA_MAX_LAG_MS, REPLICA_WAIT_MS, DATABASE_MAX_CONNECTIONS   passed to the server
set -euo pipefail

cd "$(dirname "${BASH_SOURCE[0]}")/.."
ROOT=$PWD
BENCH=$ROOT/bench
OUT=$BENCH/out
DURATION=${DURATION:-15}
WARMUP=${WARMUP:-2}
CONCURRENCY=${CONCURRENCY:-32}
WRK_THREADS=${WRK_THREADS:-2}
QUERIES=${QUERIES:-"q1 q2 q3"}
SCALE=${SCALE:-5000}
DATA=$OUT/data-$SCALE.json
TWINNING=${TWINNING:-$ROOT/target/release/twinning}
CLK_TCK=$(getconf CLK_TCK)
RUN=$OUT/replicas-$(date -u +%Y%m%dT%H%M%SZ)
mkdir -p "$RUN"

log() { echo "[$(date -u +%H:%M:%S)] $*" >&2; }
die() { log "error: $*"; exit 1; }

# A PostgreSQL server program: on PATH, or where Debian keeps them.
pg_bin() {
  command -v "$1" 2>/dev/null && return
  local found
  found=$(ls /usr/lib/postgresql/*/bin/"$1" 2>/dev/null | sort -V | tail -1)
  [ -n "$found" ] || die "$1 is not installed (apt-get install -y postgresql)"
  echo "$found"
}
for tool in python3 curl wrk psql; do command -v "$tool" >/dev/null || die "$tool is missing"; done
INITDB=$(pg_bin initdb)
PG_CTL=$(pg_bin pg_ctl)
BASEBACKUP=$(pg_bin pg_basebackup)
[ -x "$TWINNING" ] || die "no binary at $TWINNING (cargo build --release, or TWINNING=path)"

# PostgreSQL refuses to run as root: its programs run as `postgres` then.
as_pg() { if [ "$(id -u)" = 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi; }

free_port() {
  python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

DIR=$(mktemp -d)
[ "$(id -u)" = 0 ] && chown postgres "$DIR"
SERVER_PID=
declare -a DATA_DIRS=()
cleanup() {
  local status=$?
  stop_server
  local data
  for data in "${DATA_DIRS[@]}"; do
    as_pg "$PG_CTL" -D "$data" -m immediate -w stop >/dev/null 2>&1 || true
  done
  rm -rf "$DIR"
  exit "$status"
}
trap cleanup EXIT
trap 'log "stopped by a signal"; exit 130' INT TERM HUP

# pg_start DATA PORT: starts the server in DATA on PORT.
pg_start() {
  as_pg "$PG_CTL" -D "$1" -w -t 120 -l "$1.log" start -o "-p $2 -k $DIR -c listen_addresses=127.0.0.1 \
    -c wal_level=replica -c max_wal_senders=10 -c hot_standby=on -c hot_standby_feedback=on \
    -c max_connections=200 -c shared_buffers=128MB" >/dev/null
  DATA_DIRS+=("$1")
}

# ---------------------------------------------------------------- the cluster
if [ ! -s "$DATA" ]; then
  log "generating the scale-$SCALE data set (once) into $DATA"
  mkdir -p "$OUT"
  python3 "$ROOT/../shared/bench/gen.py" --scale "$SCALE" --seed 1 -o "$DATA.tmp" >&2
  mv "$DATA.tmp" "$DATA"
fi
PRIMARY_PORT=$(free_port)
as_pg "$INITDB" --auth=trust -U postgres --no-sync -D "$DIR/primary" >/dev/null
pg_start "$DIR/primary" "$PRIMARY_PORT"
PRIMARY=postgres://postgres@127.0.0.1:$PRIMARY_PORT/postgres
log "importing $DATA into the primary"
DATABASE_URL=$PRIMARY "$TWINNING" import "$DATA" >"$RUN/import.log" 2>&1 || die "import failed; see $RUN/import.log"
psql "$PRIMARY" -qAtc "VACUUM ANALYZE" >/dev/null
REPLICAS=()
for i in 1 2; do
  port=$(free_port)
  as_pg "$BASEBACKUP" -h 127.0.0.1 -p "$PRIMARY_PORT" -U postgres -R -X stream --checkpoint=fast \
    --no-sync -D "$DIR/replica-$i"
  pg_start "$DIR/replica-$i" "$port"
  REPLICAS+=("postgres://postgres@127.0.0.1:$port/postgres")
done
log "primary on $PRIMARY_PORT, replicas: ${REPLICAS[*]}"

# ---------------------------------------------------------------- the server
cpu_ticks() {
  local stat
  stat=$(cat "/proc/$1/stat") || die "the server exited"
  stat=${stat##*) }
  awk '{ print $12 + $13 }' <<<"$stat"
}

# start_server MODE: the server over the primary, with the replicas of MODE.
start_server() {
  local args=()
  [ "$1" = two ] && args=(--database-replica-url "${REPLICAS[0]}" --database-replica-url "${REPLICAS[1]}")
  PORT=$(free_port)
  SERVER_URL=http://127.0.0.1:$PORT
  DATABASE_URL=$PRIMARY "$TWINNING" serve --listen "127.0.0.1:$PORT" --example-data=false \
    --rate-limits=false "${args[@]}" >>"$RUN/server-$1.log" 2>&1 &
  SERVER_PID=$!
  local i
  for i in $(seq 1 3000); do
    if [ "$1" = none ] && curl -fsS -o /dev/null "$SERVER_URL/ready" 2>/dev/null; then return; fi
    # With replicas: until both are in rotation.
    if [ "$1" = two ] && [ "$(curl -fsS "$SERVER_URL/ready" 2>/dev/null | grep -o '"in_rotation":true' | wc -l)" = 3 ]; then
      return
    fi
    kill -0 "$SERVER_PID" 2>/dev/null || die "the server exited; see $RUN/server-$1.log"
    sleep 0.01
  done
  die "the server was not ready within 30 s"
}

stop_server() {
  if [ -n "${SERVER_PID:-}" ] && kill -0 "$SERVER_PID" 2>/dev/null; then
    kill -TERM "$SERVER_PID" 2>/dev/null || true
    wait "$SERVER_PID" 2>/dev/null || true
  fi
  SERVER_PID=
}

# load SECONDS OUT: wrk on the current query's body.
load() {
  BENCH_BODY=$RUN/$q.json wrk -t"$WRK_THREADS" -c"$CONCURRENCY" -d"$1s" --timeout 120s --latency \
    -s "$BENCH/post.lua" "$SERVER_URL/graphql" >"$2" 2>&1 || die "wrk failed; see $2"
}

# reads MODE: reads per database from /metrics, "primary=N replica-1=N ...".
reads() {
  curl -fsS "$SERVER_URL/metrics" |
    sed -n 's/^twinning_db_reads_total{database="\([^"]*\)".*} \([0-9.e+]*\)$/\1=\2/p' | tr '\n' ' '
}

RESULTS=$RUN/results.tsv
printf 'query\tmode\treq_s\tp50_ms\tp99_ms\tserver_cpu_ms_per_req\treads\n' >"$RESULTS"
for q in $QUERIES; do
  python3 "$BENCH/bench.py" body "$BENCH/queries/$q.graphql" >"$RUN/$q.json"
  for mode in none two; do
    start_server "$mode"
    curl -fsS -o "$RUN/$q-$mode.answer.json" -H 'Content-Type: application/json' \
      --data-binary "@$RUN/$q.json" "$SERVER_URL/graphql"
    python3 "$BENCH/bench.py" check "$q" "$DATA" "$RUN/$q-$mode.answer.json" >"$RUN/$q-$mode.check" ||
      die "$q ($mode) answered wrongly; see $RUN/$q-$mode.check"
    load "$WARMUP" "$RUN/$q-$mode.warmup.txt"
    t0=$(cpu_ticks "$SERVER_PID")
    load "$DURATION" "$RUN/$q-$mode.wrk.txt"
    t1=$(cpu_ticks "$SERVER_PID")
    line=$(grep '^BENCH ' "$RUN/$q-$mode.wrk.txt") || die "no result line in $RUN/$q-$mode.wrk.txt"
    read -r requests p50 p99 duration < <(sed -E 's/.*requests=([0-9]+).*p50_us=([0-9]+) p99_us=([0-9]+) duration_us=([0-9]+).*/\1 \2 \3 \4/' <<<"$line")
    awk -v q="$q" -v m="$mode" -v n="$requests" -v p50="$p50" -v p99="$p99" -v d="$duration" \
      -v cpu=$((t1 - t0)) -v tck="$CLK_TCK" -v reads="$(reads)" 'BEGIN {
        printf "%s\t%s\t%.0f\t%.1f\t%.1f\t%.2f\t%s\n", q, m, n / (d / 1e6), p50 / 1e3, p99 / 1e3,
          (n > 0 ? cpu * 1000 / tck / n : 0), reads }' >>"$RESULTS"
    stop_server
  done
done

{
  echo "Q1-Q3 on PostgreSQL: the primary alone (none) versus two streaming replicas (two),"
  echo "all on this machine ($(nproc) cores, shared with wrk); concurrency $CONCURRENCY, ${DURATION} s per run."
  column -t -s $'\t' "$RESULTS"
  awk -F'\t' 'NR > 1 { r[$1 "," $2] = $3; qs[$1] = 1 }
    END { for (q in qs) if (r[q ",none"] > 0) printf "%s: two replicas / none = %.2f\n", q, r[q ",two"] / r[q ",none"] }' "$RESULTS" | sort
} | tee "$RUN/table.txt"
