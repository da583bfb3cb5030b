-- prelude.lib.lua: how every rate-limit script begins. Its limits, exact integer division (the
-- same as arith.ts, exact below 2^53) and the server's clock: TIME is the only clock the decisions
-- use, so the clocks of the calling processes do not matter.
-- ARGV[1] limit   ARGV[2] periodMs   ARGV[3] burst (the capacity of the bucket algorithms; the
-- window algorithms ignore it)   ARGV[4] deadline: the Redis-clock ms after which the call must not
-- run (0: none)   ARGV[5..] one cost per decision (validated: 1 to the capacity)
local limit, period, burst = tonumber(ARGV[1]), tonumber(ARGV[2]), tonumber(ARGV[3])
local deadline = tonumber(ARGV[4])

local function floor_div(a, b)
  local q = math.floor(a / b)
  if q * b > a then q = q - 1 elseif (q + 1) * b <= a then q = q + 1 end
  return q
end
local function ceil_div(a, b) return -floor_div(-a, b) end

local time = redis.call('TIME')
local clock = tonumber(time[1]) * 1000 + math.floor(tonumber(time[2]) / 1000)
-- A call that reaches Redis after its caller gave up on it (a stall, a slow network, a paused
-- server) must not apply: the caller already answered without it (fell back, refused). The script
-- is atomic, so checking once here covers every decision of the call.
if deadline > 0 and clock > deadline then
  return redis.error_reply('RATE_LIMIT_DEADLINE the call arrived ' .. (clock - deadline) .. ' ms after its deadline; nothing applied')
end
-- The decision being made: its instant (a state may move it forward), cost and keys.
local now, cost, key1, key2 = clock, 0, nil, nil
