-- sliding-window-counter/state.lib.lua: the state functions of sliding-window-counter.ts, over
-- key1 hash { w = current window start (ms), p = units of the previous window, c = of the current }.
-- Estimate of the last periodMs = p x (periodMs - elapsed) / periodMs + c, compared exactly after
-- multiplying both sides by periodMs. The key expires when its counts weigh nothing any more.
local keys_per_decision = 1
local capacity = limit

local function load_state()
  -- Roll the windows: the current count becomes the previous one.
  local start = floor_div(now, period) * period
  local prev, cur = 0, 0
  local stored = redis.call('HMGET', key1, 'w', 'p', 'c')
  if stored[1] then
    local w = tonumber(stored[1])
    if w >= start then
      start, prev, cur = w, tonumber(stored[2]), tonumber(stored[3])
      if now < start then now = start end
    elseif w == start - period then
      prev = tonumber(stored[3])
    end
  end
  return { start = start, prev = prev, cur = cur, elapsed = now - start }
end
local function admits(s, c)
  return s.prev * (period - s.elapsed) + s.cur * period + c * period <= limit * period
end
local function take(s, c) s.cur = s.cur + c end
local function give(s, c) s.cur = math.max(0, s.cur - c) end
local function retry_after(s, c)
  local room = limit - s.cur - c
  if room >= 0 then return ceil_div(s.prev * period - room * period, s.prev) - s.elapsed end
  return period - s.elapsed + math.max(0, ceil_div(s.cur * period - (limit - c) * period, s.cur))
end
local function describe(s)
  local remaining = math.max(0, floor_div(limit * period - s.prev * (period - s.elapsed) - s.cur * period, period))
  local reset = 0
  if s.cur > 0 then reset = 2 * period - s.elapsed elseif s.prev > 0 then reset = period - s.elapsed end
  return remaining, reset
end
local function save(s, reset)
  if reset == 0 then
    redis.call('DEL', key1)
  else
    redis.call('HSET', key1, 'w', s.start, 'p', s.prev, 'c', s.cur)
    redis.call('PEXPIRE', key1, reset)
  end
end
