-- token-bucket-1.lua: one token-bucket decision on one key, atomically. Mirrors token-bucket.ts.
-- KEYS[1]  hash { k = tokens x periodMs, t = when k was last brought up to date (ms) }
-- ARGV[1]  op: 'consume' | 'peek' | 'refund'
-- ARGV[2]  cost, an integer from 1 to burst (validated by the caller)
-- ARGV[3]  limit (tokens refilled per periodMs)   ARGV[4] periodMs   ARGV[5] burst (capacity)
-- returns  { allowed (1 or 0), remaining, burst, resetMs, retryAfterMs }
-- Tokens are counted in 1/periodMs of a token, so the refill is exactly `limit` units per ms.
-- A missing key is a full bucket. Time comes from the server (TIME). Only consume (when
-- admitted) and refund write; the key expires when the bucket would be full again.
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

-- Advance: refill for the time elapsed (capped at what fills an empty bucket).
local full = burst * period
local tokens = full
local stored = redis.call('HMGET', KEYS[1], 'k', 't')
if stored[1] then
  local at = tonumber(stored[2])
  if now < at then now = at end
  local elapsed = math.min(now - at, ceil_div(full, limit))
  tokens = math.min(full, tonumber(stored[1]) + elapsed * limit)
end

-- Decide.
local allowed, retry = true, 0
local need = cost * period
if op == 'refund' then
  tokens = math.min(full, tokens + need)
else
  allowed = tokens >= need
  if allowed and op == 'consume' then tokens = tokens - need end
  if not allowed then retry = ceil_div(need - tokens, limit) end
end
local reset = ceil_div(full - tokens, limit)

-- Store.
if op == 'refund' or (op == 'consume' and allowed) then
  if reset == 0 then
    redis.call('DEL', KEYS[1])
  else
    redis.call('HSET', KEYS[1], 'k', tokens, 't', now)
    redis.call('PEXPIRE', KEYS[1], reset)
  end
end
return { allowed and 1 or 0, floor_div(tokens, period), burst, reset, retry }
