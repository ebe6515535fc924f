-- One wrk script for every path of the benchmark. The request comes from the environment:
--   BENCH_METHOD   GET (default) or POST
--   BENCH_PATH     the path; "{r}" becomes a random number below BENCH_RANGE, "{n}" a number
--                  unique to this request (thread id and counter)
--   BENCH_BODY     the body, with the same substitutions
--   BENCH_HEADERS  "Name: value" lines
--   BENCH_RUN      a value unique to this run, part of every "{n}"
--   BENCH_DELAY_MS each connection waits this long after an answer before its next request
--                  (a paced run: latency at a stated rate instead of at saturation)
-- It ends by printing one line: RESULT {json} with requests, seconds, p50/p99 (ms) and errors.

local method = os.getenv("BENCH_METHOD") or "GET"
local path = os.getenv("BENCH_PATH") or "/"
local body = os.getenv("BENCH_BODY")
local range = tonumber(os.getenv("BENCH_RANGE") or "1")
-- Unique to this wrk run (the bench sets it), so two runs never make the same "{n}".
local run = os.getenv("BENCH_RUN") or tostring(os.time())
local headers = {}
for line in string.gmatch(os.getenv("BENCH_HEADERS") or "", "[^\n]+") do
  local name, value = string.match(line, "^([^:]+):%s*(.*)$")
  if name then headers[name] = value end
end

local pace = tonumber(os.getenv("BENCH_DELAY_MS") or "")
if pace then
  function delay() return pace end
end

local threads = {}
local next_id = 0
function setup(thread)
  thread:set("tid", next_id)
  next_id = next_id + 1
  table.insert(threads, thread)
end

local counter = 0
local function fill(text)
  if text == nil then return nil end
  counter = counter + 1
  local unique = run .. "x" .. tostring(tid) .. "x" .. tostring(counter)
  local random = tostring(math.random(0, range - 1))
  return (string.gsub(string.gsub(text, "{n}", unique), "{r}", random))
end

function init(args)
  math.randomseed(os.time() + (tid or 0) * 7919)
end

-- A request without "{n}" or "{r}" is the same every time: formatted once, so the load
-- generator (on the same cores) spends nothing per request building it.
local fixed = nil
if not string.find(path, "{", 1, true) and (body == nil or not string.find(body, "{n}", 1, true) and not string.find(body, "{r}", 1, true)) then
  fixed = wrk.format(method, path, headers, body)
end

function request()
  if fixed then return fixed end
  return wrk.format(method, fill(path), headers, fill(body))
end

function done(summary, latency, requests)
  local e = summary.errors
  local errors = e.connect + e.read + e.write + e.status + e.timeout
  io.write(string.format(
    'RESULT {"requests": %d, "seconds": %.3f, "p50_ms": %.3f, "p99_ms": %.3f, "errors": %d, "status_errors": %d}\n',
    summary.requests, summary.duration / 1e6, latency:percentile(50) / 1000, latency:percentile(99) / 1000,
    errors, e.status))
end
