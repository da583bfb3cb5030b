-- leaky-bucket/state.lib.lua: the state functions of leaky-bucket.ts (the meter), over
-- key1 hash { l = level x periodMs, t = when l was last brought up to date (ms) }.
-- The level is counted in 1/periodMs of a unit, so it leaks exactly `limit` per ms. A missing
-- key is an empty bucket; the key expires when the bucket would be empty again.
local keys_per_decision = 1
local capacity = burst
local full = burst * period

local function load_state()
  -- Leak for the time elapsed (capped at what empties the bucket).
  local level = 0
  local stored = redis.call('HMGET', key1, 'l', 't')
  if stored[1] then
    local at = tonumber(stored[2])
    if now < at then now = at end
    level = tonumber(stored[1])
    local elapsed = math.min(now - at, ceil_div(level, limit))
    level = math.max(0, level - elapsed * limit)
  end
  return { level = level }
end
local function admits(s, c) return s.level + c * period <= full end
local function take(s, c) s.level = s.level + c * period end
local function give(s, c) s.level = math.max(0, s.level - c * period) end
local function retry_after(s, c) return ceil_div(s.level + c * period - full, limit) end
local function describe(s) return floor_div(full - s.level, period), ceil_div(s.level, limit) end
local function save(s, reset)
  if reset == 0 then
    redis.call('DEL', key1)
  else
    redis.call('HSET', key1, 'l', s.level, 't', now)
    redis.call('PEXPIRE', key1, reset)
  end
end
