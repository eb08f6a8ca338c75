-- wrk script: GETs the URL given on wrk's command line, as it is. At the
-- end, prints the line bench/run's scripts parse:
--   BENCH requests=N errors=N p50_us=N p99_us=N duration_us=N
wrk.headers["Accept"] = "application/json"

function done(summary, latency, requests)
  local e = summary.errors
  io.write(string.format(
    "BENCH requests=%d errors=%d p50_us=%d p99_us=%d duration_us=%d\n",
    summary.requests,
    e.connect + e.read + e.write + e.status + e.timeout,
    latency:percentile(50), latency:percentile(99), summary.duration))
end
