#!/usr/bin/env bash
# Cached GETs through nginx: bench/cache.sh (from anywhere). See
# bench/README.md, "Cached GETs through the proxy".
#
# Starts one `twinning serve` and nginx with deploy/nginx.conf (its
# proxy_cache; ports and paths replaced, one nginx process) before it,
# registers Q1 as an automatic persisted query, checks that the answer over
# GET is the same straight from the server and through nginx (the second
# one from nginx's cache), then loads the persisted GET with wrk: straight
# to the server, then through nginx, printing req/s, p50, p99 and how many
# GraphQL requests the server itself ran during each load (its /metrics).
#
# Environment (all optional):
#   DURATION=15 WARMUP=2 CONCURRENCY=32 WRK_THREADS=2   as bench/run
#   DATABASE_URL       the server's database (default: a fresh SQLite file with
#                      the founding example data, which holds Q1's city)
#   TWINNING=path      the binary (default target/release/twinning, built unless SKIP_BUILD=1)
set -euo pipefail

cd "$(dirname "${BASH_SOURCE[0]}")/.."
ROOT=$PWD
DURATION=${DURATION:-15}
WARMUP=${WARMUP:-2}
CONCURRENCY=${CONCURRENCY:-32}
WRK_THREADS=${WRK_THREADS:-2}
TWINNING=${TWINNING:-$ROOT/target/release/twinning}
RUN=$ROOT/bench/out/cache-$(date -u +%Y%m%dT%H%M%SZ)
mkdir -p "$RUN"
# nginx's cache and temporary files: under /tmp, which its process may write.
NGINX_DIR=$(mktemp -d /tmp/twinning-cache-bench.XXXXXX)
SERVER_PID=
NGINX_PID=

log() { printf '%s %s\n' "$(date -u +%H:%M:%S)" "$*" >&2; }
die() { log "error: $*"; exit 1; }

cleanup() {
  local status=$?
  for pid in $NGINX_PID $SERVER_PID; do
    kill -TERM "$pid" 2>/dev/null || true
    wait "$pid" 2>/dev/null || true
  done
  rm -rf "$NGINX_DIR"
  exit "$status"
}
trap cleanup EXIT
trap 'exit 130' INT TERM HUP

NGINX=$(command -v nginx || echo /usr/sbin/nginx)
[ -x "$NGINX" ] || die "nginx is missing: apt-get install -y nginx"
for tool in wrk curl python3; do command -v "$tool" >/dev/null || die "$tool is missing"; done
if [ -z "${SKIP_BUILD:-}" ] && [ "$TWINNING" = "$ROOT/target/release/twinning" ]; then
  log "cargo build --release --bin twinning"
  cargo build --release --bin twinning >&2
fi
[ -x "$TWINNING" ] || die "no binary at $TWINNING"

free_port() {
  python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}
wait_for() {
  local _
  for _ in $(seq 1 500); do
    curl -fsS -o /dev/null "$1" 2>/dev/null && return 0
    sleep 0.02
  done
  die "nothing answered $1; see $RUN"
}
# requests: the GraphQL requests the server has run, by its /metrics.
requests() {
  curl -fsS "$SERVER/metrics" |
    awk '/^twinning_graphql_requests_total\{/ { n += $NF } END { printf "%d\n", n }'
}

SERVER_PORT=$(free_port)
SERVER=http://127.0.0.1:$SERVER_PORT
DATABASE_URL=${DATABASE_URL:-sqlite://$RUN/cache.db?mode=rwc} \
  "$TWINNING" serve --listen "127.0.0.1:$SERVER_PORT" --rate-limits=false --forwarded-hops 1 \
  >"$RUN/server.log" 2>&1 &
SERVER_PID=$!
wait_for "$SERVER/ready"

PROXY_PORT=$(free_port)
PROXY=http://127.0.0.1:$PROXY_PORT
sed -e "s|127.0.0.1:8001|127.0.0.1:$SERVER_PORT|; s|127.0.0.1:8002|127.0.0.1:$SERVER_PORT|" \
  -e "s|127.0.0.1:8080|127.0.0.1:$PROXY_PORT|; s|/var/cache/nginx|$NGINX_DIR|g" \
  -e "s|/var/log/nginx|$NGINX_DIR|g; s|/run/|$NGINX_DIR/|g" \
  -e "s|worker_processes auto;|worker_processes 1;|" deploy/nginx.conf >"$NGINX_DIR/nginx.conf"
# One process in the foreground, as whoever runs this (the test suite's way).
"$NGINX" -p "$NGINX_DIR" -e "$NGINX_DIR/error.log" -c "$NGINX_DIR/nginx.conf" \
  -g "daemon off; master_process off;" >"$RUN/nginx.log" 2>&1 &
NGINX_PID=$!
wait_for "$PROXY/health"

# Q1 as an automatic persisted query: registered once with its text, then
# asked by its hash alone over GET.
read -r HASH REGISTER PERSISTED < <(python3 - "$ROOT/bench/queries/q1.graphql" <<'PY'
import hashlib, json, sys, urllib.parse
query = open(sys.argv[1], encoding="utf-8").read()
digest = hashlib.sha256(query.encode()).hexdigest()
ext = json.dumps({"persistedQuery": {"version": 1, "sha256Hash": digest}}, separators=(",", ":"))
print(digest, "/graphql?" + urllib.parse.urlencode({"query": query, "extensions": ext}),
      "/graphql?" + urllib.parse.urlencode({"extensions": ext}))
PY
)
curl -fsS -o "$RUN/register.json" "$SERVER$REGISTER" || die "registering Q1 failed"
curl -fsS -o "$RUN/direct.json" -H 'Accept: application/json' "$SERVER$PERSISTED" || die "Q1 by its hash failed"
curl -fsS -o /dev/null -H 'Accept: application/json' "$PROXY$PERSISTED"
curl -fsS -o "$RUN/proxy.json" -D "$RUN/proxy.headers" -H 'Accept: application/json' "$PROXY$PERSISTED"
python3 - "$RUN/direct.json" "$RUN/proxy.json" <<'PY' || die "wrong answer; see $RUN"
import json, sys
direct, proxied = (json.load(open(p)) for p in sys.argv[1:])
assert "errors" not in direct, direct
city = direct["data"]["city"]
assert city["key"] == "murmansk" and city["partnerships"]["nodes"], city
assert proxied == direct, "nginx's answer differs from the server's"
print(f"ok   Q1 by hash: murmansk, {len(city['partnerships']['nodes'])} partnerships, the same through nginx")
PY
grep -qi '^x-cache-status: HIT' "$RUN/proxy.headers" || die "the second GET through nginx was not a cache hit; see $RUN/proxy.headers"
log "Q1 ${HASH:0:12}…: checked; the second GET through nginx was a cache HIT"

# load NAME BASE: prints "req/s p50_ms p99_ms errors server_requests".
load() {
  local out=$RUN/$1.wrk before after line
  wrk -t"$WRK_THREADS" -c"$CONCURRENCY" -d"${WARMUP}s" -s bench/get.lua "$2$PERSISTED" >"$RUN/$1.warmup.wrk" 2>&1
  before=$(requests)
  wrk -t"$WRK_THREADS" -c"$CONCURRENCY" -d"${DURATION}s" --latency -s bench/get.lua "$2$PERSISTED" >"$out" 2>&1 ||
    die "wrk failed; see $out"
  after=$(requests)
  line=$(grep '^BENCH ' "$out") || die "no summary in $out"
  sed 's/^BENCH //; s/[a-z0-9_]*=//g' <<<"$line" | awk -v s=$((after - before)) '{
    printf "%.0f %.1f %.1f %d %d\n", $1 / ($5 / 1e6), $3 / 1000, $4 / 1000, $2, s }'
}
read -r d_rps d_p50 d_p99 d_err d_srv <<<"$(load direct "$SERVER")"
read -r p_rps p_p50 p_p99 p_err p_srv <<<"$(load nginx "$PROXY")"
{
  echo
  echo "Cached GETs, $(date -u '+%Y-%m-%d %H:%M UTC'); ${TWINNING#"$ROOT"/}; Q1 as a persisted query over GET"
  echo "concurrency $CONCURRENCY, wrk -t$WRK_THREADS, ${DURATION} s after ${WARMUP} s of warm-up; nginx: deploy/nginx.conf, 1 process"
  echo
  echo "| | req/s | p50 ms | p99 ms | errors | requests the server ran |"
  echo "| --- | ---: | ---: | ---: | ---: | ---: |"
  echo "| straight to the server | $d_rps | $d_p50 | $d_p99 | $d_err | $d_srv |"
  echo "| through nginx's cache | $p_rps | $p_p50 | $p_p99 | $p_err | $p_srv |"
  echo
  echo "nginx / server: $(awk -v a="$p_rps" -v b="$d_rps" 'BEGIN { printf "%.2f×", a / b }') req/s."
  echo "The server's count through nginx: the revalidations of an answer kept max-age (60 s) and no more."
  echo "Raw outputs: ${RUN#"$ROOT"/}"
} | tee "$RUN/table.txt"
# A cache that let more than a handful of requests through is no cache.
[ "$p_srv" -le $((DURATION / 60 + 3)) ] || die "the server ran $p_srv requests during the cached load"
[ "$d_err" = 0 ] && [ "$p_err" = 0 ] || die "wrk saw errors; see $RUN"
