-- sliding-window-log/state.lib.lua: the state functions of sliding-window-log.ts, over
-- key1 list of admissions, oldest first, each "<ms>:<units>" (one entry per admitted millisecond)
-- key2 string: the sum of the units in key1
-- Entries leave the window at <ms> + periodMs. Writes trim the expired head on the way; both keys
-- expire when the newest entry leaves the window.
local keys_per_decision = 2
local capacity = limit

local function entry(i) -- the entry at index i as (ms, units), or nil
  local e = redis.call('LINDEX', key1, i)
  if not e then return nil end
  local ms, units = string.match(e, '^(%d+):(%d+)$')
  return tonumber(ms), tonumber(units)
end

local function load_state()
  -- Entries are appended at max(now, newest), so the log stays ordered.
  local used = tonumber(redis.call('GET', key2) or '0')
  local newest = entry(-1)
  if newest and now < newest then now = newest end
  local expired = 0 -- entries at the head that have left the window
  while true do
    local ms, units = entry(expired)
    if not ms or ms + period > now then break end
    used = used - units
    expired = expired + 1
  end
  return { used = used, expired = expired }
end
local function admits(s, c) return s.used + c <= limit end
local function retry_after(s, c)
  -- The oldest live admissions must leave until `c` fits.
  local need, freed, i, retry = s.used + c - limit, 0, s.expired, 0
  while freed < need do
    local ms, units = entry(i)
    freed = freed + units
    retry = ms + period - now
    i = i + 1
  end
  return retry
end
local function trim(s)
  if s.expired > 0 then redis.call('LTRIM', key1, s.expired, -1) end
  s.expired = 0
end
local function take(s, c)
  trim(s)
  local ms, units = entry(-1)
  if ms == now then
    redis.call('LSET', key1, -1, now .. ':' .. (units + c))
  else
    redis.call('RPUSH', key1, now .. ':' .. c)
  end
  s.used = s.used + c
end
local function give(s, c)
  -- A refund takes back the most recent admissions first.
  trim(s)
  local left = c
  while left > 0 do
    local ms, units = entry(-1)
    if not ms then break end
    local back = math.min(left, units)
    left, s.used = left - back, s.used - back
    if back == units then
      redis.call('RPOP', key1)
    else
      redis.call('LSET', key1, -1, ms .. ':' .. (units - back))
    end
  end
end
local function describe(s)
  -- After a write the list holds only live entries; after a peek or a denial its tail is unchanged.
  local reset = 0
  if s.used > 0 then reset = entry(-1) + period - now end
  return limit - s.used, reset
end
local function save(s, reset)
  if reset == 0 then
    redis.call('DEL', key1, key2)
  else
    redis.call('SET', key2, s.used, 'PX', reset)
    redis.call('PEXPIRE', key1, reset)
  end
end
