-- fixed-window-1.lua: one fixed-window decision on one key, atomically. Mirrors fixed-window.ts.
-- KEYS[1]  hash { w = window start (ms), n = units counted in that window }
-- ARGV[1]  op: 'consume' | 'peek' | 'refund'
-- ARGV[2]  cost, an integer from 1 to limit (validated by the caller)
-- ARGV[3]  limit   ARGV[4] periodMs   ARGV[5] burst (unused: the capacity is the limit)
-- returns  { allowed (1 or 0), remaining, limit, resetMs, retryAfterMs }
-- Time comes from the server (TIME), so the callers' clocks do not matter. Only consume
-- (when admitted) and refund write; the key expires when the window ends.
local op, cost = ARGV[1], tonumber(ARGV[2])
local limit, period = tonumber(ARGV[3]), tonumber(ARGV[4])
if op ~= 'consume' and op ~= 'peek' and op ~= 'refund' then return redis.error_reply('unknown op ' .. op) end

local function floor_div(a, b) -- exact below 2^53, see arith.ts
  local q = math.floor(a / b)
  if q * b > a then q = q - 1 elseif (q + 1) * b <= a then q = q + 1 end
  return q
end

local time = redis.call('TIME')
local now = tonumber(time[1]) * 1000 + math.floor(tonumber(time[2]) / 1000)

-- Advance: the window of now, or the stored one if the clock went back into it.
local start = floor_div(now, period) * period
local count = 0
local stored = redis.call('HMGET', KEYS[1], 'w', 'n')
if stored[1] and tonumber(stored[1]) >= start then
  start, count = tonumber(stored[1]), tonumber(stored[2])
  if now < start then now = start end
end

-- Decide.
local allowed = true
if op == 'refund' then
  count = math.max(0, count - cost)
else
  allowed = count + cost <= limit
  if allowed and op == 'consume' then count = count + cost end
end
local reset = 0
if count > 0 then reset = start + period - now end
local retry = 0
if not allowed then retry = start + period - now end

-- Store.
if op == 'refund' or (op == 'consume' and allowed) then
  if reset == 0 then
    redis.call('DEL', KEYS[1])
  else
    redis.call('HSET', KEYS[1], 'w', start, 'n', count)
    redis.call('PEXPIRE', KEYS[1], reset)
  end
end
return { allowed and 1 or 0, limit - count, limit, reset, retry }
