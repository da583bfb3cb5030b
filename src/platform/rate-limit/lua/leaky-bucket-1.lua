-- leaky-bucket-1.lua: one leaky-bucket (meter) decision on one key, atomically. Mirrors leaky-bucket.ts.
-- KEYS[1]  hash { l = level x periodMs, t = when l was last brought up to date (ms) }
-- ARGV[1]  op: 'consume' | 'peek' | 'refund'
-- ARGV[2]  cost, an integer from 1 to burst (validated by the caller)
-- ARGV[3]  limit (units leaked per periodMs)   ARGV[4] periodMs   ARGV[5] burst (bucket size)
-- returns  { allowed (1 or 0), remaining, burst, resetMs, retryAfterMs }
-- The level is counted in 1/periodMs of a unit, so it leaks exactly `limit` per ms. A missing
-- key is an empty bucket. Time comes from the server (TIME). Only consume (when admitted) and
-- refund write; the key expires when the bucket would be empty again.
local op, cost = ARGV[1], tonumber(ARGV[2])
local limit, period, burst = tonumber(ARGV[3]), tonumber(ARGV[4]), tonumber(ARGV[5])
if op ~= 'consume' and op ~= 'peek' and op ~= 'refund' then return redis.error_reply('unknown op ' .. op) end

local function floor_div(a, b) -- exact below 2^53, see arith.ts
  local q = math.floor(a / b)
  if q * b > a then q = q - 1 elseif (q + 1) * b <= a then q = q + 1 end
  return q
end
local function ceil_div(a, b) return -floor_div(-a, b) end

local time = redis.call('TIME')
local now = tonumber(time[1]) * 1000 + math.floor(tonumber(time[2]) / 1000)

-- Advance: leak for the time elapsed (capped at what empties the bucket).
local full = burst * period
local level = 0
local stored = redis.call('HMGET', KEYS[1], 'l', 't')
if stored[1] then
  local at = tonumber(stored[2])
  if now < at then now = at end
  level = tonumber(stored[1])
  local elapsed = math.min(now - at, ceil_div(level, limit))
  level = math.max(0, level - elapsed * limit)
end

-- Decide.
local allowed, retry = true, 0
local pour = cost * period
if op == 'refund' then
  level = math.max(0, level - pour)
else
  allowed = level + pour <= full
  if allowed and op == 'consume' then level = level + pour end
  if not allowed then retry = ceil_div(level + pour - full, limit) end
end
local reset = ceil_div(level, limit)

-- Store.
if op == 'refund' or (op == 'consume' and allowed) then
  if reset == 0 then
    redis.call('DEL', KEYS[1])
  else
    redis.call('HSET', KEYS[1], 'l', level, 't', now)
    redis.call('PEXPIRE', KEYS[1], reset)
  end
end
return { allowed and 1 or 0, floor_div(full - level, period), burst, reset, retry }
