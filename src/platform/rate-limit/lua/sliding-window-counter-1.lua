-- sliding-window-counter-1.lua: one sliding-window-counter decision on one key, atomically.
-- Mirrors sliding-window-counter.ts.
-- KEYS[1]  hash { w = current window start (ms), p = units of the previous window, c = of the current }
-- ARGV[1]  op: 'consume' | 'peek' | 'refund'
-- ARGV[2]  cost, an integer from 1 to limit (validated by the caller)
-- ARGV[3]  limit   ARGV[4] periodMs   ARGV[5] burst (unused: the capacity is the limit)
-- returns  { allowed (1 or 0), remaining, limit, resetMs, retryAfterMs }
-- Estimate of the last periodMs = p x (periodMs - elapsed) / periodMs + c, compared exactly
-- after multiplying both sides by periodMs. Time comes from the server (TIME). Only consume
-- (when admitted) and refund write; the key expires when its counts weigh nothing any more.
local op, cost = ARGV[1], tonumber(ARGV[2])
local limit, period = tonumber(ARGV[3]), tonumber(ARGV[4])
if op ~= 'consume' and op ~= 'peek' and op ~= 'refund' then return redis.error_reply('unknown op ' .. op) end

local function floor_div(a, b) -- exact below 2^53, see arith.ts
  local q = math.floor(a / b)
  if q * b > a then q = q - 1 elseif (q + 1) * b <= a then q = q + 1 end
  return q
end
local function ceil_div(a, b) return -floor_div(-a, b) end

local time = redis.call('TIME')
local now = tonumber(time[1]) * 1000 + math.floor(tonumber(time[2]) / 1000)

-- Advance: roll the windows; the current count becomes the previous one.
local start = floor_div(now, period) * period
local prev, cur = 0, 0
local stored = redis.call('HMGET', KEYS[1], 'w', 'p', 'c')
if stored[1] then
  local w = tonumber(stored[1])
  if w >= start then
    start, prev, cur = w, tonumber(stored[2]), tonumber(stored[3])
    if now < start then now = start end
  elseif w == start - period then
    prev = tonumber(stored[3])
  end
end
local elapsed = now - start

-- Decide.
local allowed, retry = true, 0
if op == 'refund' then
  cur = math.max(0, cur - cost)
else
  allowed = prev * (period - elapsed) + cur * period + cost * period <= limit * period
  if allowed and op == 'consume' then cur = cur + cost end
  if not allowed then
    local room = limit - cur - cost
    if room >= 0 then
      retry = ceil_div(prev * period - room * period, prev) - elapsed
    else
      retry = period - elapsed + math.max(0, ceil_div(cur * period - (limit - cost) * period, cur))
    end
  end
end
local remaining = math.max(0, floor_div(limit * period - prev * (period - elapsed) - cur * period, period))
local reset = 0
if cur > 0 then reset = 2 * period - elapsed elseif prev > 0 then reset = period - elapsed end

-- Store.
if op == 'refund' or (op == 'consume' and allowed) then
  if reset == 0 then
    redis.call('DEL', KEYS[1])
  else
    redis.call('HSET', KEYS[1], 'w', start, 'p', prev, 'c', cur)
    redis.call('PEXPIRE', KEYS[1], reset)
  end
end
return { allowed and 1 or 0, remaining, limit, reset, retry }
