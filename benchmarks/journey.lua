-- wrk script for benchmarks/journeys.py: respondents' journeys through the public survey.
--
-- Each wrk thread cycles GET form -> POST all answers (unique _key) -> GET thank-you. wrk's Lua
-- API has no per-connection state, so the three requests of one cycle go out over whichever of
-- the thread's connections is free; the mix is exactly one third of each, and a journey is
-- counted only when a POST is answered 303.
--
-- Settings come from the environment (journeys.py sets them):
--   JOURNEY_FORM    path of the form page        JOURNEY_THANKS  path of the thank-you page
--   JOURNEY_POST    path the form posts to       JOURNEY_BODY    urlencoded answers, no _key
--   JOURNEY_COOKIE  "csrftoken=..." (the same token is in JOURNEY_BODY as _csrf_token)
--   JOURNEY_NONCE   run prefix of every submission key (letters and digits)
--   JOURNEY_STEPS   the pages posted, e.g. "5" (the last page only: every answer at once) or
--                   "0,1,2,3,4,5" (a full journey through every page)
-- done() prints lines "JOURNEY <name> <value>" for journeys.py to read.

local form_path = assert(os.getenv("JOURNEY_FORM"), "JOURNEY_FORM is not set")
local post_path = assert(os.getenv("JOURNEY_POST"), "JOURNEY_POST is not set")
local thanks_path = assert(os.getenv("JOURNEY_THANKS"), "JOURNEY_THANKS is not set")
local body_prefix = assert(os.getenv("JOURNEY_BODY"), "JOURNEY_BODY is not set")
local cookie = assert(os.getenv("JOURNEY_COOKIE"), "JOURNEY_COOKIE is not set")
local nonce = assert(os.getenv("JOURNEY_NONCE"), "JOURNEY_NONCE is not set")
local steps = {}
for step in string.gmatch(os.getenv("JOURNEY_STEPS") or "5", "%d+") do
  table.insert(steps, step)
end
local cycle = #steps + 2

local get_headers = { ["Cookie"] = cookie }
local post_headers = {
  ["Cookie"] = cookie,
  ["Content-Type"] = "application/x-www-form-urlencoded",
}

-- main state: one entry per thread, read back in done()
local threads = {}

function setup(thread)
  table.insert(threads, thread)
  thread:set("thread_no", #threads)
end

-- thread state (globals, so that thread:get can read them)
counter = 0
posted = 0
status_200 = 0
status_303 = 0
status_other = 0
other_codes = ""

function init(args)
  math.randomseed(os.time() + 7919 * (thread_no or 0))
end

function request()
  counter = counter + 1
  local phase = counter % cycle
  if phase == 1 then
    return wrk.format("GET", form_path, get_headers)
  elseif phase == 0 then
    return wrk.format("GET", thanks_path, get_headers)
  end
  local step = steps[phase - 1]
  if phase == cycle - 1 then
    posted = posted + 1
  end
  -- [A-Za-z0-9_-]{16,64}: run nonce, thread, counter, random tail
  local key = string.format("%s-t%d-%d-%06d", nonce, thread_no or 0, counter - phase,
                            math.random(0, 999999))
  return wrk.format("POST", post_path, post_headers,
                    body_prefix .. "&_step=" .. step .. "&_key=" .. key)
end

function response(status, headers, body)
  if status == 200 then
    status_200 = status_200 + 1
  elseif status == 303 then
    status_303 = status_303 + 1
  else
    status_other = status_other + 1
    if #other_codes < 200 then
      other_codes = other_codes .. tostring(status) .. ","
    end
  end
end

function done(summary, latency, requests)
  local total = { posted = 0, status_200 = 0, status_303 = 0, status_other = 0 }
  local codes = ""
  for _, thread in ipairs(threads) do
    for name, _ in pairs(total) do
      total[name] = total[name] + (thread:get(name) or 0)
    end
    codes = codes .. (thread:get("other_codes") or "")
  end
  local e = summary.errors
  local out = {
    duration_us = summary.duration,
    requests = summary.requests,
    bytes = summary.bytes,
    errors_connect = e.connect,
    errors_read = e.read,
    errors_write = e.write,
    errors_status = e.status,
    errors_timeout = e.timeout,
    latency_p50_us = latency:percentile(50),
    latency_p90_us = latency:percentile(90),
    latency_p99_us = latency:percentile(99),
    latency_max_us = latency.max,
    latency_mean_us = latency.mean,
    posted = total.posted,
    status_200 = total.status_200,
    status_303 = total.status_303,
    status_other = total.status_other,
  }
  for name, value in pairs(out) do
    io.write(string.format("JOURNEY %s %.3f\n", name, value))
  end
  io.write(string.format("JOURNEY other_codes %s\n", codes == "" and "-" or codes))
end
