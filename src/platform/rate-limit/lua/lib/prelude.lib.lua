-- prelude.lib.lua: how every rate-limit script begins. Its limits, exact integer division (the
-- same as arith.ts, exact below 2^53) and the server's clock: TIME is the only clock the decisions
-- use, so the clocks of the calling processes do not matter.
-- ARGV[1] limit   ARGV[2] periodMs   ARGV[3] burst (the capacity of the bucket algorithms; the
-- window algorithms ignore it)   ARGV[4..] one cost per decision (validated: 1 to the capacity)
local limit, period, burst = tonumber(ARGV[1]), tonumber(ARGV[2]), tonumber(ARGV[3])

local function floor_div(a, b)
  local q = math.floor(a / b)
  if q * b > a then q = q - 1 elseif (q + 1) * b <= a then q = q + 1 end
  return q
end
local function ceil_div(a, b) return -floor_div(-a, b) end

local time = redis.call('TIME')
local clock = tonumber(time[1]) * 1000 + math.floor(tonumber(time[2]) / 1000)
-- The decision being made: its instant (a state may move it forward), cost and keys.
local now, cost, key1, key2 = clock, 0, nil, nil
