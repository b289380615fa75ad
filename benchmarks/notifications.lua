-- wrk script: each connection posts the notifications of one incoming call
-- after another, in order: answer (ringing), play, gather with digits, and an
-- ended hangup with its cost fields. Every notification has its own txn_ref
-- and every call its own session.
--
-- request() is not told which connection it serves, so run one connection per
-- thread (wrk -t N -c N): then this thread's counters are its connection's,
-- and wrk asks for a connection's next request only after the answer to its
-- previous one, so a call's answer is handled before its hangup.
--
-- Argument (after --): a prefix that makes this run's sessions unique.
-- done() prints "bench.<key> <value>" lines for benchmarks/sender.py.

local threads = {}

function setup(thread)
   thread:set("thread_id", #threads + 1)
   table.insert(threads, thread)
end

local PARTY = "&from=%2B6591234567&to=%2B6531580000"
local HEADERS = {["Content-Type"] = "application/x-www-form-urlencoded"}
local BLOCKS = 4

local function answer()
   return "ivr_block=answer&session=" .. session .. "&txn_ref=" .. txn_ref
      .. PARTY .. "&tag=&call_state=ringing"
end

local function play()
   return "ivr_block=play&session=" .. session .. "&txn_ref=" .. txn_ref
      .. PARTY .. "&tag=welcome&call_state=ongoing"
end

local function gather()
   return "ivr_block=gather&session=" .. session .. "&txn_ref=" .. txn_ref
      .. PARTY .. "&tag=menu&call_state=ongoing"
      .. string.format("&digits=%02d", calls % 100)
end

local function hangup()
   local minutes = calls % 5 + 1
   return "ivr_block=hangup&session=" .. session .. "&txn_ref=" .. txn_ref
      .. PARTY .. "&tag=&call_state=ended&date=2025-04-01+10%3A00%3A00"
      .. "&duration=" .. minutes .. "&currency=SGD&rate=0.050"
      .. string.format("&debit=%.3f", 0.05 * minutes)
end

local BODIES = {answer, play, gather, hangup}

function init(args)
   prefix = args[1] or "run"
   calls = 0     -- calls started on this connection
   step = 0      -- the block of the current call last asked for, 1 to BLOCKS
   sent = 0      -- requests made
   answered = 0  -- responses read
   refused = 0   -- responses whose status is not 200
   session = ""
   txn_ref = ""
   checking = thread_id == 1
end

local function next_request()
   step = step % BLOCKS + 1
   if step == 1 then
      calls = calls + 1
      session = string.format("S%s-%d-%d", prefix, thread_id, calls)
   end
   sent = sent + 1
   txn_ref = string.format("AA-%s-%d-%d", prefix, thread_id, sent)
   return wrk.format("POST", nil, HEADERS, BODIES[step]())
end

function request()
   if checking then
      -- wrk builds one request of its first thread to check the script and
      -- never sends it: build it without counting it.
      checking = false
      local kept = {step, calls, sent, session, txn_ref}
      local built = next_request()
      step, calls, sent, session, txn_ref = unpack(kept)
      return built
   end
   return next_request()
end

function response(status, headers, body)
   answered = answered + 1
   if status ~= 200 then
      refused = refused + 1
   end
end

function done(summary, latency, requests)
   local totals = {sent = 0, answered = 0, refused = 0}
   for _, thread in ipairs(threads) do
      for key, _ in pairs(totals) do
         totals[key] = totals[key] + thread:get(key)
      end
      if thread:get("step") ~= BLOCKS and thread:get("calls") > 0 then
         io.write("bench.open_session ", thread:get("session"), "\n")
      end
   end
   for key, value in pairs(totals) do
      io.write(string.format("bench.%s %d\n", key, value))
   end
   local errors = summary.errors
   io.write(string.format("bench.requests %d\n", summary.requests))
   io.write(string.format("bench.duration_us %d\n", summary.duration))
   io.write(string.format("bench.socket_errors %d\n",
      errors.connect + errors.read + errors.write + errors.timeout))
   io.write(string.format("bench.status_errors %d\n", errors.status))
   io.write(string.format("bench.p50_us %d\n", latency:percentile(50)))
   io.write(string.format("bench.p99_us %d\n", latency:percentile(99)))
   io.write(string.format("bench.max_us %d\n", latency.max))
   io.write(string.format("bench.mean_us %d\n", latency.mean))
end
