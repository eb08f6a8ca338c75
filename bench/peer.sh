# The peer, sourced by bench/run (not run on its own): PostGraphile 5 and the
# SQL-only limit (pgbench) over the peer's own database, loaded from the same
# generated document, measured in the same sitting as Twinning with the same
# load tool and concurrency. See bench/README.md ("The peer") and
# ../shared/bench/peer/README.md.
#
# Uses bench/run's helpers and variables (log, die, free_port, cpu_ticks,
# status_kb, mb, sample_anon, load, wait_idle, pg_gone, pg_backend_ticks,
# ticks_delta, RUN, OUT, DATA, PG_URL, CONCURRENCY, WRK_THREADS, WARMUP,
# DURATION, RESULTS, FAILED, SERVER_PID, SERVER_URL).

PEER_SRC=$ROOT/../shared/bench/peer
PEER_DIR=$OUT/peer # a copy of $PEER_SRC/postgraphile with its node_modules (ignored by git)
PEER_DB=${PEER_DB:-twinning_peer_$$}
PEER_NODE=$PEER_DIR/node_modules/node/bin/node # Node >= 22, from the npm package `node`

# peer_install: npm ci in the copy, unless its lock file is unchanged since
# the last install.
peer_install() {
  [ -d "$PEER_SRC" ] || die "no peer at $PEER_SRC"
  command -v npm >/dev/null || die "npm is missing (the peer is installed with npm ci)"
  command -v pgbench >/dev/null || die "pgbench is missing (apt-get install -y postgresql-contrib or postgresql-client)"
  mkdir -p "$PEER_DIR"
  if [ -x "$PEER_NODE" ] && cmp -s "$PEER_SRC/postgraphile/package-lock.json" "$PEER_DIR/package-lock.json"; then
    log "peer: using the installed $PEER_DIR"
  else
    log "peer: npm ci in $PEER_DIR (about a minute)"
    cp "$PEER_SRC/postgraphile/package.json" "$PEER_SRC/postgraphile/package-lock.json" "$PEER_DIR/"
    (cd "$PEER_DIR" && npm ci --no-audit --no-fund >"$RUN/peer-npm.log" 2>&1) ||
      die "npm ci for the peer failed; see $RUN/peer-npm.log"
  fi
  cp "$PEER_SRC/postgraphile/graphile.config.mjs" "$PEER_DIR/"
  "$PEER_NODE" --version >/dev/null || die "no Node at $PEER_NODE"
}

# peer_import: the peer's database, fresh, from the same document (timed).
peer_import() {
  psql "$PG_URL/postgres" -qAtc "DROP DATABASE IF EXISTS $PEER_DB WITH (FORCE)" >/dev/null 2>&1
  psql "$PG_URL/postgres" -qAtc "CREATE DATABASE $PEER_DB" >/dev/null
  PEER_CREATED=1
  log "peer: loading $DATA into $PEER_DB (load_peer.py: COPY, then VACUUM ANALYZE)"
  local t0
  t0=$(now_ms)
  python3 "$PEER_SRC/load_peer.py" "$DATA" --db "$PG_URL/$PEER_DB" --create-schema \
    >"$RUN/peer-import.log" 2>&1 || die "loading the peer's database failed; see $RUN/peer-import.log"
  PEER_IMPORT_S=$(awk -v ms=$(($(now_ms) - t0)) 'BEGIN { printf "%.1f", ms / 1000 }')
  log "  peer: $PEER_IMPORT_S s"
}

peer_drop() {
  [ -n "${PEER_CREATED:-}" ] || return 0
  psql "$PG_URL/postgres" -qAtc "DROP DATABASE IF EXISTS $PEER_DB WITH (FORCE)" >/dev/null 2>&1 ||
    log "could not drop database $PEER_DB"
}

# start_peer: PostGraphile on a free port; sets SERVER_PID, SERVER_URL, COLD_MS.
start_peer() {
  PORT=$(free_port)
  SERVER_URL=http://127.0.0.1:$PORT
  local t0 i
  t0=$(now_ms)
  # Node itself, not npm: SERVER_PID is then the process that serves.
  (cd "$PEER_DIR" && exec env DATABASE_URL="$PG_URL/$PEER_DB" PEER_PORT="$PORT" NODE_ENV=production \
    "$PEER_NODE" node_modules/postgraphile/dist/cli-run.js -C graphile.config.mjs) \
    >>"$RUN/server-peer.log" 2>&1 &
  SERVER_PID=$!
  for i in $(seq 1 3000); do
    if curl -fsS -o /dev/null -H 'Content-Type: application/json' \
      --data-binary '{"query":"{__typename}"}' "$SERVER_URL/graphql" 2>/dev/null; then
      COLD_MS=$(($(now_ms) - t0))
      return 0
    fi
    kill -0 "$SERVER_PID" 2>/dev/null || die "PostGraphile exited; see $RUN/server-peer.log"
    sleep 0.01
  done
  die "PostGraphile did not answer within 30 s; see $RUN/server-peer.log"
}

# peer_row QUERY: PostGraphile on one query, as bench/run measures Twinning
# (a server of its own: cold start, check, warm-up, measured run).
peer_row() {
  local q=$1 verdict body=$RUN/peer-$q.json answer=$RUN/$q-peer.answer.json
  python3 "$BENCH/bench.py" body "$PEER_SRC/queries/$q.graphql" "$PEER_SRC/queries/$q.variables.json" >"$body"
  pg_gone "$PEER_DB"
  start_peer
  sample_anon "$SERVER_PID" "$RUN/$q-peer.anon" &
  local sampler=$!
  if curl -fsS -o "$answer" -H 'Content-Type: application/json' --data-binary "@$body" "$SERVER_URL/graphql" &&
    python3 "$BENCH/bench.py" check-peer "$q" "$DATA" "$answer" "$RUN/$q-postgres.answer.json" \
      >"$RUN/$q-peer.check" 2>&1; then
    verdict=ok
  else
    verdict=WRONG
    FAILED=1
  fi
  log "$(cat "$RUN/$q-peer.check" 2>/dev/null || echo "FAIL $q: no answer") [PostGraphile]"
  local n requests p50_us p99_us duration_us errors c0 c1 b0 hwm anon ran dbcpu
  if [ "$WARMUP" != 0 ]; then
    LOAD_BODY=$body load "$WARMUP" "$RUN/$q-peer.warmup.wrk" >/dev/null
    wait_idle postgres "$PEER_DB"
  fi
  c0=$(cpu_ticks "$SERVER_PID")
  b0=$(pg_backend_ticks "$PEER_DB")
  read -r requests p50_us p99_us duration_us errors <<<"$(LOAD_BODY=$body load "$DURATION" "$RUN/$q-peer.wrk" --latency)"
  wait_idle postgres "$PEER_DB"
  c1=$(cpu_ticks "$SERVER_PID")
  ran=$((requests + CONCURRENCY))
  dbcpu=$(awk -v t="$(ticks_delta "$b0" "$(pg_backend_ticks "$PEER_DB")")" -v hz="$CLK_TCK" -v n=$ran \
    'BEGIN { printf "%.2f", t * 1000 / hz / n }')
  hwm=$(status_kb "$SERVER_PID" VmHWM)
  kill "$sampler" 2>/dev/null || true
  wait "$sampler" 2>/dev/null || true
  anon=$(cat "$RUN/$q-peer.anon" 2>/dev/null || echo 0)
  stop_server
  [ "$errors" = -1 ] && { verdict="$verdict, wrk failed"; FAILED=1; }
  [ "$errors" -gt 0 ] && verdict="$verdict, $errors errors"
  peer_line "$q" PostGraphile "$verdict" "$requests" "$duration_us" "$p50_us" "$p99_us" \
    "$(awk -v t=$((c1 - c0)) -v hz="$CLK_TCK" -v n=$ran 'BEGIN { printf "%.2f", t * 1000 / hz / n }')" \
    "$dbcpu" "$(mb "$hwm")" "$(mb "$anon")" -
  PEER_COLDS+=("$COLD_MS")
}

# peer_line QUERY NAME VERDICT REQUESTS DURATION_US P50_US P99_US CPU PGCPU RSS ANON STMTS:
# one row of the results.
peer_line() {
  local rps p50 p99
  read -r rps p50 p99 <<<"$(awk -v n="$4" -v d="$5" -v a="$6" -v b="$7" 'BEGIN {
    rps = (d > 0) ? n / (d / 1e6) : 0
    printf "%s %.1f %.1f\n", (rps >= 100 ? sprintf("%.0f", rps) : sprintf("%.1f", rps)), a / 1000, b / 1000 }')"
  printf '%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n' "$1" "$2" "$3" "$rps" "$p50" "$p99" \
    "$8" "$9" "${10}" "${11}" "${12}" - >>"$RESULTS"
  log "  $1 on $2: $rps req/s, p50 $p50 ms, p99 $p99 ms, CPU ms/req $8 (PG $9), peak ${10} MB (anon ${11})"
}

# limit_row QUERY: pgbench with the peer's limit/QUERY.sql (one statement
# building the whole answer) at the same concurrency; its latencies from the
# per-transaction log; PostgreSQL's CPU from its backends, sampled every
# 0.2 s while pgbench runs (its backends exit with it).
limit_row() {
  local q=$1 sql=$PEER_SRC/limit/$1.sql verdict=ok
  local status=0
  psql -X -qAt "$PG_URL/$PEER_DB" -f "$sql" >"$RUN/$q-limit.answer.json" 2>"$RUN/$q-limit.psql.err" || status=$?
  if [ "$status" != 0 ]; then
    echo "FAIL $q: psql exited with $status: $(head -c 300 "$RUN/$q-limit.psql.err")" >"$RUN/$q-limit.check"
    verdict=WRONG
    FAILED=1
  elif ! python3 "$BENCH/bench.py" check-peer "$q" "$DATA" "$RUN/$q-limit.answer.json" \
    "$RUN/$q-postgres.answer.json" >"$RUN/$q-limit.check" 2>&1; then
    verdict=WRONG
    FAILED=1
  fi
  log "$(cat "$RUN/$q-limit.check") [SQL limit]"
  pg_gone "$PEER_DB"
  if [ "$WARMUP" != 0 ]; then
    PGSSLMODE=disable pgbench -n -c "$CONCURRENCY" -j "$WRK_THREADS" -T "$WARMUP" -f "$sql" "$PG_URL/$PEER_DB" \
      >"$RUN/$q-limit.warmup.pgbench" 2>&1 || log "pgbench warm-up failed; see $RUN/$q-limit.warmup.pgbench"
    pg_gone "$PEER_DB"
  fi
  rm -f "$RUN/$q-limit.log"*
  # plain TCP like the two servers: libpq's default sslmode (prefer) would
  # take TLS from a server with ssl = on and measure the limit encrypted
  PGSSLMODE=disable pgbench -n -c "$CONCURRENCY" -j "$WRK_THREADS" -T "$DURATION" -f "$sql" -l --log-prefix="$RUN/$q-limit.log" \
    "$PG_URL/$PEER_DB" >"$RUN/$q-limit.pgbench" 2>&1 &
  local bench=$! ticks=$RUN/$q-limit.ticks
  : >"$ticks"
  while kill -0 "$bench" 2>/dev/null; do
    pg_backend_ticks "$PEER_DB" >>"$ticks"
    sleep 0.2
  done
  wait "$bench" || { verdict="$verdict, pgbench failed"; FAILED=1; }
  local tx tps
  tx=$(awk '/^number of transactions actually processed:/ { split($NF, a, "/"); print a[1] }' "$RUN/$q-limit.pgbench")
  # pgbench's rate leaves out the time its 32 connections took to open
  tps=$(awk '/^tps = / { print $3 }' "$RUN/$q-limit.pgbench")
  # per-transaction log: client tx latency_us script epoch_s epoch_us
  read -r n p50_us p99_us <<<"$(cat "$RUN/$q-limit.log"* 2>/dev/null | awk '{ print $3 }' | sort -n |
    awk '{ v[NR] = $1 } END { if (NR == 0) print 0, 0, 0; else print NR, v[int(NR * 0.5) + (NR % 2)], v[int(NR * 0.99 + 0.999)] }')"
  local dbcpu
  dbcpu=$(awk -v hz="$CLK_TCK" -v n="${tx:-0}" '{ if ($2 > t[$1]) t[$1] = $2 } END {
    for (p in t) s += t[p]; printf "%s", (n > 0) ? sprintf("%.2f", s * 1000 / hz / n) : "-" }' "$ticks")
  peer_line "$q" "SQL limit" "$verdict" "${tps:-0}" 1000000 "$p50_us" "$p99_us" - "$dbcpu" - - 1
}

# peer_run QUERY...: the peer and the limit for each of Q1-Q3 among them.
peer_run() {
  PEER_COLDS=()
  local q
  for q in "$@"; do
    case $q in q1 | q2 | q3) ;; *) continue ;; esac
    peer_row "$q"
    limit_row "$q"
  done
}
