-- The dashboard benchmark's load under wrk (benchmarks/dashboard.py --load wrk): one session per
-- connection (wrk runs one connection per thread here), each fetching its routes in turn. dashboard.py
-- fills in the paths, the session cookies and the API token before it runs wrk with this script.
local paths = __PATHS__
local cookies = __COOKIES__
local auth = __AUTH__
local threads = {}
local n = 0

function setup(thread)
  n = n + 1
  thread:set("id", n)
  table.insert(threads, thread)
end

function init(args)
  step = id
  cookie = cookies[((id - 1) % #cookies) + 1]
  not_ok = 0
end

function request()
  step = step + 1
  local headers = {["Accept-Encoding"] = "gzip"}
  if cookie ~= "" then headers["Cookie"] = cookie end
  if auth ~= "" then headers["Authorization"] = auth end
  return wrk.format("GET", paths[(step % #paths) + 1], headers)
end

function response(status, headers, body)
  if status ~= 200 then not_ok = not_ok + 1 end
end

function done(summary, latency, requests)
  local bad = 0
  for _, t in ipairs(threads) do bad = bad + t:get("not_ok") end
  local e = summary.errors
  io.write(string.format("RESULT p50=%.2f p99=%.2f requests=%d seconds=%.3f not_ok=%d errors=%d\n",
    latency:percentile(50) / 1000, latency:percentile(99) / 1000, summary.requests, summary.duration / 1e6,
    bad, e.connect + e.read + e.write + e.timeout))
end
