-- fixed-window/state.lib.lua: the state functions of fixed-window.ts, over
-- key1 hash { w = window start (ms), n = units counted in that window }.
-- The key expires when its window ends.
local keys_per_decision = 1
local capacity = limit

local function load_state()
  -- The window of now, or the stored one if the clock went back into it.
  local start = floor_div(now, period) * period
  local count = 0
  local stored = redis.call('HMGET', key1, 'w', 'n')
  if stored[1] and tonumber(stored[1]) >= start then
    start, count = tonumber(stored[1]), tonumber(stored[2])
    if now < start then now = start end
  end
  return { start = start, count = count }
end
local function admits(s, c) return s.count + c <= limit end
local function take(s, c) s.count = s.count + c end
local function give(s, c) s.count = math.max(0, s.count - c) end
local function retry_after(s, _) return s.start + period - now end
local function describe(s)
  local reset = 0
  if s.count > 0 then reset = s.start + period - now end
  return limit - s.count, reset
end
local function save(s, reset)
  if reset == 0 then
    redis.call('DEL', key1)
  else
    redis.call('HSET', key1, 'w', s.start, 'n', s.count)
    redis.call('PEXPIRE', key1, reset)
  end
end
