-- Booking contention: replays the booking POSTs written by `manage.py bench_fixtures`
-- (`path<TAB>cookie<TAB>body`, one verified citizen each) and sorts the answers:
--   booked     302 to /appointments/booked/…: the slot is the citizen's
--   taken_race 302 back to the slots page: booking_create lost the race, three other
--              free slots are proposed there ("Someone has just booked this slot")
--   taken_form 200: the slot was gone when the form was checked; the slots page is
--              shown again with that message and the slots still free
--   server_5xx a server error
--   other      anything else (a bench bug: a lost session, a CSRF refusal…)
-- Usage: wrk -s booking.lua URL -- FILE THREADS OFFSET
local counter = 0
local requests_list = {}
local thread_number = 0
local threads_list = {}
local kinds = {"booked", "taken_race", "taken_form", "server_5xx", "other"}

function setup(thread)
  -- A global of the thread's own Lua state: the chunk's `local thread_number` above is
  -- another variable there (0 in every thread), which made both threads send the same
  -- requests.
  thread:set("thread_index", thread_number)
  thread_number = thread_number + 1
  table.insert(threads_list, thread)
end

function init(args)
  threads = tonumber(args[2] or "1")
  offset = tonumber(args[3] or "0")
  mine = tonumber(thread_index) or 0
  booked, taken_race, taken_form, server_5xx, other = 0, 0, 0, 0, 0
  for line in io.lines(args[1]) do
    local path, cookie, body = line:match("^([^\t]*)\t([^\t]*)\t?(.*)$")
    local headers = {
      ["Cookie"] = cookie,
      ["Content-Type"] = "application/x-www-form-urlencoded",
    }
    requests_list[#requests_list + 1] = wrk.format("POST", path, headers, body)
  end
end

function request()
  local index = offset + counter * threads + mine
  counter = counter + 1
  return requests_list[(index % #requests_list) + 1]
end

function response(status, headers, body)
  local location = headers["Location"] or headers["location"] or ""
  if status == 302 and location:find("/appointments/booked/", 1, true) then
    booked = booked + 1
  elseif status == 302 and location:find("/slots/", 1, true) then
    taken_race = taken_race + 1
  elseif status == 200 then
    taken_form = taken_form + 1
  elseif status >= 500 then
    server_5xx = server_5xx + 1
  else
    other = other + 1
    if other == 1 and os.getenv("MIZAN_BENCH_DEBUG") then
      io.stderr:write("other " .. status .. " " .. location .. ": " ..
        string.sub(body or "", 1, 2000) .. "\n")
    end
  end
end

function done(summary, latency, requests)
  local totals = {booked = 0, taken_race = 0, taken_form = 0, server_5xx = 0, other = 0}
  for _, thread in ipairs(threads_list) do
    for _, kind in ipairs(kinds) do
      totals[kind] = totals[kind] + (tonumber(thread:get(kind)) or 0)
    end
  end
  io.write(string.format(
    'WRK_JSON {"requests": %d, "duration_us": %d, "bytes": %d, ' ..
    '"errors_connect": %d, "errors_read": %d, "errors_write": %d, "errors_status": %d, ' ..
    '"errors_timeout": %d, "p50_us": %d, "p90_us": %d, "p99_us": %d, "max_us": %d, ' ..
    '"mean_us": %.1f, "booked": %d, "taken_race": %d, "taken_form": %d, ' ..
    '"server_5xx": %d, "other": %d}\n',
    summary.requests, summary.duration, summary.bytes,
    summary.errors.connect, summary.errors.read, summary.errors.write,
    summary.errors.status, summary.errors.timeout,
    latency:percentile(50), latency:percentile(90), latency:percentile(99),
    latency.max, latency.mean, totals.booked, totals.taken_race, totals.taken_form,
    totals.server_5xx, totals.other))
end
