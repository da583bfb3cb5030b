-- prelude.lib.lua: how every rate-limit script begins. Its arguments, exact integer division
-- (the same as arith.ts, exact below 2^53) and the server's clock: TIME is the only clock the
-- decisions use, so the clocks of the calling processes do not matter.
-- ARGV[1] cost (validated by the caller: 1 to the capacity)   ARGV[2] limit   ARGV[3] periodMs
-- ARGV[4] burst (the capacity of the bucket algorithms; the window algorithms ignore it)
local cost = tonumber(ARGV[1])
local limit, period, burst = tonumber(ARGV[2]), tonumber(ARGV[3]), tonumber(ARGV[4])

local function floor_div(a, b)
  local q = math.floor(a / b)
  if q * b > a then q = q - 1 elseif (q + 1) * b <= a then q = q + 1 end
  return q
end
local function ceil_div(a, b) return -floor_div(-a, b) end

local time = redis.call('TIME')
local now = tonumber(time[1]) * 1000 + math.floor(tonumber(time[2]) / 1000)
