-- Replays a list of requests written by `manage.py bench_fixtures`:
-- one `path<TAB>cookie<TAB>body` line each. Usage:
--   wrk -s requests.lua URL -- FILE METHOD THREADS OFFSET
-- Threads interleave over the list from OFFSET on, so one-shot requests (a code that
-- files a complaint once) are not replayed while the list lasts; the runner moves
-- OFFSET past what earlier runs used.
local counter = 0
local requests_list = {}
local thread_number = 0
local threads_list = {}

function setup(thread)
  -- A global of the thread's own Lua state: the chunk's `local thread_number` above is
  -- another variable there (0 in every thread), which made both threads send the same
  -- requests.
  thread:set("thread_index", thread_number)
  thread_number = thread_number + 1
  table.insert(threads_list, thread)
end

function init(args)
  local method = args[2] or "GET"
  threads = tonumber(args[3] or "1")
  offset = tonumber(args[4] or "0")
  mine = tonumber(thread_index) or 0
  -- A page answers 200; a form that was accepted redirects (302). Anything else, such
  -- as a form shown again with errors, is counted as unexpected.
  expected = (method == "POST") and 302 or 200
  unexpected = 0
  for line in io.lines(args[1]) do
    local path, cookie, body = line:match("^([^\t]*)\t([^\t]*)\t?(.*)$")
    local headers = {}
    if cookie ~= "" then headers["Cookie"] = cookie end
    if method == "POST" then
      headers["Content-Type"] = "application/x-www-form-urlencoded"
    else
      body = nil
    end
    requests_list[#requests_list + 1] = wrk.format(method, path, headers, body)
  end
end

function request()
  local index = offset + counter * threads + mine
  counter = counter + 1
  return requests_list[(index % #requests_list) + 1]
end

function response(status, headers, body)
  if status ~= expected then
    unexpected = unexpected + 1
    if unexpected == 1 and os.getenv("MIZAN_BENCH_DEBUG") then
      io.stderr:write("unexpected " .. status .. ": " .. string.sub(body or "", 1, 3000) .. "\n")
    end
  end
end

function done(summary, latency, requests)
  local bad = 0
  for _, thread in ipairs(threads_list) do
    bad = bad + (tonumber(thread:get("unexpected")) or 0)
  end
  io.write(string.format(
    'WRK_JSON {"requests": %d, "duration_us": %d, "bytes": %d, ' ..
    '"errors_connect": %d, "errors_read": %d, "errors_write": %d, "errors_status": %d, ' ..
    '"errors_timeout": %d, "p50_us": %d, "p90_us": %d, "p99_us": %d, "max_us": %d, ' ..
    '"mean_us": %.1f, "unexpected_status": %d}\n',
    summary.requests, summary.duration, summary.bytes,
    summary.errors.connect, summary.errors.read, summary.errors.write,
    summary.errors.status, summary.errors.timeout,
    latency:percentile(50), latency:percentile(90), latency:percentile(99),
    latency.max, latency.mean, bad))
end
