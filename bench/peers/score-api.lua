-- wrk script for bench/score-api.mjs: POSTs one transaction per request to /v1/score, a new id and a later event time
-- each time; prints one RESULT line of JSON (latencies in microseconds). The traffic is shaped like the handbook
-- simulator's (what the model was trained on): 100,000 cards at about two transactions a day each (its customers
-- average 2), 10,007 terminals, amounts 5.25-124.25 (its genuine range), and one transaction in a hundred at 225-400
-- (its scenario-1 fraud): 0.5-0.6 % of the answers are alerts and carry reasons (score-api.json's `alertShare`).
-- Earlier payloads were not: 5,000 cards and 997 terminals at 700 transactions a day per card made 28 % of the answers
-- alerts (and amounts up to 404 a third), so every benchmark paid the reasons' tree walk on a quarter of its requests.
-- Event time: each thread steps 864 ms a request (two threads: 432 ms, i.e. 200,000 transactions a day over the
-- 100,000 cards) from BASE, the first script argument (`wrk ... -s score-api.lua URL -- BASE`); score-api.mjs passes
-- each run a base past the previous run's last event, so a card's events never go back in time across runs.
local counter = 0
local threads = {}

function setup(thread)
  thread:set("tid", counter)
  counter = counter + 1
  table.insert(threads, thread)
end

local n = 0
local base = 1767225600000
local headers = { ["Content-Type"] = "application/json" }

function init(args)
  if args[1] ~= nil then base = tonumber(args[1]) end
end

function request()
  n = n + 1
  local card = (n * 7919 + tid * 104729) % 100000
  local amount = 5 + (n * 13) % 120
  if n % 100 == 37 then amount = 225 + (n * 7) % 175 end
  local body = string.format(
    '{"id":"w%d-%d","cardId":"card-%d","terminalId":"term-%d","amount":%d.25,"timestamp":%d,"channel":"ONLINE","cardPresent":false}',
    tid, n, card, (n * 31 + tid) % 10007, amount, base + n * 864 + tid)
  return wrk.format("POST", "/v1/score", headers, body)
end

function done(summary, latency, requests)
  local e = summary.errors
  io.write(string.format(
    'RESULT {"requests":%d,"durationUs":%d,"socketErrors":%d,"non2xx":%d,"p50Us":%d,"p90Us":%d,"p99Us":%d,"p999Us":%d,"maxUs":%d}\n',
    summary.requests, summary.duration, e.connect + e.read + e.write + e.timeout, e.status,
    latency:percentile(50), latency:percentile(90), latency:percentile(99), latency:percentile(99.9), latency.max))
end
