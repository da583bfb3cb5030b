-- sliding-window-log-2.lua: one sliding-window-log decision on one key, atomically. Mirrors sliding-window-log.ts.
-- KEYS[1]  list of admissions, oldest first, each "<ms>:<units>" (one entry per admitted millisecond)
-- KEYS[2]  string: the sum of the units in KEYS[1]
-- ARGV[1]  op: 'consume' | 'peek' | 'refund'
-- ARGV[2]  cost, an integer from 1 to limit (validated by the caller)
-- ARGV[3]  limit   ARGV[4] periodMs   ARGV[5] burst (unused: the capacity is the limit)
-- returns  { allowed (1 or 0), remaining, limit, resetMs, retryAfterMs }
-- Time comes from the server (TIME). Entries leave the window at <ms> + periodMs; only
-- consume (when admitted) and refund write, trimming the expired head on the way. Both
-- keys expire when the newest entry leaves the window.
local op, cost = ARGV[1], tonumber(ARGV[2])
local limit, period = tonumber(ARGV[3]), tonumber(ARGV[4])
if op ~= 'consume' and op ~= 'peek' and op ~= 'refund' then return redis.error_reply('unknown op ' .. op) end

local function entry(i) -- the entry at index i as (ms, units), or nil
  local e = redis.call('LINDEX', KEYS[1], i)
  if not e then return nil end
  local ms, units = string.match(e, '^(%d+):(%d+)$')
  return tonumber(ms), tonumber(units)
end

local time = redis.call('TIME')
local now = tonumber(time[1]) * 1000 + math.floor(tonumber(time[2]) / 1000)

-- Advance: entries are appended at max(now, newest), so the log stays ordered.
local used = tonumber(redis.call('GET', KEYS[2]) or '0')
local newest = entry(-1)
if newest and now < newest then now = newest end
local expired = 0 -- entries at the head that have left the window
while true do
  local ms, units = entry(expired)
  if not ms or ms + period > now then break end
  used = used - units
  expired = expired + 1
end

-- Decide (the retry time is read from the state before any write).
local allowed, retry = true, 0
if op ~= 'refund' then
  allowed = used + cost <= limit
  if not allowed then
    local need, freed, i = used + cost - limit, 0, expired
    while freed < need do
      local ms, units = entry(i)
      freed = freed + units
      retry = ms + period - now
      i = i + 1
    end
  end
end

if op == 'refund' or (op == 'consume' and allowed) then
  if expired > 0 then redis.call('LTRIM', KEYS[1], expired, -1) end
  if op == 'consume' then
    local ms, units = entry(-1)
    if ms == now then
      redis.call('LSET', KEYS[1], -1, now .. ':' .. (units + cost))
    else
      redis.call('RPUSH', KEYS[1], now .. ':' .. cost)
    end
    used = used + cost
  else
    -- A refund takes back the most recent admissions first.
    local left = cost
    while left > 0 do
      local ms, units = entry(-1)
      if not ms then break end
      local back = math.min(left, units)
      left, used = left - back, used - back
      if back == units then
        redis.call('RPOP', KEYS[1])
      else
        redis.call('LSET', KEYS[1], -1, ms .. ':' .. (units - back))
      end
    end
  end
end

local reset = 0
if used > 0 then
  -- After a write the list holds only live entries; after a peek or denial its tail is unchanged.
  local ms = entry(-1)
  reset = ms + period - now
end
if op == 'refund' or (op == 'consume' and allowed) then
  if reset == 0 then
    redis.call('DEL', KEYS[1], KEYS[2])
  else
    redis.call('SET', KEYS[2], used, 'PX', reset)
    redis.call('PEXPIRE', KEYS[1], reset)
  end
end
return { allowed and 1 or 0, limit - used, limit, reset, retry }
