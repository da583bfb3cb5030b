-- gcra-1.lua: one GCRA decision on one key, atomically. Mirrors gcra.ts.
-- KEYS[1]  hash { t = whole ms of the theoretical arrival time (TAT), f = its fraction in 1/limit ms }
-- ARGV[1]  op: 'consume' | 'peek' | 'refund'
-- ARGV[2]  cost, an integer from 1 to burst (validated by the caller)
-- ARGV[3]  limit (per periodMs: emission interval T = periodMs / limit)   ARGV[4] periodMs
-- ARGV[5]  burst (how many T the TAT may run ahead of now)
-- returns  { allowed (1 or 0), remaining, burst, resetMs, retryAfterMs }
-- "debt" = (TAT - now) x limit, in 1/periodMs of a unit: admitted while debt + cost x periodMs
-- <= burst x periodMs. A TAT in the past (or a missing key) is no debt. Time comes from the
-- server (TIME). Only consume (when admitted) and refund write; the key expires at the TAT.
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

-- Advance: nothing to do but read the TAT.
local full = burst * period
local debt = 0
local stored = redis.call('HMGET', KEYS[1], 't', 'f')
if stored[1] then debt = math.max(0, (tonumber(stored[1]) - now) * limit + tonumber(stored[2])) end

-- Decide.
local allowed, retry = true, 0
local units = cost * period
if op == 'refund' then
  debt = math.max(0, debt - units)
else
  allowed = debt + units <= full
  if allowed and op == 'consume' then debt = debt + units end
  if not allowed then retry = ceil_div(debt + units - full, limit) end
end
local reset = ceil_div(debt, limit)

-- Store: TAT = now + debt / limit ms, kept exactly as whole ms plus a fraction.
if op == 'refund' or (op == 'consume' and allowed) then
  if reset == 0 then
    redis.call('DEL', KEYS[1])
  else
    local whole = floor_div(debt, limit)
    redis.call('HSET', KEYS[1], 't', now + whole, 'f', debt - whole * limit)
    redis.call('PEXPIRE', KEYS[1], reset)
  end
end
return { allowed and 1 or 0, math.max(0, floor_div(full - debt, period)), burst, reset, retry }
