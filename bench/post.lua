-- wrk script: POST one GraphQL request, read from the file named by the
-- environment variable BENCH_BODY (a JSON body: {"query": "..."}).
-- At the end, prints one machine-readable line that bench/run parses:
--   BENCH requests=N errors=N p50_us=N p99_us=N duration_us=N
local path = os.getenv("BENCH_BODY")
if not path then
  error("set BENCH_BODY to the file holding the request body")
end
local file = assert(io.open(path, "rb"))
wrk.method = "POST"
wrk.body = file:read("*a")
wrk.headers["Content-Type"] = "application/json"
file:close()

function done(summary, latency, requests)
  local e = summary.errors
  io.write(string.format(
    "BENCH requests=%d errors=%d p50_us=%d p99_us=%d duration_us=%d\n",
    summary.requests,
    e.connect + e.read + e.write + e.status + e.timeout,
    latency:percentile(50), latency:percentile(99), summary.duration))
end
