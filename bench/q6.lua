-- wrk script for Q6, the mutation mix (bench/queries/q6.graphql): every
-- request records a new visit and moves a partnership between ACTIVE and
-- SUSPENDED, so every request has a body of its own.
--
-- Environment (bench/run sets it):
--   BENCH_Q6_DATA  the Lua data file from `bench.py q6-lua` (the query, the
--                  city pairs, the topics, the partnerships to move with the
--                  status each moves to first, a tag unique to this load)
--   BENCH_AUTH     an editor API key
--   BENCH_THREADS  the number of wrk threads (wrk -t)
--
-- Visit keys are bench-<tag>-<thread>-<n>: n counts the thread's requests,
-- so no key is sent twice. The partnerships are dealt out to the threads
-- (the i-th to thread i mod threads) and each thread moves its own in turn:
-- a partnership comes round again only after all the thread's others (more
-- than 100 per thread), long after its previous step has been answered, and
-- no other thread moves it, so concurrent steps never meet (they would be
-- refused with CONFLICT or INVALID_TRANSITION).
--
-- At the end it prints the line bench/run parses, as post.lua does,
--   BENCH requests=N errors=N p50_us=N p99_us=N duration_us=N
-- and one on the answers (HTTP 200 with GraphQL `errors`, user errors by
-- code, other statuses) and the first unexpected answer, verbatim:
--   BENCH_Q6 answers=N ok=N graphql_errors=N user_errors=N non200=N codes=CODE:N,...
--   BENCH_Q6_FIRST <status> <body>

local data_path = os.getenv("BENCH_Q6_DATA")
if not data_path then
  error("set BENCH_Q6_DATA to the file written by bench.py q6-lua")
end
local D = dofile(data_path)
local threads_n = tonumber(os.getenv("BENCH_THREADS") or "1")

wrk.method = "POST"
wrk.headers["Content-Type"] = "application/json"
wrk.headers["Authorization"] = "Bearer " .. (os.getenv("BENCH_AUTH") or "")

-- ---------------------------------------------------------------- main state
local threads = {}

function setup(thread)
  table.insert(threads, thread)
  thread:set("id", #threads) -- 1, 2, ...
end

-- ---------------------------------------------------------------- per thread
local mine = {} -- this thread's partnerships: { json key, first status }
local n = 0     -- requests made by this thread
-- wrk calls request() once in the first thread's state before the load, to
-- count pipelined requests, and sends nothing of it: that call must not use
-- up a step (its partnership's next step would then be the wrong one).
local verifying = false
local flip = { ACTIVE = "SUSPENDED", SUSPENDED = "ACTIVE" }

-- counters read by done() (globals: thread:get reads globals)
answers, ok, graphql_errors, user_errors, non200 = 0, 0, 0, 0, 0
codes = {}
first_bad = ""

function init(args)
  verifying = (id == 1)
  for i, t in ipairs(D.toggles) do
    if (i - 1) % threads_n == id - 1 then
      table.insert(mine, t)
    end
  end
  if #mine == 0 then
    error("no partnerships for thread " .. id)
  end
end

function request()
  local m = n * threads_n + (id - 1) -- unique across threads
  local pair = D.pairs[m % #D.pairs + 1]
  local nt = #D.topics
  local a = m % nt
  local b = (a + 1 + math.floor(m / nt) % (nt - 1)) % nt -- never a
  local step = mine[n % #mine + 1]
  local status = step[2]
  if math.floor(n / #mine) % 2 == 1 then
    status = flip[status]
  end
  local key = "bench-" .. D.tag .. "-" .. id .. "-" .. n
  if verifying then
    verifying = false
  else
    n = n + 1
  end
  local body = '{"query":' .. D.query .. ',"variables":{'
    .. '"visit":{"visit":{"key":"' .. key .. '","fromCity":' .. pair[1]
    .. ',"toCity":' .. pair[2] .. ',"startDate":' .. D.on
    .. ',"topics":[' .. D.topics[a + 1] .. ',' .. D.topics[b + 1] .. ']}},'
    .. '"step":{"partnership":' .. step[1] .. ',"status":"' .. status
    .. '","on":' .. D.on .. '}}}'
  return wrk.format(nil, nil, nil, body)
end

function response(status, headers, body)
  answers = answers + 1
  local bad = false
  if status ~= 200 then
    non200 = non200 + 1
    bad = true
  end
  if string.find(body, '"errors"%s*:') then
    graphql_errors = graphql_errors + 1
    bad = true
  end
  if string.find(body, '"userErrors"%s*:%s*%[%s*{') then
    user_errors = user_errors + 1
    bad = true
  end
  if bad then
    for code in string.gmatch(body, '"code"%s*:%s*"([%w_]+)"') do
      codes[code] = (codes[code] or 0) + 1
    end
    if first_bad == "" then
      first_bad = status .. " " .. string.gsub(string.sub(body, 1, 600), "\n", " ")
    end
  else
    ok = ok + 1
  end
end

-- ---------------------------------------------------------------- the end
function done(summary, latency, requests)
  local e = summary.errors
  io.write(string.format(
    "BENCH requests=%d errors=%d p50_us=%d p99_us=%d duration_us=%d\n",
    summary.requests,
    e.connect + e.read + e.write + e.status + e.timeout,
    latency:percentile(50), latency:percentile(99), summary.duration))
  local total = { answers = 0, ok = 0, graphql_errors = 0, user_errors = 0, non200 = 0 }
  local all_codes, first = {}, ""
  for _, thread in ipairs(threads) do
    for k, _ in pairs(total) do
      total[k] = total[k] + (thread:get(k) or 0)
    end
    for code, count in pairs(thread:get("codes") or {}) do
      all_codes[code] = (all_codes[code] or 0) + count
    end
    if first == "" then
      first = thread:get("first_bad") or ""
    end
  end
  local names = {}
  for code, _ in pairs(all_codes) do
    table.insert(names, code)
  end
  table.sort(names)
  local listed = {}
  for _, code in ipairs(names) do
    table.insert(listed, code .. ":" .. all_codes[code])
  end
  io.write(string.format(
    "BENCH_Q6 answers=%d ok=%d graphql_errors=%d user_errors=%d non200=%d codes=%s\n",
    total.answers, total.ok, total.graphql_errors, total.user_errors, total.non200,
    #listed > 0 and table.concat(listed, ",") or "-"))
  if first ~= "" then
    io.write("BENCH_Q6_FIRST " .. first .. "\n")
  end
end
